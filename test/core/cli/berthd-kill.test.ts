import * as assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { hasBusybox, makeBusyboxRootfs } from '../../helpers/busybox-rootfs';
import { BERTHD_JS, missingBuiltins, removeDaemonLeftovers, runBerth } from './berthd-harness';

function ping(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath: socket, path: '/_ping', agent: false }, (res) => { res.resume(); resolve(res.statusCode === 200); });
    req.on('error', () => resolve(false));
  });
}

/**
 * Issue 3: kill -9 of berthd while a container prints. The container keeps
 * running under its shim, a new berthd on the same roots reconnects, and the
 * json log holds every line exactly once: what the dead daemon had read but
 * not stored is sent again by the shim (acknowledged log attach), what it had
 * stored is not (the resume point is derived from the log).
 */
describe('core/cli: kill -9 of berthd while a container prints', function () {
  this.timeout(180_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-cli-kill-'));
  const execRoot = fs.mkdtempSync('/tmp/bt-');
  const bridge = `btkil${Math.floor(Math.random() * 0xfffff).toString(16).padStart(5, '0')}`;
  const socket = path.join(dir, 'berth.sock');
  const host = `unix://${socket}`;
  const dataRoot = path.join(dir, 'data');
  let daemon: ChildProcess | null = null;

  const startDaemon = async (): Promise<ChildProcess> => {
    const log = fs.openSync(path.join(dir, 'berthd.log'), 'a');
    const child = spawn(process.execPath, [BERTHD_JS, '--config-file', path.join(dir, 'daemon.json'), '--data-root', dataRoot,
      '--exec-root', execRoot, '-H', host, '--pidfile', path.join(dir, 'berthd.pid')], { stdio: ['ignore', log, log] });
    fs.closeSync(log);
    daemon = child;
    for (let i = 0; i < 300 && !(await ping(socket)); i++) {
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    if (!(await ping(socket))) assert.fail(`berthd did not come up:\n${fs.readFileSync(path.join(dir, 'berthd.log'), 'utf8').slice(-3000)}`);
    return child;
  };
  const killDaemon = async (signal: NodeJS.Signals): Promise<void> => {
    const child = daemon;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(signal);
    const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  };

  before(function () {
    if (process.getuid?.() !== 0) { console.log('skip: needs root (namespaces, cgroups)'); this.skip(); }
    if (!hasBusybox()) { console.log('skip: no static busybox at /bin/busybox to build the test image'); this.skip(); }
    fs.writeFileSync(path.join(dir, 'daemon.json'), JSON.stringify({
      'disable-plugins': missingBuiltins(), bridge, iptables: false, 'ip-forward': false, 'cgroup-parent': bridge,
    }));
  });

  after(async () => {
    try {
      if (daemon && daemon.exitCode === null && daemon.signalCode === null) {
        const left = await runBerth(host, ['ps', '-a', '-q']);
        const ids = left.stdout.split('\n').filter(Boolean);
        if (ids.length) await runBerth(host, ['rm', '-f', ...ids]);
      }
      await killDaemon('SIGTERM');
    } finally {
      // shims of containers the test could not remove through a daemon
      for (const pidFile of findFiles(execRoot, 'shim.pid')) {
        const [shim, pid1] = fs.readFileSync(pidFile, 'utf8').trim().split(' ').map(Number);
        for (const p of [pid1, shim]) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
      }
      removeDaemonLeftovers(bridge, dir, execRoot);
    }
  });

  it('keeps the container running and loses or repeats no line of its output', async () => {
    await startDaemon();
    const root = makeBusyboxRootfs(path.join(dir, 'rootfs'));
    const tar = path.join(dir, 'busybox.tar');
    execFileSync('tar', ['-C', root, '-cf', tar, '.']);
    const imp = await runBerth(host, ['import', tar, 'bt-busybox:kill']);
    assert.equal(imp.status, 0, imp.stderr);
    // 20,000 numbered lines on stdout in bursts over about two seconds, one line per burst on stderr
    const script = 'b=0; while [ $b -lt 40 ]; do seq $((b*500+1)) $((b*500+500)); echo "burst $b" >&2; b=$((b+1)); usleep 50000; done';
    const run = await runBerth(host, ['run', '-d', '--name', 'bt-kill', '--network', 'none', 'bt-busybox:kill', 'sh', '-c', script]);
    assert.equal(run.status, 0, run.stderr);
    const id = run.stdout.trim();
    const logFile = path.join(dataRoot, 'containers', id, `${id}-json.log`);
    while (!fs.existsSync(logFile) || fs.statSync(logFile).size < 40_000) await new Promise((r) => setTimeout(r, 10));
    await killDaemon('SIGKILL');
    const atKill = fs.readFileSync(logFile, 'utf8').split('\n').length - 1;
    assert.ok(atKill > 0 && atKill < 20_040, `berthd died mid-output (${atKill} lines logged by then)`);

    await startDaemon();
    const w = await runBerth(host, ['wait', 'bt-kill']);
    assert.equal(w.stdout.trim(), '0', w.stderr);

    const records = fs.readFileSync(logFile, 'utf8').trimEnd().split('\n').map((r) => JSON.parse(r) as { log: string; stream: string });
    const nums = records.filter((r) => r.stream === 'stdout').map((r) => Number(r.log));
    const errs = records.filter((r) => r.stream === 'stderr').map((r) => r.log);
    const gap = nums.findIndex((n, i) => n !== i + 1);
    assert.equal(nums.length, 20_000, `${nums.length} stdout lines; first out of place at ${gap < 0 ? 'none' : gap + 1}; ${atKill} lines logged at the kill`);
    assert.equal(gap, -1, `line ${gap + 1} is ${nums[gap]}`);
    assert.deepEqual(errs, Array.from({ length: 40 }, (_, b) => `burst ${b}\n`));
    const logs = await runBerth(host, ['logs', '--tail', '3', 'bt-kill']);
    assert.equal(logs.stdout, '19999\n20000\n');
    assert.equal((await runBerth(host, ['rm', 'bt-kill'])).status, 0);
  });
});

function findFiles(root: string, name: string): string[] {
  const found: string[] = [];
  const walk = (d: string, depth: number): void => {
    let entries: fs.Dirent[] = [];
    try { entries = fs.readdirSync(d, { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      if (e.isDirectory() && depth < 4) walk(path.join(d, e.name), depth + 1);
      else if (e.name === name) found.push(path.join(d, e.name));
    }
  };
  walk(root, 0);
  return found;
}
