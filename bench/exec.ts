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
import { NativeExecDriver, defaultContainerSpec } from '../plugins/execdriver-native';
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

/** State dirs live on tmpfs, like the exec-root /run/berth on a real host (here /run is on disk). */
async function benchBerth(rootfs: string): Promise<number[]> {
  const dir = fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'berth-bench-'));
  try { return await benchBerthIn(dir, rootfs); } finally { fs.rmSync(dir, { recursive: true, force: true }); }
}

async function benchBerthIn(dir: string, rootfs: string): Promise<number[]> {
  const driver = new NativeExecDriver({ seccompCacheDir: path.join(dir, 'seccomp-cache') });
  const times: number[] = [];
  for (let i = 0; i < RUNS + 3; i++) {
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
    const ms = Number(t3 - t0) / 1e6;
    if (st.exitCode !== 0) throw new Error(`true exited ${st.exitCode}`);
    if (i >= 3) { // warm-up runs are not counted
      times.push(ms);
      phases.start.push(Number(t1 - t0) / 1e6);
      phases.wait.push(Number(t2 - t1) / 1e6);
      phases.delete.push(Number(t3 - t2) / 1e6);
    }
  }
  for (const c of ['memory', 'cpu', 'cpuacct', 'cpuset', 'pids', 'blkio', 'freezer', 'devices', 'unified']) {
    try { fs.rmdirSync(`/sys/fs/cgroup/${c}/bt-bench`); } catch { /* absent */ }
  }
  return times;
}

function benchRunc(runc: string, dir: string, rootfs: string): number[] {
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
  const times: number[] = [];
  for (let i = 0; i < RUNS + 3; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(runc, ['run', '--bundle', bundle, `btbench-runc-${i}`], { stdio: 'ignore' });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`runc run failed with ${r.status}`);
    if (i >= 3) times.push(ms);
  }
  for (const c of ['memory', 'cpu', 'cpuacct', 'cpuset', 'pids', 'blkio', 'freezer', 'devices', 'systemd', 'unified']) {
    try { fs.rmdirSync(`/sys/fs/cgroup/${c}/bt-bench-runc/run`); } catch { /* absent */ }
    try { fs.rmdirSync(`/sys/fs/cgroup/${c}/bt-bench-runc`); } catch { /* absent */ }
  }
  return times;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-'));
  try {
    const rootfs = makeBusyboxRootfs(path.join(dir, 'rootfs'));
    const berth = median(await benchBerth(rootfs));
    console.log(`berth (execdriver-native): median ${berth.toFixed(2)} ms over ${RUNS} runs of \`true\` (start + wait + delete)`);
    console.log(`  phases (median ms): start ${median(phases.start).toFixed(2)}, wait ${median(phases.wait).toFixed(2)}, delete ${median(phases.delete).toFixed(2)}`);
    console.log(`  load average while measuring: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} on ${os.cpus().length} CPUs`);
    const runc = which('runc');
    if (!runc) {
      console.log('runc: not installed (apt-get install -y runc) — no ratio');
      return;
    }
    const r = median(benchRunc(runc, dir, rootfs));
    console.log(`runc run:                  median ${r.toFixed(2)} ms over ${RUNS} runs`);
    console.log(`ratio berth / runc: ${(berth / r).toFixed(3)}x (goal <= 0.25x)`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => { console.error(err); process.exitCode = 1; });
