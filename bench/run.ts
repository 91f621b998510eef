/**
 * `npm run bench`: berth against Debian's dockerd, driven by the same `docker`
 * CLI, engines alternating run by run. Prints a table of medians (min–max)
 * with the ratio berth/dockerd, a JSON line with every figure, and rewrites
 * docs/benchmarks.md. Installs nothing: it says what is missing and how to
 * install it. Everything it starts it stops, also on Ctrl-C.
 *
 * Environment: BENCH_RUNS (default 7), BENCH_ONLY (comma list of scenarios).
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { bigImageArchive, busyboxRootfsTar } from './harness/images';
import { startBerthd, startDockerd, saveFirewall, type Engine } from './harness/engines';
import { must, procSummary, run, settle, treeRssKiB, unixGet } from './harness/proc';
import { summarise, table, type Row } from './harness/stats';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const ONLY = process.env.BENCH_ONLY?.split(',');
const want = (s: string): boolean => !ONLY || ONLY.includes(s);
const REPO = path.resolve(__dirname, '..', '..');

const cleanups: Array<() => Promise<void>> = [];
async function cleanupAll(): Promise<void> {
  while (cleanups.length) {
    try { await cleanups.pop()!(); } catch (err) { console.error(`cleanup: ${(err as Error).message}`); }
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
    s.on('error', reject);
  });
}

async function startRegistry(dir: string): Promise<{ addr: string; child: ChildProcess }> {
  const port = await freePort();
  const cfg = path.join(dir, 'registry.yml');
  fs.writeFileSync(cfg, [
    'version: 0.1', 'log: { level: error }', 'storage:', `  filesystem: { rootdirectory: ${path.join(dir, 'registry-data')} }`,
    '  delete: { enabled: true }', 'http:', `  addr: 127.0.0.1:${port}`, '',
  ].join('\n'));
  const child = spawn('/usr/bin/docker-registry', ['serve', cfg], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    try { await fetch(`http://127.0.0.1:${port}/v2/`); return { addr: `127.0.0.1:${port}`, child }; } catch { await new Promise((r) => setTimeout(r, 100)); }
  }
  throw new Error('docker-registry did not start');
}

const docker = (e: Engine, args: string[]): ReturnType<typeof run> => run('docker', args, { env: e.env });
const mustDocker = (e: Engine, args: string[]): ReturnType<typeof must> => must('docker', args, { env: e.env });

/**
 * Runs `body` RUNS times per engine, alternating engines; returns ms samples per engine.
 * With `warmup`, each engine first runs it once untimed (first-use costs on both sides: page
 * cache, a berth image's shared init layer, dockerd's first container on a network).
 */
async function alternate(engines: Engine[], body: (e: Engine, i: number) => Promise<number>, warmup = false): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>(engines.map((e) => [e.name, []]));
  if (warmup) for (const e of engines) await body(e, -1);
  for (let i = 0; i < RUNS; i++) {
    for (const e of i % 2 ? [...engines].reverse() : engines) out.get(e.name)!.push(await body(e, i));
  }
  return out;
}

function row(scenario: string, unit: string, samples: Map<string, number[]>, goal?: number): Row {
  const d = samples.get('dockerd');
  return {
    scenario, unit, berth: summarise(samples.get('berth') ?? []), docker: d && d.length ? summarise(d) : null, goal,
    samples: Object.fromEntries([...samples].map(([k, v]) => [k, v.map((x) => Math.round(x * 10) / 10)])),
  };
}

async function main(): Promise<void> {
  const missing: string[] = [];
  if (!fs.existsSync('/usr/sbin/dockerd')) missing.push('docker.io (dockerd, containerd, runc): apt-get install -y docker.io');
  if (!fs.existsSync('/usr/bin/docker-registry')) missing.push('docker-registry: apt-get install -y docker-registry');
  if (!fs.existsSync('/bin/busybox')) throw new Error('the host has no static busybox: apt-get install -y busybox-static');
  for (const m of missing) console.log(`bench: not installed, comparison limited: ${m}`);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-'));
  cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
  cleanups.push(await saveFirewall());

  const engines: Engine[] = [];
  const berth = await startBerthd(dir);
  cleanups.push(() => berth.stop());
  engines.push(berth);
  if (fs.existsSync('/usr/sbin/dockerd')) {
    const d = await startDockerd(dir);
    cleanups.push(() => d.stop());
    engines.push(d);
  }
  const tarball = path.join(dir, 'busybox.tar');
  await busyboxRootfsTar(dir, tarball);
  for (const e of engines) await mustDocker(e, ['import', '-c', 'CMD ["sh"]', tarball, 'busybox:latest']);

  // rss: the engine's processes (daemon tree, its own shims, and every process that inherited
  // its tag: berth-shim's zygote, containerd; not the containers' processes), sampled once they
  // are idle by the same rule for both engines (no more than one clock tick of CPU in 2 s, at
  // most 30 s).
  const rss = async (e: Engine, what: string): Promise<number> => {
    const pids = (): number[] => [...new Set([...e.rootPids(), ...e.shimPids(), ...e.taggedPids()])];
    const s = await settle(pids);
    const counted = pids();
    // The engine's processes only (issue 9: dockerd+containerd+shims vs berthd+shims): the
    // containers' own processes (20 × `sleep`, 1.4 MiB each on both sides) are printed apart.
    const mib = treeRssKiB(counted, true) / 1024;
    const withContainers = treeRssKiB(counted) / 1024;
    if (withContainers > mib) console.log(`bench: rss ${what}: ${e.name} ${withContainers.toFixed(1)} MiB with the containers' own processes`);
    if (process.env.BENCH_RSS_DETAIL) console.log(`bench: rss ${what}: ${e.name}: ${procSummary(counted)}`);
    console.log(`bench: rss ${what}: ${e.name} ${mib.toFixed(1)} MiB (${counted.length} processes, ${e.shimPids().length} shims) after ${s.settled ? 'settling' : 'NOT settling'} for ${(s.ms / 1000).toFixed(1)} s`);
    return mib;
  };
  const sampleRss = async (what: string): Promise<Map<string, number[]>> => {
    const out = new Map<string, number[]>();
    for (const e of engines) out.set(e.name, [await rss(e, what)]);
    return out;
  };
  const fresh = want('rss') ? await sampleRss('idle (fresh)') : new Map<string, number[]>();
  const rows: Row[] = [];
  if (want('cli-floor')) {
    // What the docker CLI costs by itself (start-up + one API round trip): a floor under every CLI figure.
    rows.push(row('cli-floor (docker version)', 'ms', await alternate(engines, async (e) => (await mustDocker(e, ['version'])).ms)));
  }
  if (want('run-none')) {
    rows.push(row('run-none', 'ms', await alternate(engines, async (e) => (await mustDocker(e, ['run', '--rm', '--network', 'none', 'busybox', 'true'])).ms, true), 0.2));
  }
  if (want('run-bridge')) {
    rows.push(row('run-bridge', 'ms', await alternate(engines, async (e) => (await mustDocker(e, ['run', '--rm', 'busybox', 'true'])).ms, true), 0.2));
  }
  if (want('parallel-20')) {
    rows.push(row('parallel-20', 'ms', await alternate(engines, async (e) => {
      const t0 = Date.now();
      const ids = await Promise.all(Array.from({ length: 20 }, () => mustDocker(e, ['run', '-d', '--network', 'none', 'busybox', 'sleep', '60'])));
      const ms = Date.now() - t0;
      await mustDocker(e, ['rm', '-f', ...ids.map((r) => r.stdout.trim())]);
      return ms;
    }), 0.3));
  }
  if (want('pull-60mb') && fs.existsSync('/usr/bin/docker-registry') && engines.length === 2) {
    const reg = await startRegistry(dir);
    cleanups.push(async () => { reg.child.kill('SIGTERM'); });
    const ref = `${reg.addr}/bench/big:latest`;
    const archive = path.join(dir, 'big.tar');
    await bigImageArchive(dir, ref, archive);
    const d = engines.find((e) => e.name === 'dockerd')!;
    await mustDocker(d, ['load', '-i', archive]);
    await mustDocker(d, ['push', ref]);
    rows.push(row('pull-60mb', 'ms', await alternate(engines, async (e) => {
      await docker(e, ['rmi', '-f', ref]);
      return (await mustDocker(e, ['pull', '-q', ref])).ms;
    }), 0.8));
  }
  if (want('logs')) {
    const write = await alternate(engines, async (e, i) => (await mustDocker(e, ['run', '--name', `logs${i}`, '--network', 'none', 'busybox', 'seq', '1', '500000'])).ms);
    const read = await alternate(engines, async (e, i) => {
      const r = await mustDocker(e, ['logs', `logs${i}`]);
      if (!r.stdout.endsWith('500000\n')) throw new Error(`${e.name}: docker logs returned ${r.stdout.length} bytes, not the whole log`);
      return r.ms;
    });
    for (const e of engines) await docker(e, ['rm', '-f', ...Array.from({ length: RUNS }, (_, i) => `logs${i}`)]);
    rows.push(row('logs-write', 'ms', write, 0.5), row('logs-read', 'ms', read, 0.5));
  }
  if (want('ps-100')) {
    for (const e of engines) {
      await Promise.all(Array.from({ length: 4 }, (_, k) => (async () => {
        for (let j = 0; j < 25; j++) await mustDocker(e, ['create', '--network', 'none', '--name', `ps${k}-${j}`, 'busybox', 'true']);
      })()));
    }
    rows.push(row('ps-100 (cli)', 'ms', await alternate(engines, async (e) => (await mustDocker(e, ['ps', '-a'])).ms), 1.0));
    rows.push(row('ps-100 (api)', 'ms', await alternate(engines, async (e) => (await unixGet(e.socket, '/v1.41/containers/json?all=1')).ms), 0.5));
    for (const e of engines) await docker(e, ['rm', '-f', ...(await docker(e, ['ps', '-aq'])).stdout.split('\n').filter(Boolean)]);
  }
  if (want('rss')) {
    const idle = await sampleRss('idle (after the scenarios)');
    for (const e of engines) {
      await Promise.all(Array.from({ length: 20 }, (_, i) => mustDocker(e, ['run', '-d', '--network', 'none', '--name', `rss${i}`, 'busybox', 'sleep', '300'])));
    }
    for (const e of engines) {
      // one shim per container on both sides (containerd-shim-runc-v2 may group; then fewer is right for it)
      const shims = e.shimPids().length;
      console.log(`bench: rss with 20 running: ${e.name} has ${shims} shim process(es) of its own`);
      if (shims === 0) throw new Error(`bench: found no shim of ${e.name}: the rss figure would leave them out`);
    }
    const busy = await sampleRss('with 20 running');
    for (const e of engines) await docker(e, ['rm', '-f', ...Array.from({ length: 20 }, (_, i) => `rss${i}`)]);
    rows.push(row('rss idle (fresh)', 'MiB', fresh, 0.5), row('rss idle (after the scenarios)', 'MiB', idle, 0.5),
      row('rss 20 running', 'MiB', busy, 0.3));
  }

  const md = table(rows);
  console.log(`\n${md}\n`);
  console.log(JSON.stringify({ date: new Date().toISOString(), runs: RUNS, rows }));
  const machine = `${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, kernel ${os.release()}, Node ${process.version}`;
  const dockerVersion = engines.length === 2 ? (await docker(engines[1], ['version', '--format', '{{.Server.Version}}'])).stdout.trim() : 'not installed';
  const docFile = path.join(REPO, 'docs', 'benchmarks.md');
  const prev = fs.existsSync(docFile) ? fs.readFileSync(docFile, 'utf8') : '';
  const notes = prev.includes('\n## Findings') ? prev.slice(prev.indexOf('\n## Findings')) : '\n## Findings\n\n(none yet)\n';
  // A narrowed run (BENCH_ONLY) replaces only its own rows: the others keep the figures of their last run.
  const doc = ONLY ? mergeTable(prev, md) : md;
  const latest = ONLY ? `Latest run (${ONLY.join(', ')} only)` : 'Latest run';
  fs.writeFileSync(docFile, [
    '# Benchmarks', '',
    `${latest}: ${new Date().toISOString()} — ${machine}; dockerd ${dockerVersion}; ${RUNS} runs per engine, alternating.`, '',
    'Reproduce: `npm run bench` (as root; needs Debian\'s `docker.io` and `docker-registry` for the comparison). `BENCH_RUNS=N` and `BENCH_ONLY=run-none,logs` narrow it.', '',
    'Medians in milliseconds (MiB for rss), [min–max]; ratio = berth / dockerd, lower is better.', '',
    doc, notes.trimEnd(), '',
  ].join('\n'));
}

/** Row order of a full run (prefixes of the scenario column). */
const SCENARIO_ORDER = ['cli-floor', 'run-none', 'run-bridge', 'parallel-20', 'pull-60mb', 'logs-write', 'logs-read',
  'ps-100 (cli)', 'ps-100 (api)', 'rss idle (fresh)', 'rss idle (after', 'rss 20'];

/**
 * The table of `prev` (docs/benchmarks.md) with the rows of `md` replacing
 * those of the same scenario, in the old order; new scenarios are appended.
 */
function mergeTable(prev: string, md: string): string {
  const rowsOf = (text: string): string[] => text.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| scenario |'));
  const key = (l: string): string => l.split('|')[1].trim();
  const fresh = new Map(rowsOf(md).map((l) => [key(l), l]));
  const old = rowsOf(prev.includes('\n## Findings') ? prev.slice(0, prev.indexOf('\n## Findings')) : prev);
  const merged = old.map((l) => fresh.get(key(l)) ?? l);
  for (const [k, l] of fresh) if (!old.some((o) => key(o) === k)) merged.push(l);
  // in the order a full run prints them (unknown scenarios last)
  const rank = (l: string): number => { const i = SCENARIO_ORDER.findIndex((p) => key(l).startsWith(p)); return i < 0 ? SCENARIO_ORDER.length : i; };
  merged.sort((a, b) => rank(a) - rank(b));
  return [...md.split('\n').slice(0, 2), ...merged].join('\n');
}

process.on('SIGINT', () => { void cleanupAll().then(() => process.exit(130)); });
process.on('SIGTERM', () => { void cleanupAll().then(() => process.exit(143)); });
main().then(cleanupAll, async (err: Error) => {
  console.error(`bench: ${err.message}`);
  await cleanupAll();
  process.exitCode = 1;
});
