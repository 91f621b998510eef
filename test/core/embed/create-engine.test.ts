import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createEngine, type EmbeddedEngine } from '../../../core';
import { isFailedPrecondition, isInvalidArgument } from '../../../core/errors';
import { PassThrough } from 'node:stream';
import { execFileSync } from 'node:child_process';
import { hasBusybox, makeBusyboxRootfs } from '../../helpers/busybox-rootfs';
import { DIST, removeBridge, removeCgroup, runBerth, unmountUnder } from '../cli/berthd-harness';

/** Every unix socket under `dir`. */
function socketsUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const p = path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name);
    if (e.isSocket()) out.push(p);
  }
  return out;
}

// The trim: vfs storage, json-file logs and no network plugin (containers get
// --network none). The bridge name below is only a guard: without the plugin no bridge is made.
const TRIMMED = ['graphdriver-vfs', 'logdriver-json'];

describe('core/embed: createEngine, a trimmed engine inside this process', function () {
  this.timeout(60000);
  let dir: string;
  let engine: EmbeddedEngine | undefined;
  const bridge = `btemb${process.pid.toString(16).slice(-5)}`;
  const opts = (over: Record<string, unknown> = {}) => ({
    dataRoot: path.join(dir, 'data'), execRoot: path.join(dir, 'run'), plugins: TRIMMED,
    config: { iptables: false, bridge }, ...over,
  });

  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-embed-')); });
  afterEach(async () => {
    try { await engine?.stop(); } finally {
      engine = undefined;
      removeBridge(bridge);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('loads only the listed plugins, runs jobs without any socket, and stops', async () => {
    engine = await createEngine(opts());
    const plugins = await engine.run('engine.plugins', {});
    assert.deepEqual(plugins.map((p) => p.uri).sort(), ['graphdriver.vfs', 'logdriver.json-file']);
    assert.ok(plugins.every((p) => p.status === 'ok'), JSON.stringify(plugins));
    assert.equal(await engine.run('engine.ping', {}), 'OK');
    assert.equal(engine.socket, undefined);
    assert.deepEqual(socketsUnder(dir).filter((s) => s.endsWith('.sock') && !s.includes(`${path.sep}netns${path.sep}`)), []);
    assert.ok(!engine.engine.has('network.list'), 'without a network plugin the network domain is not set up');
    assert.ok(!fs.existsSync(`/sys/class/net/${bridge}`), 'no bridge was made');
    assert.ok(!fs.existsSync(path.join(dir, 'run', 'berthd.pid')), 'no pid file for an embedded engine');
    await engine.stop();
    await engine.stop(); // idempotent
    await assert.rejects(engine.run('engine.ping', {}), (err: Error) => isFailedPrecondition(err) && /stopped; cannot run engine\.ping/.test(err.message));
  });

  it('serves the Docker API on a socket only when asked, and removes it on stop', async () => {
    const socket = path.join(dir, 'embed.sock');
    engine = await createEngine(opts({ socket }));
    assert.equal(engine.socket, socket);
    const v = await runBerth(`unix://${socket}`, ['version', '--format', '{{.Server.ApiVersion}}']);
    assert.equal(v.status, 0, v.stderr);
    assert.equal(v.stdout, '1.41\n');
    const p = await runBerth(`unix://${socket}`, ['plugins', 'ls', '-q']);
    assert.deepEqual(p.stdout.trim().split('\n').sort(), ['graphdriver.vfs', 'logdriver.json-file']);
    await engine.stop();
    assert.ok(!fs.existsSync(socket), 'socket removed');
    const after = await runBerth(`unix://${socket}`, ['version']);
    assert.equal(after.status, 1);
    assert.match(after.stderr, /Cannot connect to the berth daemon/);
  });

  it('runs a container through jobs alone: import, create, start, wait, logs, remove', async function () {
    if (!hasBusybox()) { console.log('skip: no static busybox at /bin/busybox to build the image'); this.skip(); }
    // shim sockets live at <execRoot>/containers/<id>/shim.sock: a short exec root
    const execRoot = fs.mkdtempSync('/tmp/bt-');
    try {
      engine = await createEngine(opts({
        execRoot, plugins: [...TRIMMED, 'execdriver-native'],
        config: { iptables: false, bridge, 'cgroup-parent': bridge, 'storage-driver': 'vfs' },
      }));
      const root = makeBusyboxRootfs(path.join(dir, 'rootfs'));
      const tar = path.join(dir, 'rootfs.tar');
      execFileSync('tar', ['-C', root, '-cf', tar, '.']);
      const out = new PassThrough();
      let progress = '';
      out.on('data', (c: Buffer) => { progress += c.toString(); });
      const imported = await engine.run('image.import', { fromSrc: '-', repo: 'bt-embed', tag: 'v1' }, {
        io: { stdin: fs.createReadStream(tar), stdout: out, stderr: new PassThrough() },
      });
      assert.match(imported.id, /^sha256:[0-9a-f]{64}$/);
      assert.ok(progress.includes(imported.id), progress);
      const created = await engine.run('container.create', {
        name: 'bt-embed-c', body: { Image: 'bt-embed:v1', Cmd: ['sh', '-c', 'echo from-embedded; echo err >&2; exit 6'], HostConfig: { NetworkMode: 'none' } },
      });
      await engine.run('container.start', { id: created.Id });
      const waited = await engine.run('container.wait', { id: created.Id });
      assert.equal(waited.StatusCode, 6);
      const stdout = new PassThrough(); const stderr = new PassThrough();
      let o = ''; let e = '';
      stdout.on('data', (c: Buffer) => { o += c.toString(); });
      stderr.on('data', (c: Buffer) => { e += c.toString(); });
      await engine.run('container.logs', { id: created.Id, stdout: true, stderr: true }, { io: { stdin: new PassThrough(), stdout, stderr } });
      assert.equal(o, 'from-embedded\n');
      assert.equal(e, 'err\n');
      await engine.run('container.remove', { id: created.Id });
      await engine.stop();
    } finally {
      await engine?.stop();
      removeCgroup(bridge);
      unmountUnder(dir);
      unmountUnder(execRoot);
      fs.rmSync(execRoot, { recursive: true, force: true });
    }
  });

  it('refuses bad options with errors naming them', async () => {
    await assert.rejects(createEngine(opts({ dataRoot: 'relative/data' })), (err: Error) => isInvalidArgument(err) && /dataRoot must be an absolute path, got "relative\/data"/.test(err.message));
    await assert.rejects(createEngine(opts({ plugins: ['../../etc'] })), (err: Error) => isInvalidArgument(err) && /invalid plugin name "..\/..\/etc"/.test(err.message));
    await assert.rejects(createEngine(opts({ config: { 'log-driver': 42 } })), (err: Error) => isInvalidArgument(err) && /\/log-driver/.test(err.message));
    await assert.rejects(createEngine(opts({ plugins: ['graphdriver-nope'] })), /graphdriver-nope/);
  });

  it('the runnable example in docs/examples/embed-engine.js runs and its process exits by itself', async () => {
    const example = path.resolve(DIST, '..', 'docs', 'examples', 'embed-engine.js');
    const r = await new Promise<{ code: number | null; out: string; err: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [example], { env: { ...process.env, BERTH_EMBED_BRIDGE: bridge, TMPDIR: dir } });
      let out = ''; let err = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
      child.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, out, err }));
    });
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^berth \S+ \(API 1\.41\), no socket: true\n/);
    assert.match(r.out, /\nplugin graphdriver\.vfs \S+ ok\n/);
    assert.match(r.out, /\nnetwork jobs: none \(no network plugin\)\n/);
    assert.match(r.out, /\nstopped\n$/);
    assert.deepEqual(fs.readdirSync(dir).filter((n) => n.startsWith('berth-embed-')), [], 'the example removed its temp dir');
  });
});
