/**
 * A real berthd for the acceptance tests: the compiled `berthd` as a child
 * process on a test socket, with its data root under /tmp/berth-test-acc-*
 * and a short exec root /tmp/bt-* (shim sockets must fit 108 bytes), its own bridge (`bt-…`), veth prefix, iptables chain
 * prefix (`BT…`), subnets (10.216.0.0/16) and cgroup parent, so it cannot touch
 * a real berthd. `stop()` removes every container and network it made through
 * the API, stops the daemon, and then deletes whatever kernel objects remain
 * (bridges, chains, mounts, cgroups) and the temp dir.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { makeBusyboxRootfs } from '../helpers/busybox-rootfs';
import { neverPullFromOutside } from '../helpers/never-pull';

/** The compiled package root (this file is dist/test/acceptance/acceptance-env.js). */
const DIST = path.resolve(__dirname, '..', '..');
const BERTHD_JS = path.join(DIST, 'core', 'bin', 'berthd.js');
/** The docker CLI on the machine. */
export const DOCKER = ['/usr/local/bin/docker', '/usr/bin/docker'].find((p) => fs.existsSync(p));

export interface RunResult { code: number; stdout: string; stderr: string }

export interface AcceptanceDaemon {
  dir: string;
  socket: string;
  /** `unix://<socket>` for DOCKER_HOST. */
  host: string;
  bridge: string;
  /** Runs the real docker CLI against this daemon (DOCKER_HOST = the unix socket; `-H` in args overrides). */
  docker(args: string[], opts?: { input?: string | Buffer }): Promise<RunResult>;
  /** Like docker(), but rejects with the output when the exit code is not 0. */
  dockerOk(args: string[], opts?: { input?: string | Buffer }): Promise<string>;
  /** The daemon's log so far (for failure messages). */
  log(): string;
  /** Stops berthd (SIGTERM) without cleaning anything up: containers stay as shutdown leaves them. */
  shutdown(): Promise<void>;
  /** shutdown(), then a new berthd on the same roots and socket, waiting until it answers. */
  restart(): Promise<void>;
  /** Whether the berthd process is running. */
  alive(): boolean;
  /** The pid of the current berthd process. */
  pid(): number;
  /** How the last berthd exited: its exit code, or the signal that killed it. */
  lastExit(): { code: number | null; signal: string | null };
  stop(): Promise<void>;
}

/** Runs a command asynchronously (the daemon is a separate process, but keep the event loop free anyway). */
export function run(cmd: string, args: string[], opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

function ping(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath: socket, path: '/_ping', agent: false }, (res) => { res.resume(); resolve(res.statusCode === 200); });
    req.on('error', () => resolve(false));
  });
}

/** Built-in plugins whose compiled module is missing (left out of the test config). */
function missingBuiltins(): string[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { BUILTIN_PLUGINS } = require(path.join(DIST, 'core', 'plugins', 'builtin.js')) as { BUILTIN_PLUGINS: string[] };
  return BUILTIN_PLUGINS.filter((ref) => !fs.existsSync(path.join(DIST, ref, 'index.js')));
}

function unmountUnder(dir: string): void {
  const text = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  const points = text.split('\n').map((l) => l.split(' ')[4]).filter((p) => p && (p === dir || p.startsWith(`${dir}/`)))
    .sort((a, b) => b.length - a.length);
  for (const p of points) {
    try { execFileSync('umount', ['-l', p], { stdio: 'ignore' }); } catch { /* gone */ }
  }
}

/** Removes the jumps into chains named `<prefix>…` and the chains themselves, in nat and filter. */
function purgeChains(prefix: string): void {
  for (const table of ['nat', 'filter']) {
    let lines: string[];
    try { lines = execFileSync('iptables', ['-w', '-t', table, '-S'], { encoding: 'utf8' }).split('\n'); } catch { continue; }
    for (const l of lines) {
      if (l.startsWith('-A ') && l.includes(`-j ${prefix}`) && !l.startsWith(`-A ${prefix}`)) {
        try { execFileSync('iptables', ['-w', '-t', table, ...l.replace(/^-A /, '-D ').split(' ')], { stdio: 'ignore' }); } catch { /* gone */ }
      }
    }
    const chains = lines.filter((l) => l.startsWith(`-N ${prefix}`)).map((l) => l.slice(3));
    for (const c of chains) { try { execFileSync('iptables', ['-w', '-t', table, '-F', c], { stdio: 'ignore' }); } catch { /* gone */ } }
    for (const c of chains) { try { execFileSync('iptables', ['-w', '-t', table, '-X', c], { stdio: 'ignore' }); } catch { /* gone */ } }
  }
}

/** SIGKILLs every process still in a cgroup under `parent` (a test that failed half-way). */
function killCgroupProcs(parent: string): void {
  const root = '/sys/fs/cgroup';
  const walk = (dir: string): void => {
    let entries: fs.Dirent[] = [];
    try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { return; }
    for (const e of entries) if (e.isDirectory()) walk(path.join(dir, e.name));
    let procs = '';
    try { procs = fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8'); } catch { return; }
    for (const pid of procs.split('\n').filter(Boolean)) { try { process.kill(Number(pid), 'SIGKILL'); } catch { /* gone */ } }
  };
  let ctrls: string[] = [];
  try { ctrls = fs.readdirSync(root); } catch { return; }
  for (const c of ctrls) walk(path.join(root, c, parent));
  walk(path.join(root, parent));
}

function removeCgroups(parent: string): void {
  const root = '/sys/fs/cgroup';
  const rmTree = (dir: string): void => {
    let entries: fs.Dirent[] = [];
    try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { return; }
    for (const e of entries) if (e.isDirectory()) rmTree(path.join(dir, e.name));
    try { fs.rmdirSync(dir); } catch { /* busy or gone */ }
  };
  let ctrls: string[] = [];
  try { ctrls = fs.readdirSync(root); } catch { return; }
  for (const c of ctrls) rmTree(path.join(root, c, parent));
  rmTree(path.join(root, parent));
}

/** Starts berthd with fresh state and waits until it answers /_ping. */
export async function startAcceptanceDaemon(extraConfig: Record<string, unknown> = {}, extraHosts: string[] = []): Promise<AcceptanceDaemon> {
  const h = randomBytes(2).toString('hex');
  const bridge = `bt-a${h}`;
  const chainPrefix = `BTA${h.toUpperCase()}`;
  const cgroupParent = `bt-acc-${h}`;
  const dir = fs.mkdtempSync('/tmp/berth-test-acc-');
  // Short: the shim's socket lives at <exec-root>/containers/<64 hex>/shim.sock (108-byte limit).
  const execRoot = fs.mkdtempSync('/tmp/bt-');
  const socket = path.join(dir, 'berth.sock');
  const ipForward = fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
  const config = {
    ...extraConfig,
    'disable-plugins': missingBuiltins(),
    'storage-driver': 'overlay2',
    bridge,
    bip: `10.216.${1 + (randomBytes(1)[0] % 250)}.1/24`,
    'default-address-pools': [{ base: '10.217.0.0/16', size: 24 }],
    'cgroup-parent': cgroupParent,
    'plugin-options': { 'networkdriver.bridge': { vethPrefix: `bta${h.slice(0, 2)}`, chainPrefix, defaultBridge: bridge } },
  };
  fs.writeFileSync(path.join(dir, 'daemon.json'), JSON.stringify(config));
  fs.mkdirSync(path.join(dir, 'docker-config'));
  const logFile = path.join(dir, 'berthd.log');
  const spawnBerthd = (): ChildProcess => {
    const logFd = fs.openSync(logFile, 'a');
    const c = spawn(process.execPath, [BERTHD_JS, '--config-file', path.join(dir, 'daemon.json'),
      '--data-root', path.join(dir, 'data'), '--exec-root', execRoot, '-H', `unix://${socket}`, ...extraHosts.flatMap((h) => ['-H', h]),
      '--pidfile', path.join(dir, 'berthd.pid')], { stdio: ['ignore', logFd, logFd] });
    fs.closeSync(logFd);
    return c;
  };
  let child = spawnBerthd();
  const host = `unix://${socket}`;
  const env = { ...process.env, DOCKER_HOST: host, DOCKER_CONFIG: path.join(dir, 'docker-config') };
  const log = (): string => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');

  let stopped = false;
  let everUp = false;
  /** SIGTERM (SIGKILL after 20 s) and wait for the exit. */
  const terminate = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 20000);
    await exited;
    clearTimeout(t);
  };
  const waitUp = async (): Promise<boolean> => {
    for (let i = 0; i < 400 && !(await ping(socket)); i++) {
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    return ping(socket);
  };
  const docker = (args: string[], opts: { input?: string | Buffer } = {}): Promise<RunResult> => {
    if (!DOCKER) throw new Error('no docker CLI on this machine');
    return run(DOCKER, neverPullFromOutside(args), { input: opts.input, env });
  };
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    try {
      // Containers left running across a shutdown (live-restore) are removed through a new berthd.
      if (!(child.exitCode === null && child.signalCode === null) && everUp) {
        child = spawnBerthd();
        await waitUp();
      }
      if (child.exitCode === null && child.signalCode === null) {
        const ids = (await docker(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
        if (ids.length > 0) await docker(['rm', '-f', ...ids]);
        await docker(['network', 'prune', '-f']);
      }
      await terminate();
    } finally {
      unmountUnder(dir);
      unmountUnder(execRoot);
      for (const link of fs.readdirSync('/sys/class/net')) {
        if (link === bridge) { try { execFileSync('ip', ['link', 'del', link], { stdio: 'ignore' }); } catch { /* gone */ } }
      }
      purgeChains(chainPrefix);
      killCgroupProcs(cgroupParent);
      removeCgroups(cgroupParent);
      fs.writeFileSync('/proc/sys/net/ipv4/ip_forward', ipForward);
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(execRoot, { recursive: true, force: true });
    }
  };

  everUp = await waitUp();
  if (!everUp) {
    const text = log().slice(-4000);
    await stop();
    throw new Error(`berthd did not come up on ${socket}:\n${text}`);
  }
  return {
    dir, socket, host, bridge, docker, log, stop,
    async shutdown() {
      await terminate();
    },
    async restart() {
      await terminate();
      // A test that timed out may still run while stop() cleans up: never start a daemon after it.
      if (stopped) throw new Error('berthd was stopped; not restarting it');
      child = spawnBerthd();
      if (!(await waitUp())) throw new Error(`berthd did not come back on ${socket}:\n${log().slice(-4000)}`);
    },
    alive: () => child.exitCode === null && child.signalCode === null,
    pid: () => child.pid ?? -1,
    lastExit: () => ({ code: child.exitCode, signal: child.signalCode }),
    async dockerOk(args, opts) {
      const r = await docker(args, opts);
      if (r.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
      return r.stdout;
    },
  };
}

/** A tar of a busybox root filesystem (for `docker import`), made with the host's tar. */
export async function busyboxTar(dir: string): Promise<Buffer> {
  const root = makeBusyboxRootfs(path.join(dir, 'busybox-rootfs'));
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    const p = spawn('tar', ['-C', root, '-cf', '-', '.']);
    p.stdout.on('data', (d: Buffer) => chunks.push(d));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`tar exited ${code}`))));
  });
  fs.rmSync(root, { recursive: true, force: true });
  return Buffer.concat(chunks);
}
