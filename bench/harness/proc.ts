/** Small process helpers for the benchmark harness: run a command, time it, wait for a socket. */
import { spawn, type SpawnOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';

export interface RunResult { code: number; stdout: string; stderr: string; ms: number }

/** Runs a command to completion; resolves with its output, exit code and wall time. Never rejects on exit code. */
export function run(cmd: string, args: string[], opts: SpawnOptions & { input?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { ...opts, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr!.on('data', (c: Buffer) => { stderr += c.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr, ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
    if (opts.input !== undefined) {
      child.stdin!.on('error', () => undefined); // a command that exits without reading all its input
      child.stdin!.end(opts.input);
    }
  });
}

/** Like run, but throws with the command's stderr when it exits non-zero. */
export async function must(cmd: string, args: string[], opts: SpawnOptions & { input?: string } = {}): Promise<RunResult> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
  return r;
}

/** GET `path` over a unix socket; resolves with status, body and wall time. */
export function unixGet(socketPath: string, path: string): Promise<{ status: number; body: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    http.get({ socketPath, path, headers: { Host: 'docker' } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
    }).on('error', reject);
  });
}

/** Waits until `GET /_ping` on the socket answers 200, or throws after `timeoutMs`. */
export async function waitForPing(socketPath: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (fs.existsSync(socketPath)) {
      try {
        if ((await unixGet(socketPath, '/_ping')).status === 200) return;
      } catch { /* not yet */ }
    }
    if (Date.now() > end) throw new Error(`no answer on ${socketPath} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The pids of `rootPids` and all their descendants (from /proc), with each one's status and stat text. */
function treeProcs(rootPids: number[]): Map<number, { status: string; stat: string }> {
  const children = new Map<number, number[]>();
  const procs = new Map<number, { status: string; stat: string }>();
  for (const e of fs.readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(e)) continue;
    try {
      const status = fs.readFileSync(`/proc/${e}/status`, 'utf8');
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(/^PPid:\s+([0-9]+)/m.exec(status)?.[1] ?? 0);
      procs.set(Number(e), { status, stat });
      children.set(ppid, [...(children.get(ppid) ?? []), Number(e)]);
    } catch { /* exited */ }
  }
  const out = new Map<number, { status: string; stat: string }>();
  const stack = [...rootPids];
  while (stack.length) {
    const p = stack.pop()!;
    if (out.has(p)) continue;
    const pr = procs.get(p);
    if (pr) out.set(p, pr);
    stack.push(...(children.get(p) ?? []));
  }
  return out;
}

/** Whether `pid` runs in another PID namespace than the harness (a container's process). */
export function inContainer(pid: number): boolean {
  try {
    return fs.readlinkSync(`/proc/${pid}/ns/pid`) !== fs.readlinkSync('/proc/self/ns/pid');
  } catch {
    return false;
  }
}

/**
 * Resident set size in KiB of a pid and all its descendants (from /proc); with
 * `engineOnly`, leaving out processes in other PID namespaces (the containers'
 * own processes, which are the workload, not the engine).
 */
export function treeRssKiB(rootPids: number[], engineOnly = false): number {
  let total = 0;
  for (const [pid, { status }] of treeProcs(rootPids)) {
    if (engineOnly && inContainer(pid)) continue;
    total += Number(/^VmRSS:\s+([0-9]+)/m.exec(status)?.[1] ?? 0);
  }
  return total;
}

/** `comm[pid]:rssKiB(anon …,file …)` of each process of the trees of `rootPids` (BENCH_RSS_DETAIL: what an rss figure is made of). */
export function procSummary(rootPids: number[]): string {
  return [...treeProcs(rootPids)].map(([pid, { status }]) =>
    `${/^Name:\s+(\S+)/m.exec(status)?.[1] ?? '?'}[${pid}]:${/^VmRSS:\s+([0-9]+)/m.exec(status)?.[1] ?? 0}` +
    `(anon ${/^RssAnon:\s+([0-9]+)/m.exec(status)?.[1] ?? 0},file ${/^RssFile:\s+([0-9]+)/m.exec(status)?.[1] ?? 0})`).join(' ');
}

/** CPU time (user + system, clock ticks) used so far by a pid and all its descendants, with the set of pids counted. */
export function treeCpuTicks(rootPids: number[]): { ticks: number; pids: Set<number> } {
  let ticks = 0;
  const procs = treeProcs(rootPids);
  for (const { stat } of procs.values()) {
    // fields after the ")" of comm: state is field 3, utime 14, stime 15
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(f[11]) + Number(f[12]);
  }
  return { ticks, pids: new Set(procs.keys()) };
}

/**
 * Waits until the processes of `pids()` (and their descendants) are idle: at most `maxTicks`
 * clock ticks (10 ms each) of CPU between two samples `windowMs` apart, over the same set of
 * processes; gives up after `capMs`. Resolves with the time it waited and whether it settled.
 * The benchmark applies the same rule to both engines before each rss sample: sampling right
 * after a burst of work measures the burst's garbage, not the idle engine.
 */
export async function settle(pids: () => number[], opts: { windowMs?: number; capMs?: number; maxTicks?: number } = {}): Promise<{ ms: number; settled: boolean }> {
  const windowMs = opts.windowMs ?? 2000;
  const capMs = opts.capMs ?? 30_000;
  const maxTicks = opts.maxTicks ?? 1;
  const t0 = Date.now();
  let prev = treeCpuTicks(pids());
  for (;;) {
    await new Promise((r) => setTimeout(r, windowMs));
    const cur = treeCpuTicks(pids());
    const same = cur.pids.size === prev.pids.size && [...cur.pids].every((p) => prev.pids.has(p));
    if (same && cur.ticks - prev.ticks <= maxTicks) return { ms: Date.now() - t0, settled: true };
    if (Date.now() - t0 >= capMs) return { ms: Date.now() - t0, settled: false };
    prev = cur;
  }
}

/**
 * Pids whose environment holds `entry` (`NAME=value`): every process an engine runs inherits
 * the tag the harness started it with (shims and helpers that left its process tree too), while
 * container processes get their own environment.
 */
export function pidsWithEnv(entry: string): number[] {
  const out: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(e)) continue;
    try {
      if (fs.readFileSync(`/proc/${e}/environ`, 'utf8').split('\0').includes(entry)) out.push(Number(e));
    } catch { /* exited */ }
  }
  return out;
}

/** Pids whose command line contains `needle` (for shims that left the daemon's tree). */
export function pidsMatching(needle: string): number[] {
  const out: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(e)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${e}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(needle)) out.push(Number(e));
    } catch { /* exited */ }
  }
  return out;
}
