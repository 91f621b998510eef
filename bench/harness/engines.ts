/**
 * Starts and stops the two engines the benchmark compares: a reference
 * dockerd (Debian's docker.io) and berthd, each on its own socket, data root
 * and exec root under one temporary directory. Firewall state is saved
 * before and restored after, since dockerd leaves its chains behind and sets
 * the FORWARD policy to DROP.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { must, pidsMatching, pidsWithEnv, run, waitForPing } from './proc';

export interface Engine {
  name: 'berth' | 'dockerd';
  socket: string;
  /** Environment for the `docker` CLI pointed at this engine. */
  env: NodeJS.ProcessEnv;
  /** Pids whose process trees make up the engine (for RSS). */
  rootPids(): number[];
  /** Pids of this engine's own container shims (not other engines' on the machine). */
  shimPids(): number[];
  /**
   * Every process the engine runs, wherever it was reparented: the engine is started with
   * BENCH_ENGINE_TAG in its environment, which its helpers inherit (berth-shim's zygote and
   * the shims, containerd and its shims); container processes have their own environment.
   */
  taggedPids(): number[];
  stop(): Promise<void>;
}

const REPO = path.resolve(__dirname, '..', '..', '..');

function cmdline(pid: number): string {
  try { return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' '); } catch { return ''; }
}

function cliEnv(socket: string): NodeJS.ProcessEnv {
  return { ...process.env, DOCKER_HOST: `unix://${socket}`, DOCKER_CLI_HINTS: 'false', DOCKER_CONFIG: path.join(path.dirname(socket), 'cli') };
}

async function stopChild(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await done;
  clearTimeout(t);
}

/** Starts Debian's dockerd with its own data root; requires `/usr/sbin/dockerd`. */
export async function startDockerd(dir: string): Promise<Engine> {
  const root = path.join(dir, 'dockerd');
  fs.mkdirSync(path.join(root, 'cli'), { recursive: true });
  const socket = path.join(root, 'docker.sock');
  const log = fs.openSync(path.join(root, 'dockerd.log'), 'a');
  const child = spawn('/usr/sbin/dockerd', [
    '--data-root', path.join(root, 'data'), '--exec-root', path.join(root, 'exec'),
    '--pidfile', path.join(root, 'dockerd.pid'), '-H', `unix://${socket}`,
    '--storage-driver', 'overlay2', '--log-level', 'warn',
  ], { stdio: ['ignore', log, log], env: { ...process.env, BENCH_ENGINE_TAG: root } });
  await waitForPing(socket, 60_000);
  return {
    name: 'dockerd', socket, env: cliEnv(socket),
    rootPids: () => [child.pid!],
    // containerd-shim-runc-v2 … -address <exec-root>/containerd/containerd.sock
    shimPids: () => pidsMatching('containerd-shim').filter((p) => cmdline(p).includes(path.join(root, 'exec'))),
    taggedPids: () => pidsWithEnv(`BENCH_ENGINE_TAG=${root}`),
    async stop() {
      await run('docker', ['rm', '-f', ...(await run('docker', ['ps', '-aq'], { env: cliEnv(socket) })).stdout.split('\n').filter(Boolean)], { env: cliEnv(socket) });
      await stopChild(child, 30_000);
      fs.closeSync(log);
      await run('ip', ['link', 'del', 'docker0']);
      // dockerd leaves overlay and netns mounts under its roots.
      for (const l of fs.readFileSync('/proc/mounts', 'utf8').split('\n').reverse()) {
        const mp = l.split(' ')[1];
        if (mp && mp.startsWith(root)) await run('umount', ['-l', mp]);
      }
    },
  };
}

/** Starts berthd from this checkout's build, with a config file in the temp dir. */
export async function startBerthd(dir: string): Promise<Engine> {
  const root = path.join(dir, 'berthd');
  fs.mkdirSync(path.join(root, 'cli'), { recursive: true });
  const socket = path.join(root, 'berth.sock');
  const config = path.join(root, 'daemon.json');
  // Shim sockets live at <exec-root>/containers/<64 hex>/: keep the exec root short (unix socket paths ≤ 107 bytes).
  const execRoot = fs.mkdtempSync('/tmp/btb-');
  fs.writeFileSync(config, JSON.stringify({
    'data-root': path.join(root, 'data'), 'exec-root': execRoot,
    pidfile: path.join(root, 'berthd.pid'), hosts: [`unix://${socket}`], 'log-level': process.env.BENCH_BERTH_LOG_LEVEL || 'warn',
    // Its own bridge and cgroup parent, removed in stop(): a bench must not meet a real berthd's.
    bridge: 'btbench0', 'cgroup-parent': 'btbench',
  }));
  const log = fs.openSync(path.join(root, 'berthd.log'), 'a');
  // BENCH_BERTH_NODE_ARGS: extra node flags for profiling (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`);
  // BENCH_BERTH_LOG: keep berthd's log there (with BENCH_BERTH_LOG_LEVEL=debug it has every job's time).
  const nodeArgs = (process.env.BENCH_BERTH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, path.join(REPO, 'dist/core/bin/berthd.js'), '--config-file', config],
    { stdio: ['ignore', log, log], env: { ...process.env, BENCH_ENGINE_TAG: root } });
  await waitForPing(socket, 60_000);
  return {
    name: 'berth', socket, env: cliEnv(socket),
    rootPids: () => [child.pid!],
    // berth-shim --fork <exec-root>/containers/<id>
    shimPids: () => pidsMatching('berth-shim').filter((p) => cmdline(p).includes(execRoot)),
    taggedPids: () => pidsWithEnv(`BENCH_ENGINE_TAG=${root}`),
    async stop() {
      await run('docker', ['rm', '-f', ...(await run('docker', ['ps', '-aq'], { env: cliEnv(socket) })).stdout.split('\n').filter(Boolean)], { env: cliEnv(socket) });
      await stopChild(child, 30_000);
      fs.closeSync(log);
      if (process.env.BENCH_BERTH_LOG) fs.copyFileSync(path.join(root, 'berthd.log'), process.env.BENCH_BERTH_LOG);
      for (const l of fs.readFileSync('/proc/mounts', 'utf8').split('\n').reverse()) {
        const mp = l.split(' ')[1];
        if (mp && (mp.startsWith(root) || mp.startsWith(execRoot))) await run('umount', ['-l', mp]);
      }
      fs.rmSync(execRoot, { recursive: true, force: true });
      await run('ip', ['link', 'del', 'btbench0']);
      for (const c of fs.readdirSync('/sys/fs/cgroup')) {
        const dir = path.join('/sys/fs/cgroup', c, 'btbench');
        if (fs.existsSync(dir)) fs.rmdirSync(dir);
      }
    },
  };
}

/** Saves iptables and ip_forward state; the returned function restores it. */
export async function saveFirewall(): Promise<() => Promise<void>> {
  const v4 = (await must('iptables-save', [])).stdout;
  const fwd = fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
  return async () => {
    await must('iptables-restore', [], { input: v4 });
    fs.writeFileSync('/proc/sys/net/ipv4/ip_forward', fwd);
  };
}
