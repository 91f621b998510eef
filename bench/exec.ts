/**
 * bench:exec — median wall time for the native exec driver to run `true` in a
 * fresh container (namespaces + cgroups + seccomp, start → exit → delete),
 * against `runc run` of the same busybox rootfs, reported as a ratio.
 * Not a test: run with `npm run bench:exec` (root; runc optional).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NativeExecDriver, defaultContainerSpec, shimZygotes, stopShimZygotes } from '../plugins/execdriver-native';
import { makeBusyboxRootfs } from '../test/helpers/busybox-rootfs';

const RUNS = Number(process.env.BENCH_RUNS ?? 30);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function which(cmd: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

const phases: Record<'start' | 'wait' | 'delete', number[]> = { start: [], wait: [], delete: [] };

/** One start → wait → delete of `true`; returns ms (phases recorded when `record`). */
async function berthOnce(driver: NativeExecDriver, dir: string, rootfs: string, i: number, record: boolean): Promise<number> {
  const id = `btbench${i}`;
  const stateDir = path.join(dir, 'state', id);
  fs.mkdirSync(stateDir, { recursive: true });
  const spec = defaultContainerSpec({ id, stateDir, rootfs, args: ['true'] });
  spec.cgroup.parent = 'bt-bench';
  const t0 = process.hrtime.bigint();
  const c = await driver.start(spec);
  const t1 = process.hrtime.bigint();
  const st = await c.wait();
  const t2 = process.hrtime.bigint();
  await driver.delete(id, stateDir);
  const t3 = process.hrtime.bigint();
  if (st.exitCode !== 0) throw new Error(`true exited ${st.exitCode}`);
  if (record) {
    phases.start.push(Number(t1 - t0) / 1e6);
    phases.wait.push(Number(t2 - t1) / 1e6);
    phases.delete.push(Number(t3 - t2) / 1e6);
  }
  return Number(t3 - t0) / 1e6;
}

/** A runc bundle for the same rootfs running `true`. */
function runcBundle(runc: string, dir: string, rootfs: string): string {
  const bundle = path.join(dir, 'bundle');
  fs.mkdirSync(bundle, { recursive: true });
  execFileSync(runc, ['spec', '--bundle', bundle]);
  const cfgFile = path.join(bundle, 'config.json');
  const cfg = JSON.parse(fs.readFileSync(cfgFile, 'utf8'));
  cfg.root = { path: rootfs, readonly: false };
  cfg.process.args = ['true'];
  cfg.process.terminal = false;
  cfg.linux.cgroupsPath = '/bt-bench-runc/run';
  fs.writeFileSync(cfgFile, JSON.stringify(cfg));
  return bundle;
}

function runcOnce(runc: string, bundle: string, i: number): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(runc, ['run', '--bundle', bundle, `btbench-runc-${i}`], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`runc run failed with ${r.status}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function removeCgroups(): void {
  for (const c of ['memory', 'cpu', 'cpuacct', 'cpuset', 'pids', 'blkio', 'freezer', 'devices', 'systemd', 'unified']) {
    for (const d of ['bt-bench', 'bt-bench-runc/run', 'bt-bench-runc']) {
      try { fs.rmdirSync(`/sys/fs/cgroup/${c}/${d}`); } catch { /* absent */ }
    }
  }
}

/**
 * Berth and runc runs alternate (one each per round, after 3 warm-up
 * rounds), so both sides of the ratio see the same machine load: on the
 * shared CI VM the load moves a lot within seconds.
 */
async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-'));
  // state dirs on tmpfs, like the exec-root /run/berth on a real host (here /run is on disk)
  const stateRoot = fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'berth-bench-'));
  try {
    const rootfs = makeBusyboxRootfs(path.join(dir, 'rootfs'));
    const driver = new NativeExecDriver({ seccompCacheDir: path.join(stateRoot, 'seccomp-cache') });
    const runc = which('runc');
    const bundle = runc ? runcBundle(runc, dir, rootfs) : '';
    const berthTimes: number[] = [];
    const runcTimes: number[] = [];
    for (let i = 0; i < RUNS + 3; i++) {
      const b = await berthOnce(driver, stateRoot, rootfs, i, i >= 3);
      const r = runc ? runcOnce(runc, bundle, i) : 0;
      if (i >= 3) { berthTimes.push(b); runcTimes.push(r); }
    }
    const berth = median(berthTimes);
    console.log(`berth (execdriver-native): median ${berth.toFixed(2)} ms over ${RUNS} runs of \`true\` (start + wait + delete)`);
    console.log(`  phases (median ms): start ${median(phases.start).toFixed(2)}, wait ${median(phases.wait).toFixed(2)}, delete ${median(phases.delete).toFixed(2)}`);
    console.log(`  load average while measuring: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} on ${os.cpus().length} CPUs`);
    // the engine's own helpers, as berthd runs them (docs/exec-driver.md): the shim zygote and its spare, device programs
    const z = shimZygotes();
    console.log(`  shims forked by the shim zygote: ${z.length ? `yes (zygote pid ${z.map((x) => x.pid).join(', ')}, plus its spare)` : 'no (spawned)'}; device programs loaded: ${driver.loadedDevicePrograms()}`);
    if (!runc) {
      console.log('runc: not installed (apt-get install -y runc) — no ratio');
      return;
    }
    const r = median(runcTimes);
    console.log(`runc run:                  median ${r.toFixed(2)} ms over ${RUNS} runs (interleaved with berth's)`);
    console.log(`ratio berth / runc: ${(berth / r).toFixed(3)}x (goal <= 0.25x)`);
  } finally {
    stopShimZygotes();
    removeCgroups();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(stateRoot, { recursive: true, force: true });
  }
}

main().catch((err) => { console.error(err); process.exitCode = 1; });
