import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { isConflict, isFailedPrecondition, isInvalidArgument, isNotFound, FailedPreconditionError } from '../../../core/errors';
import type { JobIO } from '../../../core/engine/job';
import type { GraphDriverFactory } from '../../../core/drivers/graphdriver';
import { setupImages } from '../../../core/image/setup';
import type { ImageService } from '../../../core/image/image-service';
import { buildTar } from '../../../core/image/tar-build';
import { Tokens } from '../../../core/daemon/kernel';
import { VfsDriver } from '../../../plugins/graphdriver-vfs/vfs-driver';
import { Overlay2Driver } from '../../../plugins/graphdriver-overlay2/overlay2-driver';
import { makeTestKernel } from '../../helpers/test-kernel';
import { hasBusybox } from '../../helpers/busybox-rootfs';
import { makeBusyboxArchive } from '../../helpers/busybox-image';
import type { OwnedKernel } from '../../../core/daemon/create-kernel';

const vfs: GraphDriverFactory = { name: 'vfs', priority: 100, create: (h, o) => VfsDriver.open(h, o) };
const overlay2: GraphDriverFactory = { name: 'overlay2', priority: 10, create: (h, o) => Overlay2Driver.open(h, o) };

function io(stdin?: Buffer | Readable): JobIO & { out: () => Buffer } {
  const chunks: Buffer[] = [];
  const stdout = new PassThrough();
  stdout.on('data', (c: Buffer) => chunks.push(c));
  const stderr = new PassThrough();
  stderr.resume();
  const input = stdin === undefined ? Readable.from([]) : Buffer.isBuffer(stdin) ? Readable.from([stdin]) : stdin;
  return { stdin: input, stdout, stderr, out: () => Buffer.concat(chunks) };
}

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

for (const [driverName, factory] of [['vfs', vfs], ['overlay2', overlay2]] as const) {
  describe(`image jobs on ${driverName}`, function () {
    this.timeout(120000);
    let base = '';
    let kernel: OwnedKernel;
    let svc: ImageService;
    let archive = '';
    let multi = '';
    const kernels: OwnedKernel[] = [];

    const boot = async (dataRoot: string): Promise<[OwnedKernel, ImageService]> => {
      const k = await makeTestKernel({ dataRoot, provide: { [`graphdriver:${driverName}`]: factory } });
      kernels.push(k);
      try {
        return [k, await setupImages(k)];
      } catch (err) {
        if (isFailedPrecondition(err)) { console.log(`skip: ${(err as Error).message}`); return [k, null as never]; }
        throw err;
      }
    };

    before(async function () {
      if (!hasBusybox()) { console.log('skip: no static busybox at /bin/busybox (apt-get install busybox-static)'); this.skip(); }
      base = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-images-'));
      archive = (await makeBusyboxArchive(path.join(base, 'bb.tar'))).path;
      multi = (await makeBusyboxArchive(path.join(base, 'bb-multi.tar'), { multiLayer: true, tag: 'localhost:5000/multi:v1' })).path;
    });
    beforeEach(async function () {
      [kernel, svc] = await boot(path.join(base, `root-${Date.now()}`));
      if (!svc) this.skip();
    });
    afterEach(async () => {
      for (const k of kernels.splice(0)) await k.close();
    });
    after(() => { if (base) fs.rmSync(base, { recursive: true, force: true }); });

    const load = async (file: string, k = kernel): Promise<string[]> => {
      const x = io(fs.createReadStream(file));
      const r = await k.engine.run('image.load', {}, { io: x });
      const lines = x.out().toString().trim().split('\r\n').map((l) => (JSON.parse(l) as { stream: string }).stream);
      assert.deepEqual(lines, r.loaded.map((l) => `${l}\n`));
      return r.loaded;
    };

    it('loads a docker-archive and shows it in list and inspect with Docker shapes', async () => {
      assert.deepEqual(await load(archive), ['Loaded image: busybox:latest']);
      const list = await kernel.engine.run('image.list', {});
      assert.equal(list.length, 1);
      assert.deepEqual(list[0].RepoTags, ['busybox:latest']);
      assert.ok(list[0].Size > 500_000, `size ${list[0].Size}`);
      const ins = await kernel.engine.run('image.inspect', { name: 'busybox' });
      assert.equal(ins.Id, list[0].Id);
      assert.deepEqual(ins.Config?.Cmd, ['sh']);
      assert.equal(ins.RootFS.Layers.length, 1);
      assert.equal(ins.GraphDriver.Name, driverName);
      assert.ok(ins.GraphDriver.Data && Object.keys(ins.GraphDriver.Data).length > 0);
      assert.equal((await svc.resolve(ins.Id.slice(7, 19))).id, ins.Id);
      assert.equal((await svc.resolve('docker.io/library/busybox:latest')).id, ins.Id);
      await assert.rejects(kernel.engine.run('image.inspect', { name: 'nope' }), (e: unknown) => isNotFound(e) && /No such image: nope/.test((e as Error).message));
      const hist = await kernel.engine.run('image.history', { name: 'busybox' });
      assert.equal(hist[0].Id, ins.Id);
      assert.deepEqual(hist[0].Tags, ['busybox:latest']);
      assert.equal(hist[0].Size, list[0].Size);
    });

    it('stacks a multi-layer image with whiteouts into a container layer; diff, commit, export', async () => {
      await load(multi);
      const rec = await svc.resolve('localhost:5000/multi:v1');
      assert.equal(rec.config.rootfs.diff_ids.length, 3);
      assert.ok(rec.topLayer);
      await svc.createContainerLayer('btc1', rec.id);
      const root = await svc.mountContainerLayer('btc1');
      try {
        assert.equal(fs.existsSync(path.join(root, 'etc/motd')), false, 'whiteout hides /etc/motd');
        assert.deepEqual(fs.readdirSync(path.join(root, 'data')), ['c'], 'opaque /data');
        assert.equal(fs.readFileSync(path.join(root, 'hello.txt'), 'utf8'), 'hello from layer 3\n');
        assert.ok(fs.existsSync(path.join(root, 'bin/busybox')));
        assert.equal(fs.statSync(path.join(root, 'etc/hosts')).size, 0, 'the init layer provides mount points');
        assert.ok(fs.existsSync(path.join(root, '.dockerenv')));
        fs.writeFileSync(path.join(root, 'etc/hosts'), '');
        fs.writeFileSync(path.join(root, 'new.txt'), 'new');
        fs.rmSync(path.join(root, 'hello.txt'));
        fs.writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0::/:/bin/sh\n');
      } finally { await svc.unmountContainerLayer('btc1'); }
      const changes = await svc.containerChanges('btc1');
      const has = (p: string, k: number): boolean => changes.some((c) => c.path === p && c.kind === k);
      assert.ok(has('/new.txt', 1) && has('/hello.txt', 2) && has('/etc/passwd', 0), JSON.stringify(changes));
      assert.ok(!changes.some((c) => ['/etc/hostname', '/.dockerenv', '/proc', '/etc/mtab'].includes(c.path)), `init-layer entries are not changes: ${JSON.stringify(changes)}`);
      assert.ok((await svc.containerLayerSize('btc1')) >= 3);

      const exported: Buffer[] = [];
      for await (const c of await svc.exportContainer('btc1')) exported.push(c as Buffer);
      const names = (await import('../../../core/image/graphdriver-suite')).readTar(Readable.from([Buffer.concat(exported)]));
      const n = (await names).map((e) => e.name);
      assert.ok(n.includes('new.txt') && n.includes('bin/busybox') && !n.includes('hello.txt'));

      svc.setContainerConfigSource((cid) => (cid === 'btc1' ? { Cmd: ['sh', '-c', 'run'], WorkingDir: '/srv', Env: [] } : undefined));
      const c = await kernel.engine.run('image.commit', { container: 'btc1', repo: 'committed', tag: 'v2', comment: 'by test', changes: ['CMD ["echo","hi"]', 'ENV A=1'], body: { Labels: { from: 'body' }, Cmd: [] } });
      const ins = await kernel.engine.run('image.inspect', { name: 'committed:v2' });
      assert.equal(ins.Id, c.Id);
      assert.equal(ins.RootFS.Layers.length, 4);
      assert.deepEqual(ins.Config?.Cmd, ['echo', 'hi']);
      assert.ok(ins.Config?.Env?.includes('A=1'));
      assert.ok(ins.Config?.Env?.some((e) => e.startsWith('PATH=')), 'an empty Env from the container does not wipe the image Env');
      assert.equal(ins.Config?.WorkingDir, '/srv', 'the container config is committed');
      assert.deepEqual(ins.Config?.Labels, { from: 'body' });
      assert.equal(ins.Parent, rec.id);
      assert.equal(ins.Comment, 'by test');
      const hist = await kernel.engine.run('image.history', { name: 'committed:v2' });
      assert.equal(hist.length, 4);
      assert.equal(hist[0].Id, c.Id);
      assert.equal(hist[0].Comment, 'by test');
      assert.equal(hist[1].Id, rec.id, 'the entry ending the local parent image carries its id');
      assert.deepEqual(hist[1].Tags, ['localhost:5000/multi:v1']);
      assert.equal(hist[3].Id, '<missing>');
      const byRef = await kernel.engine.run('image.list', { filters: { reference: ['committ*'] } });
      assert.deepEqual(byRef.map((i) => i.RepoTags), [['committed:v2']]);
      assert.deepEqual((await kernel.engine.run('image.list', { filters: { label: ['nope'] } })), []);
      await svc.createContainerLayer('btc2', c.Id);
      const r2 = await svc.mountContainerLayer('btc2');
      try {
        assert.equal(fs.readFileSync(path.join(r2, 'new.txt'), 'utf8'), 'new');
        assert.equal(fs.existsSync(path.join(r2, 'hello.txt')), false);
      } finally { await svc.unmountContainerLayer('btc2'); }
      await svc.removeContainerLayer('btc2');
      await svc.removeContainerLayer('btc1');
    });

    it('tags, untags and deletes like Docker, with 409 conflicts', async () => {
      await load(archive);
      const id = (await svc.resolve('busybox')).id;
      await kernel.engine.run('image.tag', { name: 'busybox', repo: 'localhost:5000/bb', tag: 'v1' });
      assert.deepEqual((await svc.resolve(id)).repoTags.sort(), ['busybox:latest', 'localhost:5000/bb:v1']);
      await assert.rejects(kernel.engine.run('image.tag', { name: 'busybox', repo: 'Bad' }), (e: unknown) => isInvalidArgument(e));
      await assert.rejects(kernel.engine.run('image.remove', { name: id }), (e: unknown) => isConflict(e) && /multiple repositories/.test((e as Error).message));
      assert.deepEqual(await kernel.engine.run('image.remove', { name: 'localhost:5000/bb:v1' }), [{ Untagged: 'localhost:5000/bb:v1' }]);
      svc.setUsageCheck((img) => (img === id ? ['c0ffee0000000000000000000000000000000000000000000000000000000000'] : []));
      await assert.rejects(kernel.engine.run('image.remove', { name: 'busybox' }), (e: unknown) => isConflict(e) && /c0ffee000000 is using/.test((e as Error).message));
      await assert.rejects(kernel.engine.run('image.remove', { name: id }), (e: unknown) => isConflict(e));
      svc.setUsageCheck(() => []);
      const layers = svc.layers.list().map((l) => l.chainId);
      const out = await kernel.engine.run('image.remove', { name: 'busybox' });
      assert.deepEqual(out.slice(0, 2), [{ Untagged: 'busybox:latest' }, { Deleted: id }]);
      assert.deepEqual(out.slice(2).map((o) => (o as { Deleted: string }).Deleted).sort(), layers.sort(), 'then the layers that went with it, as dockerd lists them');
      assert.deepEqual(await kernel.engine.run('image.list', {}), []);
      assert.equal(svc.layers.list().length, 0, 'the layer went with the last image');
      assert.deepEqual(await svc.content.list(), [], 'and its config and layer blobs with it');
    });

    it('shares layers between images and removes them only when unused', async () => {
      await load(archive);
      await load(multi);
      const a = await svc.resolve('busybox');
      const b = await svc.resolve('localhost:5000/multi:v1');
      assert.equal(a.config.rootfs.diff_ids[0], b.config.rootfs.diff_ids[0]);
      assert.equal(svc.layers.list().length, 3);
      await svc.createContainerLayer('btshare', a.id);
      await kernel.engine.run('image.remove', { name: 'localhost:5000/multi:v1' });
      assert.equal(svc.layers.list().length, 1);
      await kernel.engine.run('image.remove', { name: 'busybox', force: true });
      assert.equal(svc.images.get(a.id)?.id, a.id, 'a forced untag keeps an image a container uses');
      await svc.removeContainerLayer('btshare');
      await kernel.engine.run('image.remove', { name: a.id });
      assert.equal(svc.layers.list().length, 0);
      const home = path.join(kernel.config['data-root'], driverName);
      const leftover = fs.readdirSync(driverName === 'vfs' ? path.join(home, 'dir') : home).filter((n) => n !== 'l');
      assert.deepEqual(leftover, []);
    });

    it('saves a docker-archive that loads into another daemon with the same id', async () => {
      await load(multi);
      const id = (await svc.resolve('localhost:5000/multi:v1')).id;
      const x = io();
      await kernel.engine.run('image.save', { names: ['localhost:5000/multi:v1'] }, { io: x });
      const tarFile = path.join(base, `saved-${driverName}.tar`);
      fs.writeFileSync(tarFile, x.out());
      const [k2, svc2] = await boot(path.join(base, `other-${Date.now()}`));
      assert.deepEqual(await load(tarFile, k2), ['Loaded image: localhost:5000/multi:v1']);
      assert.equal((await svc2.resolve('localhost:5000/multi:v1')).id, id);
    });

    it('imports a gzip tar as a one-layer image with changes', async () => {
      const t = zlib.gzipSync(await buildTar([{ name: 'bin/', type: 'directory' }, { name: 'bin/x', body: '#!/bin/sh\n', mode: 0o755 }]));
      const x = io(t);
      const r = await kernel.engine.run('image.import', { repo: 'imported', tag: 't1', changes: ['CMD ["/bin/x"]', 'EXPOSE 80', 'LABEL a=b'], message: 'hi' }, { io: x });
      assert.equal(JSON.parse(x.out().toString()).status, r.id);
      const ins = await kernel.engine.run('image.inspect', { name: 'imported:t1' });
      assert.deepEqual(ins.Config?.Cmd, ['/bin/x']);
      assert.deepEqual(ins.Config?.ExposedPorts, { '80/tcp': {} });
      assert.equal(ins.RootFS.Layers.length, 1);
      assert.equal(ins.Comment, 'hi');
      await assert.rejects(kernel.engine.run('image.import', { repo: 'x', changes: ['RUN rm -rf /'] }, { io: io(t) }),
        (e: unknown) => isInvalidArgument(e) && /RUN is not a valid change command/.test((e as Error).message));
    });

    it('imports the busybox rootfs made by scripts/make-busybox-image.sh and runs from it', async () => {
      const script = path.resolve(__dirname, '..', '..', '..', '..', 'scripts', 'make-busybox-image.sh');
      const out = path.join(base, `rootfs-${driverName}.tar.gz`);
      execFileSync('bash', [script, out, '--gzip'], { stdio: 'pipe' });
      const r = await kernel.engine.run('image.import', { repo: 'busybox', tag: 'imported', changes: ['CMD ["sh"]'] }, { io: io(fs.createReadStream(out)) });
      await svc.createContainerLayer('btimp', r.id);
      const root = await svc.mountContainerLayer('btimp');
      try {
        const st = fs.statSync(path.join(root, 'bin/busybox'));
        assert.equal(st.mode & 0o777, 0o755);
        assert.equal(fs.readlinkSync(path.join(root, 'bin/sh')), 'busybox');
        assert.equal(fs.statSync(path.join(root, 'tmp')).mode & 0o7777, 0o1777);
        assert.equal(execFileSync(path.join(root, 'bin/busybox'), ['echo', 'ok'], { encoding: 'utf8' }).trim(), 'ok');
      } finally {
        await svc.unmountContainerLayer('btimp');
        await svc.removeContainerLayer('btimp');
      }
    });

    it('loads an OCI image layout tarball with a gzip layer', async () => {
      const layer = await buildTar([{ name: 'oci.txt', body: 'from oci' }]);
      const gz = zlib.gzipSync(layer);
      const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: [sha(layer)] } }));
      const manifest = Buffer.from(JSON.stringify({
        schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha(gz), size: gz.length }],
      }));
      const index = { schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha(manifest), size: manifest.length, annotations: { 'io.containerd.image.name': 'docker.io/library/ocitest:1' } }] };
      const blob = (b: Buffer): { name: string; body: Buffer } => ({ name: `blobs/sha256/${sha(b).slice(7)}`, body: b });
      const t = await buildTar([{ name: 'oci-layout', body: '{"imageLayoutVersion":"1.0.0"}' }, { name: 'index.json', body: JSON.stringify(index) }, blob(config), blob(manifest), blob(gz)]);
      const x = io(t);
      const r = await kernel.engine.run('image.load', {}, { io: x });
      assert.deepEqual(r.loaded, ['Loaded image: ocitest:1']);
      assert.equal((await svc.resolve('ocitest:1')).id, sha(config));
    });

    it('refuses a load whose layer does not match its diff_id and keeps nothing', async () => {
      const layer = await buildTar([{ name: 'f', body: 'x' }]);
      const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha(Buffer.from('other'))] } }));
      const t = await buildTar([{ name: 'c.json', body: config }, { name: 'l/layer.tar', body: layer }, { name: 'manifest.json', body: JSON.stringify([{ Config: 'c.json', RepoTags: ['bad:1'], Layers: ['l/layer.tar'] }]) }]);
      await assert.rejects(kernel.engine.run('image.load', {}, { io: io(t) }), (e: unknown) => isInvalidArgument(e) && /diff_id mismatch/.test((e as Error).message));
      assert.deepEqual(await kernel.engine.run('image.list', {}), []);
      assert.equal(svc.layers.list().length, 0);
    });

    it('refuses archive members that are symlinks (to a host file)', async () => {
      const hostTar = path.join(base, `host-secret-${driverName}.tar`);
      const secretLayer = await buildTar([{ name: 'secret', body: 'host data' }]);
      fs.writeFileSync(hostTar, secretLayer);
      const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha(secretLayer)] } }));
      const t = await buildTar([
        { name: 'c.json', body: config }, { name: 'evil', type: 'symlink', linkname: hostTar },
        { name: 'manifest.json', body: JSON.stringify([{ Config: 'c.json', RepoTags: ['stolen:1'], Layers: ['evil'] }]) },
      ]);
      await assert.rejects(kernel.engine.run('image.load', {}, { io: io(t) }), (e: unknown) => isInvalidArgument(e) && /evil is not a regular file/.test((e as Error).message));
      assert.deepEqual(await kernel.engine.run('image.list', {}), []);
    });

    it('creates container layers while a slow layer apply is in progress, and dedupes identical layers', async () => {
      await load(archive);
      const img = await svc.resolve('busybox');
      const t = await buildTar([{ name: 'slow', body: Buffer.alloc(100_000, 3) }]);
      const slow = new PassThrough();
      slow.write(t.subarray(0, 5000));
      const pending = svc.layers.register(slow, null);
      await svc.createContainerLayer('btwhile', img.id); // would never resolve if it queued behind the apply
      slow.end(t.subarray(5000));
      const a = await pending;
      const b = await svc.layers.register(Readable.from([t]), null);
      assert.equal(b.chainId, a.chainId);
      assert.equal(b.cacheId, a.cacheId, 'the second copy was discarded');
      assert.equal(svc.layers.refCount(a.chainId), 2);
      await svc.layers.release(a.chainId);
      await svc.layers.release(a.chainId);
      assert.equal(svc.layers.get(a.chainId), undefined);
      await svc.removeContainerLayer('btwhile');
    });

    it('prunes dangling images', async () => {
      await load(archive);
      const t = await buildTar([{ name: 'x', body: '1' }]);
      const r = await kernel.engine.run('image.import', {}, { io: io(t) });
      assert.equal((await kernel.engine.run('image.list', { filters: { dangling: ['true'] } })).length, 1);
      const top = svc.images.get(r.id)!.topChain!;
      const p = await kernel.engine.run('image.prune', {});
      assert.deepEqual(p.ImagesDeleted, [{ Deleted: r.id }, { Deleted: top }]);
      assert.equal((await kernel.engine.run('image.list', {})).length, 1);
    });

    it('registers a pulled image from blobs in the content store', async () => {
      const layer = await buildTar([{ name: 'pulled', body: 'p' }]);
      const gz = zlib.gzipSync(layer);
      const w = await svc.content.ingest(sha(gz), gz.length);
      await w.write(gz.subarray(0, 10));
      await w.close();
      const w2 = await svc.content.ingest(sha(gz), gz.length);
      assert.equal(w2.offset, 10);
      await w2.write(gz.subarray(10));
      await w2.commit();
      const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha(layer)] } }));
      const manifestDigest = sha(Buffer.from('manifest'));
      const id = await svc.registerPulled(manifestDigest, config, [sha(gz)], 'localhost:5000/pulled:1');
      const rec = await svc.resolve('localhost:5000/pulled:1');
      assert.equal(rec.id, id);
      assert.deepEqual(rec.repoDigests, [`localhost:5000/pulled@${manifestDigest}`]);
      assert.equal((await svc.resolve(`localhost:5000/pulled@${manifestDigest}`)).id, id);
      assert.equal(svc.existingLayers([sha(layer)]), 1);
      assert.strictEqual(kernel.di.resolve(Tokens.ImageService), svc);
      assert.strictEqual(kernel.plugins.resolve('kernel:images'), svc);
    });
  });
}

describe('graph driver selection', function () {
  let base = '';
  const kernels: OwnedKernel[] = [];
  beforeEach(() => { base = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-gsel-')); });
  afterEach(async () => {
    for (const k of kernels.splice(0)) await k.close();
    fs.rmSync(base, { recursive: true, force: true });
  });

  it('loads both built-in driver plugins through the plugin host and prefers overlay2', async () => {
    const k = await makeTestKernel({ dataRoot: path.join(base, 'p'), builtins: ['plugins/graphdriver-overlay2', 'plugins/graphdriver-vfs'] });
    kernels.push(k);
    assert.deepEqual(k.plugins.names('graphdriver:').sort(), ['graphdriver:overlay2', 'graphdriver:vfs']);
    const svc = await setupImages(k);
    assert.equal(svc.driverName, 'overlay2');
    assert.ok(svc.driver.status().some(([key]) => key === 'Backing Filesystem'));
  });

  it('falls back by priority when a driver cannot work here, and honours storage-driver', async () => {
    const refusing: GraphDriverFactory = { name: 'btrefuse', priority: 1, create: async () => { throw new FailedPreconditionError('btrefuse: not on this kernel'); } };
    const k = await makeTestKernel({ dataRoot: path.join(base, 'a'), provide: { 'graphdriver:btrefuse': refusing, 'graphdriver:vfs': vfs } });
    kernels.push(k);
    const svc = await setupImages(k);
    assert.equal(svc.driverName, 'vfs');
    const k3 = await makeTestKernel({ dataRoot: path.join(base, 'c'), provide: { 'graphdriver:vfs': vfs }, config: { 'storage-opts': ['overlay2.override_kernel_check=true'] } });
    kernels.push(k3);
    assert.equal((await setupImages(k3)).driverName, 'vfs', 'vfs is not given overlay2.* options');
    const k2 = await makeTestKernel({ dataRoot: path.join(base, 'b'), provide: { 'graphdriver:vfs': vfs }, config: { 'storage-driver': 'nope' } });
    kernels.push(k2);
    await assert.rejects(setupImages(k2), (e: unknown) => isInvalidArgument(e) && /storage-driver "nope" is not available/.test((e as Error).message));
  });
});
