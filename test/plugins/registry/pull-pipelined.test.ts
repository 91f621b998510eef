/**
 * Pulls on overlay2 through the kernel, where layers extract while they
 * download and are applied at once: the content is right, `Pull complete`
 * comes in order, the downloaded blob is the layer's kept blob (one copy), a
 * blob whose bytes do not match its digest leaves nothing behind (no image,
 * no layer, no blob, nothing in the layer store's tmp/), kill -9 mid-pull
 * leaves no image and no layer and the next pull resumes, and two
 * simultaneous pulls of one image make its layers once.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isFailedPrecondition } from '../../../core/errors';
import type { OwnedKernel } from '../../../core/daemon/create-kernel';
import type { ImageService } from '../../../core/image/image-service';
import { setupImages } from '../../../core/image/setup';
import { hasBusybox } from '../../helpers/busybox-rootfs';
import { hasRegistry, startRegistry, type RegistryServer } from '../../helpers/registry-server';
import { makeTestKernel } from '../../helpers/test-kernel';
import { busyboxLayer, layerFromFiles, randomLayer, skopeoPush, writeOciLayout, type Layer } from './fixtures';
import { bootRegistryKernel, runWithProgress, type RegistryKernel } from './registry-kernel';

type Coded = Error & { code?: string };

describe('registry.distribution pipelined pull on overlay2 (kernel + docker-registry)', function () {
  this.timeout(240_000);
  let tmp = '';
  let reg: RegistryServer | undefined;
  let kernel: OwnedKernel | undefined;
  let images: ImageService | undefined;
  let layers: Layer[] = [];
  const containers: string[] = [];

  before(async function () {
    if (!hasRegistry() || !hasBusybox()) {
      console.log('skip: docker-registry or busybox-static is not installed');
      this.skip();
    }
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-pipe-'));
    reg = await startRegistry();
    layers = [
      busyboxLayer(tmp),
      randomLayer(tmp, 'one.bin', 3 << 20),
      layerFromFiles(tmp, { 'etc/.wh.group': '', 'two.txt': 'layer two\n', 'one.bin': 'replaced\n' }),
      randomLayer(tmp, 'three.bin', 2 << 20),
      // more layers than extract at once: the rest wait their turn
      layerFromFiles(tmp, { 'four.txt': 'four\n' }),
      layerFromFiles(tmp, { 'five.txt': 'five\n', 'two.txt': 'layer five\n' }),
    ];
    writeOciLayout(path.join(tmp, 'img'), 'v1', [{ layers }]);
    await skopeoPush(path.join(tmp, 'img'), 'v1', `${reg.host}/pipe/img:v1`, { format: 'v2s2' });
    try {
      kernel = await makeTestKernel({
        dataRoot: path.join(tmp, 'root'),
        builtins: ['plugins/graphdriver-overlay2', 'plugins/registry'],
        config: {
          'storage-driver': 'overlay2',
          'plugin-options': { 'registry.distribution': { certsDir: path.join(tmp, 'certs.d'), dockerConfig: path.join(tmp, 'docker.json') } },
        },
      });
      images = await setupImages(kernel);
    } catch (err) {
      if (!isFailedPrecondition(err)) throw err;
      console.log(`skip: overlay2 cannot work here: ${(err as Error).message}`);
      this.skip();
    }
  });

  after(async () => {
    try {
      for (const c of containers) await images?.removeContainerLayer(c).catch(() => undefined);
      await kernel?.close();
      await reg?.stop();
    } finally {
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  const layerdb = (): string => path.join(tmp, 'root', 'image', 'overlay2', 'layerdb');
  const ref = (): string => `${reg!.host}/pipe/img:v1`;

  it('refuses a layer whose blob does not match its digest and leaves nothing behind', async () => {
    const bad = layers[1];
    const blob = path.join(reg!.storageDir, 'docker/registry/v2/blobs/sha256', bad.digest.slice(7, 9), bad.digest.slice(7), 'data');
    const good = fs.readFileSync(blob);
    const broken = Buffer.from(good);
    broken[Math.floor(broken.length / 2)] ^= 0xff; // mid-stream: the extractor meets the bad bytes before the download ends
    fs.writeFileSync(blob, broken);
    try {
      await assert.rejects(runWithProgress(kernel!, 'image.pull', { fromImage: ref() }),
        (e: Coded) => e.code === 'InvalidArgument' && e.message.includes(bad.digest), 'the digest mismatch is reported');
    } finally {
      fs.writeFileSync(blob, good);
    }
    assert.deepEqual(await kernel!.engine.run('image.list', { all: true }), [], 'no image');
    assert.deepEqual(images!.layers.list(), [], 'no layer stays');
    assert.deepEqual(fs.readdirSync(path.join(layerdb(), 'tmp')), [], 'no unfinished layer');
    assert.equal(await images!.content.has(bad.digest), false, 'the bad blob is not stored');
  });

  it('pulls with layers extracting while they download: right content, Pull complete in order, one copy of each blob', async () => {
    const { output, msgs } = await runWithProgress(kernel!, 'image.pull', { fromImage: ref() });
    const order = msgs.filter((m) => m.status === 'Pull complete').map((m) => m.id);
    assert.deepEqual(order, layers.map((l) => l.digest.slice(7, 19)), 'Pull complete in layer order');
    const chain = images!.layers.list();
    assert.equal(chain.length, layers.length);
    for (const l of layers) {
      const info = chain.find((c) => c.blob === l.digest);
      assert.ok(info, `layer of ${l.digest} keeps the downloaded blob`);
      assert.equal(fs.readFileSync(images!.content.path(l.digest)).length, l.tgz.length);
    }
    assert.deepEqual(fs.readdirSync(path.join(tmp, 'root', 'image', 'content', 'ingest')), [], 'no ingest left');

    containers.push('bt-pipe-c1');
    await images!.createContainerLayer('bt-pipe-c1', output.Id);
    const root = await images!.mountContainerLayer('bt-pipe-c1');
    try {
      assert.ok(fs.statSync(path.join(root, 'bin/busybox')).isFile());
      assert.equal(fs.readFileSync(path.join(root, 'one.bin'), 'utf8'), 'replaced\n');
      assert.equal(fs.readFileSync(path.join(root, 'two.txt'), 'utf8'), 'layer five\n', 'the upper layer wins');
      assert.equal(fs.readFileSync(path.join(root, 'four.txt'), 'utf8'), 'four\n');
      assert.equal(fs.existsSync(path.join(root, 'etc/group')), false, 'whiteout applied');
      assert.equal(fs.statSync(path.join(root, 'three.bin')).size, 2 << 20);
    } finally {
      await images!.unmountContainerLayer('bt-pipe-c1');
    }
  });

  it('kill -9 while layers extract and download leaves no image and no layer; the next pull resumes', async () => {
    const big = randomLayer(tmp, 'big.bin', 24 << 20);
    writeOciLayout(path.join(tmp, 'kill'), 'v1', [{ layers: [layers[0], layers[1], big] }]);
    const killRef = `${reg!.host}/pipe/kill:v1`;
    await skopeoPush(path.join(tmp, 'kill'), 'v1', killRef, { format: 'v2s2' });
    const dataRoot = path.join(tmp, 'root-kill');
    const options = { certsDir: path.join(tmp, 'certs.d'), dockerConfig: path.join(tmp, 'docker.json') };
    const watch = big.digest.slice(7, 19);
    const threshold = 4 << 20;
    const child = spawn(process.execPath, [path.join(__dirname, 'pull-child.js'), dataRoot, JSON.stringify(options), killRef, watch,
      String(threshold), [layers[0], layers[1]].map((l) => l.digest.slice(7, 19)).join(',')],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, BT_PULL_DRIVER: 'overlay2', BT_PULL_THROTTLE: String(16 << 20) } });
    let k: RegistryKernel | undefined;
    try {
      const said = await new Promise<string>((resolve) => {
        let out = '';
        child.stdout!.on('data', (c: Buffer) => {
          out += c.toString();
          if (/PAUSED|FINISHED|ERROR/.test(out)) resolve(out);
        });
        child.on('exit', () => resolve(out));
      });
      assert.match(said, /PAUSED/, `the child paused mid-download: ${said}`);
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;

      k = await bootRegistryKernel(dataRoot, options, {}, 'overlay2');
      assert.deepEqual(await k.kernel.engine.run('image.list', { all: true }), [], 'no partial image listed after the crash');
      assert.deepEqual(k.images.layers.list(), [], 'no layer of the unrecorded image stays');
      assert.deepEqual(fs.readdirSync(path.join(dataRoot, 'image', 'overlay2', 'layerdb', 'tmp')), [], 'unfinished layers removed');
      const driverDirs = (): string[] => fs.readdirSync(path.join(dataRoot, 'overlay2')).filter((n) => /^[a-f0-9]{64}$/.test(n));
      assert.deepEqual(driverDirs(), [], 'no overlay2 layer left behind');

      const { output, msgs } = await runWithProgress(k.kernel, 'image.pull', { fromImage: killRef });
      const firstDl = msgs.find((m) => m.status === 'Downloading' && m.id === watch);
      assert.ok((firstDl?.progressDetail?.current ?? 0) >= threshold, 'the big blob resumed with Range');
      const inspect = await k.kernel.engine.run('image.inspect', { name: killRef });
      assert.equal(inspect.Id, output.Id);
      assert.deepEqual(inspect.RootFS.Layers, [layers[0].diffId, layers[1].diffId, big.diffId]);
      assert.equal(driverDirs().length, 3);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await k?.kernel.close();
    }
  });

  it('a big image (layers above 8 MB together) extracts on worker threads: a bad blob leaves nothing, a good one the right files, no thread stays', async () => {
    const big = randomLayer(tmp, 'w.bin', 9 << 20);
    const wh = layerFromFiles(tmp, { 'etc/.wh.passwd': '', 'w.txt': 'on a worker\n' });
    writeOciLayout(path.join(tmp, 'workers'), 'v1', [{ layers: [layers[0], big, wh] }]);
    const wref = `${reg!.host}/pipe/workers:v1`;
    await skopeoPush(path.join(tmp, 'workers'), 'v1', wref, { format: 'v2s2' });
    const threads = (): number => fs.readdirSync('/proc/self/task').length;
    const before = threads();
    const blob = path.join(reg!.storageDir, 'docker/registry/v2/blobs/sha256', big.digest.slice(7, 9), big.digest.slice(7), 'data');
    const good = fs.readFileSync(blob);
    const broken = Buffer.from(good);
    broken[Math.floor(broken.length / 2)] ^= 0xff;
    fs.writeFileSync(blob, broken);
    const layersBefore = images!.layers.list().length;
    try {
      await assert.rejects(runWithProgress(kernel!, 'image.pull', { fromImage: wref }),
        (e: Coded) => e.code === 'InvalidArgument' && e.message.includes(big.digest), 'the digest mismatch is reported');
    } finally {
      fs.writeFileSync(blob, good);
    }
    assert.equal(images!.layers.list().length, layersBefore, 'no layer of the failed pull stays');
    assert.deepEqual(fs.readdirSync(path.join(layerdb(), 'tmp')), [], 'no unfinished layer');
    assert.equal(threads(), before, 'the apply workers ended');

    const { output } = await runWithProgress(kernel!, 'image.pull', { fromImage: wref });
    assert.equal(threads(), before, 'the apply workers ended');
    const inspect = await kernel!.engine.run('image.inspect', { name: wref });
    assert.deepEqual(inspect.RootFS.Layers, [layers[0].diffId, big.diffId, wh.diffId], 'diff_ids the workers computed');
    containers.push('bt-pipe-w1');
    await images!.createContainerLayer('bt-pipe-w1', output.Id);
    const root = await images!.mountContainerLayer('bt-pipe-w1');
    try {
      assert.equal(fs.statSync(path.join(root, 'w.bin')).size, 9 << 20);
      assert.equal(fs.readFileSync(path.join(root, 'w.txt'), 'utf8'), 'on a worker\n');
      assert.equal(fs.existsSync(path.join(root, 'etc/passwd')), false, 'whiteout applied');
      assert.ok(fs.statSync(path.join(root, 'bin/busybox')).isFile());
    } finally {
      await images!.unmountContainerLayer('bt-pipe-w1');
      await images!.removeContainerLayer('bt-pipe-w1');
      containers.splice(containers.indexOf('bt-pipe-w1'), 1);
    }
    await kernel!.engine.run('image.remove', { name: wref });
  });

  it('two simultaneous pulls of one image make each layer once', async () => {
    await images!.removeContainerLayer('bt-pipe-c1');
    containers.length = 0;
    await kernel!.engine.run('image.remove', { name: ref() });
    assert.deepEqual(images!.layers.list(), []);
    const [a, b] = await Promise.all([
      runWithProgress(kernel!, 'image.pull', { fromImage: ref() }),
      runWithProgress(kernel!, 'image.pull', { fromImage: ref() }),
    ]);
    assert.equal(a.output.Id, b.output.Id);
    assert.equal(images!.layers.list().length, layers.length, 'one layer per diff_id');
    assert.deepEqual(fs.readdirSync(path.join(layerdb(), 'tmp')), [], 'no discarded copy left');
    const dirs = fs.readdirSync(path.join(tmp, 'root', 'overlay2')).filter((n) => /^[a-f0-9]{64}$/.test(n));
    assert.equal(dirs.length, layers.length, 'one overlay2 layer per image layer');
  });
});
