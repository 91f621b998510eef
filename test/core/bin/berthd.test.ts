/**
 * berthd as a whole: a third-party plugin outside the repository, named in
 * daemon.json, is loaded and listed by `berth plugins ls`; a failing one is
 * listed with its error while the daemon keeps running; SIGTERM stops the
 * daemon cleanly (exit 0, pid file and socket gone); TurboFan stays off
 * until the daemon first works hard.
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { BERTHD_JS, missingBuiltins, removeDaemonLeftovers, runBerth, startBerthd, type Berthd } from '../cli/berthd-harness';

function writePlugin(dir: string, name: string, id: string, init: string): string {
  const d = path.join(dir, name);
  fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(d, 'package.json'), JSON.stringify({ name, version: '2.1.0', main: 'index.js' }));
  fs.writeFileSync(path.join(d, 'index.js'),
    `module.exports = { default: { kind: 'generic', id: '${id}', version: '2.1.0', apiVersion: '^1.0.0', init(ctx) { ${init} } } };\n`);
  return d;
}

describe('berthd: third-party plugins and clean shutdown', () => {
  let pluginDir: string;
  let d: Berthd | undefined;
  before(() => { pluginDir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-3p-')); });
  after(async () => {
    await d?.stop();
    fs.rmSync(pluginDir, { recursive: true, force: true });
  });

  it('loads a plugin from outside the repo named in daemon.json and lists it with berth plugins ls', async () => {
    const good = writePlugin(pluginDir, 'berth-plugin-hello', 'hello', `ctx.engine.register('hello.say', () => 'hi', ctx.uri);`);
    const bad = writePlugin(pluginDir, 'berth-plugin-broken', 'broken', `throw new Error('needs /dev/zfs, which this host lacks');`);
    assert.ok(!good.startsWith(path.resolve(__dirname, '../../../..')), 'the plugin lives outside the repository');
    d = await startBerthd({ plugins: [good, { module: bad }] });
    const r = await d.berth(['plugins', 'ls']);
    assert.equal(r.status, 0, r.stderr);
    const line = (uri: string): string => r.stdout.split('\n').find((l) => l.startsWith(`${uri} `)) ?? '';
    assert.match(line('generic.hello'), /^generic\.hello\s+2\.1\.0\s+\^1\.0\.0\s+\/.*berth-plugin-hello\/index\.js\s+ok\b/);
    assert.match(line('generic.broken'), /\bfailed\b.*needs \/dev\/zfs, which this host lacks/);
    assert.match(line('graphdriver.vfs'), /\bbuiltin\s+ok\b/);
  });

  it('stops cleanly on SIGTERM: exit 0, pid file and socket removed', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-sigterm-'));
    const execRoot = fs.mkdtempSync('/tmp/bt-');
    const bridge = `btsig${Math.floor(Math.random() * 0xfffff).toString(16)}`;
    const socket = path.join(dir, 'berth.sock');
    const pidfile = path.join(dir, 'berthd.pid');
    const config = path.join(dir, 'daemon.json');
    fs.writeFileSync(config, JSON.stringify({ 'disable-plugins': missingBuiltins(), bridge, iptables: false, 'ip-forward': false, 'cgroup-parent': bridge }));
    const child = spawn(process.execPath, [BERTHD_JS, '--config-file', config, '--data-root', path.join(dir, 'data'),
      '--exec-root', execRoot, '-H', `unix://${socket}`, '--pidfile', pidfile], { stdio: 'ignore' });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      for (let i = 0; i < 300; i++) {
        if ((await runBerth(`unix://${socket}`, ['version']).catch(() => ({ status: 1 }))).status === 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(fs.readFileSync(pidfile, 'utf8').trim(), String(child.pid));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      assert.equal(fs.existsSync(pidfile), false, 'pid file removed');
      assert.equal(fs.existsSync(socket), false, 'socket removed');
    } finally {
      if (child.exitCode === null) { child.kill('SIGKILL'); await exited; }
      removeDaemonLeftovers(bridge, dir, execRoot);
    }
  });
  it('refuses a lean or start-up V8 flag with a value, naming the variable (exit 1, no stack)', async () => {
    for (const name of ['BERTHD_V8_LEAN_FLAGS', 'BERTHD_V8_START_FLAGS']) {
      const child = spawn(process.execPath, [BERTHD_JS, '--validate'], { env: { ...process.env, [name]: '--interrupt-budget=1000' }, stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
      const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
      assert.equal(code, 1, err);
      assert.equal(err, `berthd: ${name}: only boolean flags can be undone later: --interrupt-budget=1000\n`);
    }
  });

  it('keeps V8\'s optimising compiler off until it first works hard, then turns it on', async function () {
    this.timeout(60000);
    const busy = await startBerthd({ 'log-level': 'debug' });
    const logText = (): string => fs.readFileSync(path.join(busy.dir, 'berthd.log'), 'utf8');
    const get = (p: string): Promise<void> => new Promise((resolve, reject) => {
      http.get({ socketPath: busy.socket, path: p }, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject);
    });
    try {
      // start-up ends at the first idle moment (at most 1 s); a few requests now and then are not work
      await new Promise((r) => setTimeout(r, 1500));
      for (let i = 0; i < 5; i++) { await get('/v1.41/containers/json?all=1'); await new Promise((r) => setTimeout(r, 100)); }
      await new Promise((r) => setTimeout(r, 600));
      assert.doesNotMatch(logText(), /lean V8 flags ended/, 'light use keeps TurboFan off');
      // then requests back to back, 16 at a time, until berthd says it is busy (at most 20 s)
      const until = Date.now() + 20000;
      while (!/lean V8 flags ended/.test(logText()) && Date.now() < until) {
        await Promise.all(Array.from({ length: 16 }, async () => { for (let i = 0; i < 25; i++) await get('/v1.41/info'); }));
      }
      assert.match(logText(), /"msg":"busy: lean V8 flags ended"/);
    } finally {
      await busy.stop();
    }
  });
});
