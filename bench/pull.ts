/**
 * bench:pull — not a test. Pulls a ~60 MB, 4-layer image from a local
 * docker-registry (127.0.0.1, plain HTTP) with berth (`image.pull` job:
 * concurrent downloads, verified while streaming, layers applied in order
 * while later ones download) and compares it with `skopeo copy` of the same
 * image to a directory followed by `tar -xzf` of its layers in order, in one
 * command. Prints both medians and the ratio (goal ≤ 1.0×).
 *
 * Run as root: `npm run bench:pull` (BENCH_RUNS=3, BENCH_MB=60,
 * BENCH_DRIVER=overlay2|vfs, BENCH_SHAPE=mixed|big, BENCH_TRACE=1, BENCH_PROFILE=<dir>, BENCH_THREADS=1, BENCH_PERF_CTL=<fifo>,
 * BENCH_BASELINE_TOPDIR=1).
 */
import { execFileSync } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Session } from 'node:inspector/promises';
import { nullIO } from '../core/engine/job';
import { setupImages } from '../core/image/setup';
import { makeTestKernel } from '../test/helpers/test-kernel';
import { startRegistry } from '../test/helpers/registry-server';
import { busyboxLayer, layerFromDir, skopeo, skopeoPush, writeOciLayout, type Layer } from '../test/plugins/registry/fixtures';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const TOTAL_MB = Number(process.env.BENCH_MB ?? 60);
const DRIVER = process.env.BENCH_DRIVER ?? 'overlay2';
/** BENCH_PROFILE=<dir>: write a .cpuprofile of each berth pull (only the pull) there. */
const PROFILE = process.env.BENCH_PROFILE;
/** BENCH_TRACE=1: print each status change of the berth pull with its time (where the time goes). */
const TRACE = process.env.BENCH_TRACE === '1';

/** A job IO whose stdout prints progress status changes with the time since `t0`. */
function traceIO(t0: () => number): ReturnType<typeof nullIO> {
  const io = nullIO();
  const out = new PassThrough();
  let buf = '';
  out.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        const m = JSON.parse(line) as { status?: string; id?: string };
        if (m.status && !['Downloading', 'Extracting'].includes(m.status)) console.log(`  ${(now() - t0()).toFixed(0).padStart(6)} ms ${m.id ?? ''} ${m.status}`);
      } catch { /* not a progress line */ }
    }
  });
  return { ...io, stdout: out };
}

const now = (): number => Number(process.hrtime.bigint()) / 1e6;
/** CPU ms (user+system) of this process, all threads. */
const selfCpu = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
/** CPU ms (user+system) of the children waited for so far (/proc/self/stat cutime+cstime). */
const childCpu = (): number => {
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) * 10; // fields 16 and 17 of stat(5), in 10 ms ticks
};
/** BENCH_THREADS=1: print each thread kind's CPU (user/sys ms) during the berth pull (where the CPU goes). */
const THREADS = process.env.BENCH_THREADS === '1';
/** CPU ticks (10 ms) of this process's threads by name: name → [user, sys]. */
const threadCpu = (): Map<string, [number, number]> => {
  const out = new Map<string, [number, number]>();
  for (const t of fs.readdirSync('/proc/self/task')) {
    let stat: string;
    try { stat = fs.readFileSync(`/proc/self/task/${t}/stat`, 'utf8'); } catch { continue; }
    const name = t === String(process.pid) ? 'main' : 'other threads';
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cur = out.get(name) ?? [0, 0];
    out.set(name, [cur[0] + Number(f[11]) * 10, cur[1] + Number(f[12]) * 10]);
  }
  return out;
};
const threadDelta = (a: Map<string, [number, number]>, b: Map<string, [number, number]>): string =>
  [...b].map(([n, [u, s]]) => {
    const [u0, s0] = a.get(n) ?? [0, 0];
    return `${n.trim() || '?'} ${u - u0}/${s - s0}`;
  }).join(', ');
/** [user, sys] ms of the children waited for so far. */
const childCpuSplit = (): [number, number] => {
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return [Number(f[13]) * 10, Number(f[14]) * 10];
};
/**
 * BENCH_PERF_CTL=<fifo>: write `enable`/`disable` to this perf control fifo
 * around each berth pull, so `perf record|stat -D -1 --control fifo:<fifo>`
 * sees only the pulls.
 */
const PERF_CTL = process.env.BENCH_PERF_CTL;
const perfCtl = (cmd: 'enable' | 'disable'): void => { if (PERF_CTL) fs.writeFileSync(PERF_CTL, `${cmd}\n`); };
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const TOPDIR_BASELINE = process.env.BENCH_BASELINE_TOPDIR === '1';
/** BENCH_SHAPE=big: each data layer is 8 big files (as in `npm run bench`'s pull-60mb) instead of a distro-like mix. */
const SHAPE = process.env.BENCH_SHAPE ?? 'mixed';

/** A layer of about `mb` MB: a few 2 MB files and many 16 kB ones (like a distro layer), or 8 big files. */
function dataLayer(tmp: string, n: number, mb: number): Layer {
  const dir = fs.mkdtempSync(path.join(tmp, `l${n}-`));
  if (SHAPE === 'big') {
    for (let i = 0; i < 8; i++) fs.writeFileSync(path.join(dir, `blob${i}`), randomBytes(Math.floor((mb << 20) / 8)));
    const l = layerFromDir(dir);
    fs.rmSync(dir, { recursive: true, force: true });
    return l;
  }
  const bigCount = Math.floor((mb * 0.7) / 2);
  for (let i = 0; i < bigCount; i++) fs.writeFileSync(path.join(dir, `big-${i}.bin`), randomBytes(2 << 20));
  const small = Math.floor(((mb - bigCount * 2) << 20) / 16384);
  for (let i = 0; i < small; i++) {
    const d = path.join(dir, `d${Math.floor(i / 100)}`);
    if (i % 100 === 0) fs.mkdirSync(d);
    fs.writeFileSync(path.join(d, `f${i}`), randomBytes(16384));
  }
  const l = layerFromDir(dir);
  fs.rmSync(dir, { recursive: true, force: true });
  return l;
}

async function main(): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-pull-'));
  const reg = await startRegistry();
  try {
    const per = (TOTAL_MB - 1) / 3;
    const layers = [busyboxLayer(tmp), dataLayer(tmp, 1, per), dataLayer(tmp, 2, per), dataLayer(tmp, 3, per)];
    const mb = layers.reduce((n, l) => n + l.tgz.length, 0) / 1e6;
    writeOciLayout(path.join(tmp, 'oci'), 'v1', [{ layers }]);
    const ref = `${reg.host}/bench/pull:v1`;
    await skopeoPush(path.join(tmp, 'oci'), 'v1', ref, { format: 'v2s2' });
    console.log(`image: ${layers.length} layers, ${mb.toFixed(1)} MB compressed; driver ${DRIVER}; ${RUNS} runs`);

    const berth: number[] = [];
    const baseline: number[] = [];
    const berthCpu: number[] = [];
    const baseCpu: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      // berth: a fresh data root each time, so every byte is downloaded and applied.
      const root = path.join(tmp, `root-${run}`);
      const kernel = await makeTestKernel({
        dataRoot: root,
        builtins: [`plugins/graphdriver-${DRIVER}`, 'plugins/registry'],
        config: { 'storage-driver': DRIVER, 'plugin-options': { 'registry.distribution': { certsDir: path.join(tmp, 'certs.d'), dockerConfig: path.join(tmp, 'none.json') } } },
      });
      try {
        await setupImages(kernel);
        const prof = PROFILE ? new Session() : null;
        if (prof) { prof.connect(); await prof.post('Profiler.enable'); await prof.post('Profiler.start'); }
        const th0 = THREADS ? threadCpu() : null;
        perfCtl('enable');
        const c0 = selfCpu();
        const t0 = now();
        await kernel.engine.run('image.pull', { fromImage: ref }, { io: TRACE ? traceIO(() => t0) : nullIO() });
        berth.push(now() - t0);
        perfCtl('disable');
        berthCpu.push(selfCpu() - c0);
        if (th0) console.log(`  threads (user/sys ms): ${threadDelta(th0, threadCpu())}`);
        if (prof && PROFILE) {
          const { profile } = await prof.post('Profiler.stop');
          fs.mkdirSync(PROFILE, { recursive: true });
          fs.writeFileSync(path.join(PROFILE, `pull-${run}.cpuprofile`), JSON.stringify(profile));
          prof.disconnect();
        }
      } finally {
        await kernel.close();
        fs.rmSync(root, { recursive: true, force: true });
      }

      // Baseline: skopeo copy to a directory, then tar -x of each layer in order.
      const dir = path.join(tmp, `skopeo-${run}`);
      // BENCH_BASELINE_TOPDIR=1: tar extracts below a directory with ext4's T attribute, as berth's
      // overlay2 home has (each rootfs in a block group of its own): the inode allocator's cost out of the comparison.
      const destParent = TOPDIR_BASELINE ? path.join(tmp, 'top') : tmp;
      if (TOPDIR_BASELINE && !fs.existsSync(destParent)) { fs.mkdirSync(destParent); execFileSync('chattr', ['+T', destParent]); }
      const dest = path.join(destParent, `rootfs-${run}`);
      fs.mkdirSync(dest);
      const c1 = childCpu();
      const cs1 = childCpuSplit();
      const t1 = now();
      await skopeo(['copy', '--quiet', '--src-tls-verify=false', `docker://${ref}`, `dir:${dir}`]);
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { layers: Array<{ digest: string }> };
      for (const l of manifest.layers) execFileSync('tar', ['-xzf', path.join(dir, l.digest.slice(7)), '-C', dest]);
      baseline.push(now() - t1);
      baseCpu.push(childCpu() - c1);
      if (THREADS) console.log(`  skopeo + tar (user/sys ms): ${childCpuSplit().map((v, i) => v - cs1[i]).join('/')}`);
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(dest, { recursive: true, force: true });
      console.log(`run ${run + 1}: berth ${berth[run].toFixed(0)} ms (cpu ${berthCpu[run].toFixed(0)} ms), skopeo copy + tar -x ${baseline[run].toFixed(0)} ms (cpu ${baseCpu[run].toFixed(0)} ms)`);
    }
    const b = median(berth);
    const s = median(baseline);
    console.log(`median: berth pull ${b.toFixed(0)} ms (${(mb / (b / 1000)).toFixed(1)} MB/s), skopeo copy + tar -x ${s.toFixed(0)} ms`);
    console.log(`cpu (user+sys, all threads; the registry excluded): berth ${median(berthCpu).toFixed(0)} ms, skopeo + tar ${median(baseCpu).toFixed(0)} ms, ratio ${(median(berthCpu) / median(baseCpu)).toFixed(2)}x`);
    console.log(`ratio berth / (skopeo + tar): ${(b / s).toFixed(2)}x (goal <= 1.0x)`);
  } finally {
    await reg.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => { console.error(err); process.exit(1); });
