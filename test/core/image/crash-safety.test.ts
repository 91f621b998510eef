import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { ContentStore } from '../../../core/image/content-store';
import { LayerStore } from '../../../core/image/layer-store';
import { withDiffer } from '../../../core/image/naive-differ';
import { setupImages } from '../../../core/image/setup';
import { isFailedPrecondition } from '../../../core/errors';
import { makeTestKernel } from '../../helpers/test-kernel';
import { VfsDriver } from '../../../plugins/graphdriver-vfs/vfs-driver';
import { Overlay2Driver } from '../../../plugins/graphdriver-overlay2/overlay2-driver';
import type { OwnedKernel } from '../../../core/daemon/create-kernel';

const DIST = path.resolve(__dirname, '..', '..', '..');
const drivers = {
  vfs: { mod: 'plugins/graphdriver-vfs/vfs-driver', cls: 'VfsDriver', open: (h: string) => VfsDriver.open(h, {}), factory: { name: 'vfs', priority: 100, create: (h: string) => VfsDriver.open(h, {}) } },
  overlay2: { mod: 'plugins/graphdriver-overlay2/overlay2-driver', cls: 'Overlay2Driver', open: (h: string) => Overlay2Driver.open(h, {}), factory: { name: 'overlay2', priority: 10, create: (h: string) => Overlay2Driver.open(h, {}) } },
} as const;

/** The child: opens the stores like the daemon does and starts a layer apply that `mode` interrupts. */
function childScript(driver: keyof typeof drivers, dataRoot: string, mode: 'mid-apply' | 'before-record' | 'mounts'): string {
  const d = drivers[driver];
  return `
const path = require('path');
const { Readable } = require('stream');
const pino = require(require.resolve('pino', { paths: [${JSON.stringify(DIST)}] }));
const { ${d.cls} } = require(${JSON.stringify(path.join(DIST, d.mod))});
const { withDiffer } = require(${JSON.stringify(path.join(DIST, 'core/image/naive-differ'))});
const { ContentStore } = require(${JSON.stringify(path.join(DIST, 'core/image/content-store'))});
const { LayerStore } = require(${JSON.stringify(path.join(DIST, 'core/image/layer-store'))});
const { buildTar } = require(${JSON.stringify(path.join(DIST, 'core/image/tar-build'))});
(async () => {
  const root = ${JSON.stringify(dataRoot)};
  const driver = withDiffer(await ${d.cls}.open(path.join(root, ${JSON.stringify(driver)}), {}));
  const content = await ContentStore.open(path.join(root, 'image', 'content'));
  const ls = await LayerStore.open(path.join(root, 'image', ${JSON.stringify(driver)}, 'layerdb'), driver, content, pino({ level: 'silent' }));
  const tar = await buildTar([{ name: 'a', body: 'A' }, { name: 'big', body: Buffer.alloc(4 << 20, 1) }]);
  if (${JSON.stringify(mode)} === 'before-record') {
    await ls.register(Readable.from([tar]), null);
    process.stdout.write('registered\\n');
  } else if (${JSON.stringify(mode)} === 'mounts') {
    const info = await ls.register(Readable.from([tar]), null);
    for (let i = 0; ; i++) {
      await ls.createMount('btc' + i, info.chainId);
      if (i === 3) process.stdout.write('mounting\\n');
    }
  } else {
    let sent = false;
    const src = new Readable({ read() {
      if (sent) return;
      sent = true;
      this.push(tar.subarray(0, tar.length >> 1));
      setTimeout(() => process.stdout.write('applying\\n'), 500);
    } });
    ls.register(src, null).catch(() => {});
  }
  setInterval(() => {}, 1000);
})().catch((e) => { process.stderr.write(String(e && e.stack || e)); process.exit(3); });
`;
}

/** The child for the commit case: a kernel with images, a container layer holding a big file, commit on "go". */
function commitChildScript(driver: keyof typeof drivers, dataRoot: string): string {
  const d = drivers[driver];
  return `
const path = require('path');
const fs = require('fs');
const { Readable } = require('stream');
const { ${d.cls} } = require(${JSON.stringify(path.join(DIST, d.mod))});
const { makeTestKernel } = require(${JSON.stringify(path.join(DIST, 'test/helpers/test-kernel'))});
const { setupImages } = require(${JSON.stringify(path.join(DIST, 'core/image/setup'))});
const { buildTar } = require(${JSON.stringify(path.join(DIST, 'core/image/tar-build'))});
(async () => {
  const factory = { name: ${JSON.stringify(driver)}, priority: 1, create: (h) => ${d.cls}.open(h, {}) };
  const k = await makeTestKernel({ dataRoot: ${JSON.stringify(dataRoot)}, provide: { ['graphdriver:' + ${JSON.stringify(driver)}]: factory } });
  const svc = await setupImages(k);
  const id = await svc.importTar(Readable.from([await buildTar([{ name: 'etc/', type: 'directory' }, { name: 'etc/base', body: 'b' }])]), { repo: 'base' });
  await svc.createContainerLayer('btcommit', id);
  const root = await svc.mountContainerLayer('btcommit');
  const big = Buffer.alloc(1 << 20, 7);
  const fd = fs.openSync(path.join(root, 'big'), 'w');
  for (let i = 0; i < 96; i++) fs.writeSync(fd, big);
  fs.closeSync(fd);
  await svc.unmountContainerLayer('btcommit');
  process.stdout.write('ready\\n');
  process.stdin.once('data', () => { svc.commit('btcommit', { repo: 'committed' }).then(() => process.stdout.write('committed\\n')); });
  setInterval(() => {}, 1000);
})().catch((e) => { process.stderr.write(String(e && e.stack || e)); process.exit(3); });
`;
}

async function runUntil(child: ChildProcess, word: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => { out += d.toString(); if (out.includes(word)) resolve(); });
    child.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('exit', (code) => reject(new Error(`child exited (${code}) before "${word}": ${err}`)));
  });
}

for (const name of ['vfs', 'overlay2'] as const) {
  describe(`crash safety (kill -9) on ${name}`, function () {
    this.timeout(60000);
    let base = '';
    let child: ChildProcess | null = null;
    const kernels: OwnedKernel[] = [];

    beforeEach(async function () {
      base = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-crash-'));
      try { await (await drivers[name].open(path.join(base, 'probe'))).cleanup(); } catch (err) {
        if (isFailedPrecondition(err)) { console.log(`skip: ${(err as Error).message}`); this.skip(); }
        throw err;
      }
    });
    afterEach(async () => {
      try {
        if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        for (const k of kernels.splice(0)) await k.close();
      } finally {
        fs.rmSync(base, { recursive: true, force: true });
      }
    });

    const driverLayers = (): string[] => {
      const home = path.join(base, name);
      const dir = name === 'vfs' ? path.join(home, 'dir') : home;
      return fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n !== 'l') : [];
    };

    it('leaves no half layer visible after a kill during apply, and cleans the leftovers', async () => {
      const script = path.join(base, 'child.js');
      fs.writeFileSync(script, childScript(name, base, 'mid-apply'));
      child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'] });
      await runUntil(child, 'applying');
      const tmp = path.join(base, 'image', name, 'layerdb', 'tmp');
      assert.equal(fs.readdirSync(tmp).length, 1, 'the apply was in progress when killed');
      assert.ok(driverLayers().length >= 1, 'a driver layer was being written');
      child.kill('SIGKILL');
      await new Promise((r) => child?.once('exit', r));

      const driver = withDiffer(await drivers[name].open(path.join(base, name)));
      const content = await ContentStore.open(path.join(base, 'image', 'content'));
      const ls = await LayerStore.open(path.join(base, 'image', name, 'layerdb'), driver, content, pino({ level: 'silent' }));
      try {
        assert.deepEqual(ls.list(), []);
        assert.deepEqual(fs.readdirSync(tmp), []);
        assert.deepEqual(driverLayers(), [], 'the half-written driver layer is gone');
        assert.deepEqual(fs.readdirSync(path.join(base, 'image', 'content', 'ingest')), [], 'no partial blob');
      } finally { await driver.cleanup(); }
    });

    it('leaves no half layer or image after a kill during commit', async () => {
      const script = path.join(base, 'commit-child.js');
      fs.writeFileSync(script, commitChildScript(name, base));
      child = spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', 'pipe'] });
      await runUntil(child, 'ready');
      const tmp = path.join(base, 'image', name, 'layerdb', 'tmp');
      const layersBefore = fs.readdirSync(path.join(base, 'image', name, 'layerdb', 'sha256'));
      child.stdin?.write('go\n');
      // Kill as soon as the commit's layer is being written (deterministic: we watch for it).
      while (!fs.readdirSync(tmp).some((n) => n.startsWith('write-'))) {
        if (child.exitCode !== null) throw new Error('child exited early');
        await new Promise((r) => setTimeout(r, 2));
      }
      child.kill('SIGKILL');
      await new Promise((r) => child?.once('exit', r));

      const k = await makeTestKernel({ dataRoot: base, provide: { [`graphdriver:${name}`]: drivers[name].factory } });
      kernels.push(k);
      const svc = await setupImages(k);
      assert.deepEqual(svc.images.list().map((i) => svc.namesOf(i.id).tags), [['base:latest']], 'only the base image exists');
      assert.deepEqual(fs.readdirSync(path.join(base, 'image', name, 'layerdb', 'sha256')), layersBefore, 'no new layer');
      assert.deepEqual(fs.readdirSync(tmp), []);
      assert.ok(svc.layers.getMount('btcommit'), 'the container layer is intact');
      const root = await svc.mountContainerLayer('btcommit');
      try { assert.equal(fs.statSync(path.join(root, 'big')).size, 96 << 20); } finally { await svc.unmountContainerLayer('btcommit'); }
      // driver layers: the base layer and the container's init and read-write layers, nothing else
      assert.equal(driverLayers().length, 3, driverLayers().join(','));
    });

    it('keeps no driver layer of a container layer cut off by a kill (createMount makes them while its metadata is written)', async () => {
      const script = path.join(base, 'child.js');
      fs.writeFileSync(script, childScript(name, base, 'mounts'));
      // the child alone is killed: vfs copies the init layer with cp(1), which must end with it (setpriv --pdeathsig)
      child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'] });
      await runUntil(child, 'mounting');
      await new Promise((r) => setTimeout(r, 150 + Math.floor(Math.random() * 100)));
      child.kill('SIGKILL');
      await new Promise((r) => child?.once('exit', r));

      const root = path.join(base, 'image', name, 'layerdb');
      const driver = withDiffer(await drivers[name].open(path.join(base, name)));
      const content = await ContentStore.open(path.join(base, 'image', 'content'));
      const ls = await LayerStore.open(root, driver, content, pino({ level: 'silent' }));
      try {
        const [layer] = ls.list();
        const mounts = fs.readdirSync(path.join(root, 'mounts'));
        assert.ok(mounts.length >= 4, `the child made its first mounts (${mounts.length})`);
        const expected = [layer.cacheId, `${layer.cacheId}-init`, ...mounts.map((c) => ls.getMount(c)!.mountId)].sort();
        assert.deepEqual(driverLayers().sort(), expected, 'only the image layer, its init layer and the recorded containers\' layers');
        assert.deepEqual(fs.readdirSync(path.join(root, 'tmp')), []);
      } finally { await driver.cleanup(); }
    });

    it('collects a layer whose image was never recorded (kill between apply and record)', async () => {
      const script = path.join(base, 'child.js');
      fs.writeFileSync(script, childScript(name, base, 'before-record'));
      child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'] });
      await runUntil(child, 'registered');
      child.kill('SIGKILL');
      await new Promise((r) => child?.once('exit', r));
      assert.equal(fs.readdirSync(path.join(base, 'image', name, 'layerdb', 'sha256')).length, 1);

      const k = await makeTestKernel({ dataRoot: base, provide: { [`graphdriver:${name}`]: drivers[name].factory } });
      kernels.push(k);
      const svc = await setupImages(k);
      assert.deepEqual(svc.layers.list(), []);
      assert.deepEqual(fs.readdirSync(path.join(base, 'image', name, 'layerdb', 'sha256')), []);
      assert.deepEqual(driverLayers(), []);
      assert.deepEqual(await svc.content.list(), [], 'its kept blob went with it');
    });
  });
}
