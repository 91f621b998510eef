/**
 * Test harness for the berth CLI: starts the compiled berthd on a temp
 * socket, data root and exec root (never /run/berth or /var/lib/berth),
 * runs the compiled `berth` against it, and tears everything down — the
 * daemon, leftover mounts under the temp dir, the dir itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { neverPullFromOutside } from '../../helpers/never-pull';

/** The compiled package root (this file is dist/test/core/cli/berthd-harness.js). */
export const DIST = path.resolve(__dirname, '..', '..', '..');
export const BERTH_JS = path.join(DIST, 'core', 'bin', 'berth.js');
export const BERTHD_JS = path.join(DIST, 'core', 'bin', 'berthd.js');

export interface CliResult { status: number | null; stdout: string; stderr: string }

export interface Berthd {
  dir: string;
  host: string;
  socket: string;
  dataRoot: string;
  execRoot: string;
  /** Runs `berth args…` against this daemon. */
  berth(args: string[], opts?: { input?: string | Buffer; env?: Record<string, string> }): Promise<CliResult>;
  /** Stops the daemon (SIGTERM, then SIGKILL) and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

/** Built-in plugins whose compiled module exists (the others are disabled in the test config). */
export function missingBuiltins(): string[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { BUILTIN_PLUGINS } = require(path.join(DIST, 'core', 'plugins', 'builtin.js')) as { BUILTIN_PLUGINS: string[] };
  return BUILTIN_PLUGINS.filter((ref) => !fs.existsSync(path.join(DIST, ref, 'index.js')));
}

/** Runs the compiled berth CLI with `BERTH_HOST=host`. */
export function runBerth(host: string, args: string[], opts: { input?: string | Buffer; env?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BERTH_JS, ...neverPullFromOutside(args)], {
      env: { ...process.env, BERTH_HOST: host, ...(opts.env ?? {}) }, stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

function ping(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath: socket, path: '/_ping', agent: false }, (res) => { res.resume(); resolve(res.statusCode === 200); });
    req.on('error', () => resolve(false));
  });
}

/** Unmounts anything still mounted under `dir` (deepest first), lazily. */
export function unmountUnder(dir: string): void {
  let text = '';
  try { text = fs.readFileSync('/proc/self/mountinfo', 'utf8'); } catch { return; }
  const points = text.split('\n').map((l) => l.split(' ')[4]).filter((p) => p && (p === dir || p.startsWith(`${dir}/`)))
    .sort((a, b) => b.length - a.length);
  for (const p of points) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require('node:child_process').execFileSync('umount', ['-l', p], { stdio: 'ignore' });
    } catch { /* already gone */ }
  }
}

/**
 * Removes a bridge the test's daemon created and every iptables rule naming
 * it (berthd leaves its default bridge up when it stops, as dockerd does).
 */
export function removeBridge(name: string): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
  for (const table of ['nat', 'filter']) {
    let rules = '';
    try { rules = execFileSync('iptables', ['-t', table, '-S'], { encoding: 'utf8' }); } catch { continue; }
    for (const r of rules.split('\n').filter((l) => l.startsWith('-A ') && new RegExp(`\\b${name}\\b`).test(l))) {
      try { execFileSync('sh', ['-c', `iptables -t ${table} ${r.replace(/^-A /, '-D ')}`], { stdio: 'ignore' }); } catch { /* gone */ }
    }
  }
  if (fs.existsSync(`/sys/class/net/${name}`)) {
    try { execFileSync('ip', ['link', 'del', name], { stdio: 'ignore' }); } catch { /* gone */ }
  }
}

/** Removes the cgroup `name` (the daemon's cgroup-parent) from every hierarchy, children first. */
export function removeCgroup(name: string): void {
  const roots = fs.existsSync('/sys/fs/cgroup') ? fs.readdirSync('/sys/fs/cgroup').map((c) => path.join('/sys/fs/cgroup', c)) : [];
  for (const base of [...roots, '/sys/fs/cgroup']) {
    const top = path.join(base, name);
    if (!fs.existsSync(top)) continue;
    const dirs: string[] = [];
    const walk = (d: string): void => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(d, e.name));
      dirs.push(d);
    };
    try { walk(top); } catch { continue; }
    for (const d of dirs) { try { fs.rmdirSync(d); } catch { /* busy or gone */ } }
  }
}

/**
 * Removes what a test daemon leaves after it stopped: its bridge and cgroup
 * parent (both named `bridge`), mounts under its data and exec roots, and the
 * roots themselves.
 */
export function removeDaemonLeftovers(bridge: string, dir: string, execRoot: string): void {
  removeBridge(bridge);
  removeCgroup(bridge);
  unmountUnder(dir);
  unmountUnder(execRoot);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(execRoot, { recursive: true, force: true });
}

/**
 * Starts berthd with a fresh temp state; rejects (after cleaning up) if it
 * does not answer /_ping. The default bridge gets a test-only name
 * (`btcli<hex>`), used as the cgroup parent too, and iptables is off unless
 * `extraConfig` says otherwise; stop() removes that bridge and cgroup.
 */
export async function startBerthd(extraConfig: Record<string, unknown> = {}): Promise<Berthd> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-cli-'));
  const bridge = `btcli${Math.floor(Math.random() * 0xfffff).toString(16).padStart(5, '0')}`;
  const socket = path.join(dir, 'berth.sock');
  const dataRoot = path.join(dir, 'data');
  // The exec driver puts a unix socket at <exec-root>/containers/<64 hex>/shim.sock (107 bytes
  // at most), so the exec root must stay under 22 characters: /tmp/bt-XXXXXX, removed with the rest.
  const execRoot = fs.mkdtempSync('/tmp/bt-');
  const config = path.join(dir, 'daemon.json');
  fs.writeFileSync(config, JSON.stringify({
    'disable-plugins': missingBuiltins(), bridge, iptables: false, 'ip-forward': false, 'cgroup-parent': bridge, ...extraConfig,
  }));
  const logFile = path.join(dir, 'berthd.log');
  const log = fs.openSync(logFile, 'a');
  const child: ChildProcess = spawn(process.execPath, [BERTHD_JS, '--config-file', config, '--data-root', dataRoot,
    '--exec-root', execRoot, '-H', `unix://${socket}`, '--pidfile', path.join(dir, 'berthd.pid')],
  { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    try {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 10000);
        await exited;
        clearTimeout(t);
      }
    } finally {
      removeDaemonLeftovers(bridge, dir, execRoot);
    }
  };
  const host = `unix://${socket}`;
  for (let i = 0; i < 300 && !(await ping(socket)); i++) {
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!(await ping(socket))) {
    const text = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').slice(-3000) : '';
    await stop();
    throw new Error(`berthd did not come up on ${socket}:\n${text}`);
  }
  return {
    dir, host, socket, dataRoot, execRoot, stop,
    berth: (args, opts) => runBerth(host, args, opts),
  };
}
