/**
 * End to end through the kernel: the registry plugin loaded by the plugin
 * host, the real image service on vfs, a real docker-registry on 127.0.0.1.
 * berth pulls what skopeo pushed (whiteouts applied), skopeo reads back what
 * berth pushed (monolithic and chunked uploads, cross-repository mount,
 * "Layer already exists"), and search gives a clear NotImplemented error.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { hasBusybox } from '../../helpers/busybox-rootfs';
import { hasRegistry, startRegistry, type RegistryServer } from '../../helpers/registry-server';
import { busyboxLayer, layerFromFiles, randomLayer, skopeo, skopeoPush, writeOciLayout, type Layer } from './fixtures';
import { bootRegistryKernel, runWithProgress, type RegistryKernel } from './registry-kernel';

type Coded = Error & { code?: string };

describe('registry.distribution end to end (kernel + image service + docker-registry)', function () {
  this.timeout(240_000);
  let tmp = '';
  let reg: RegistryServer | undefined;
  let k: RegistryKernel | undefined;
  let base: Layer;
  let upper: Layer;
  let big: Layer;
  const containers: string[] = [];

  before(async function () {
    if (!hasRegistry() || !hasBusybox()) {
      console.log('skip: docker-registry or busybox-static is not installed');
      this.skip();
    }
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-e2e-'));
    reg = await startRegistry();
    base = busyboxLayer(tmp);
    upper = layerFromFiles(tmp, { 'hello.txt': 'hello from layer 2\n', 'etc/.wh.group': '', 'home/.wh..wh..opq': '', 'home/kept': 'k\n' });
    big = randomLayer(tmp, 'blob.bin', 600 * 1024);
    writeOciLayout(path.join(tmp, 'multi'), 'v1', [{ layers: [base, upper, big] }]);
    await skopeoPush(path.join(tmp, 'multi'), 'v1', `${reg.host}/src/multi:v1`, { format: 'v2s2' });
    k = await bootRegistryKernel(path.join(tmp, 'root'), {
      certsDir: path.join(tmp, 'certs.d'), dockerConfig: path.join(tmp, 'docker.json'), chunkSize: 256 * 1024,
    });
  });

  after(async () => {
    try {
      for (const c of containers) await k?.images.removeContainerLayer(c).catch(() => undefined);
      await k?.kernel.close();
      await reg?.stop();
    } finally {
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('image.pull: pulls a 3-layer image skopeo pushed, applies whiteouts, lists it with tag and repo digest', async () => {
    const ref = `${reg!.host}/src/multi:v1`;
    const pulled: string[] = [];
    k!.kernel.hooks.image.pulled.tap('test', (r, id) => { pulled.push(`${r} ${id}`); });
    const { output, msgs } = await runWithProgress(k!.kernel, 'image.pull', { fromImage: `${reg!.host}/src/multi`, tag: 'v1' });
    assert.match(output.Id, /^sha256:[a-f0-9]{64}$/);
    assert.deepEqual(pulled, [`${ref} ${output.Id}`]);
    const order = msgs.filter((m) => m.status === 'Pull complete').map((m) => m.id);
    assert.deepEqual(order, [base, upper, big].map((l) => l.digest.slice(7, 19)), 'layers complete in order');
    assert.equal(msgs.at(-1)!.status, `Status: Downloaded newer image for ${ref}`);
    const list = await k!.kernel.engine.run('image.list', {});
    const img = list.find((i) => i.Id === output.Id);
    assert.ok(img, 'pulled image listed');
    assert.deepEqual(img!.RepoTags, [ref]);
    assert.deepEqual(img!.RepoDigests, [`${reg!.host}/src/multi@${output.Digest}`]);

    containers.push('bt-reg-c1');
    await k!.images.createContainerLayer('bt-reg-c1', output.Id);
    const root = await k!.images.mountContainerLayer('bt-reg-c1');
    try {
      assert.ok(fs.statSync(path.join(root, 'bin/busybox')).isFile());
      assert.equal(fs.readFileSync(path.join(root, 'hello.txt'), 'utf8'), 'hello from layer 2\n');
      assert.equal(fs.existsSync(path.join(root, 'etc/group')), false, 'whiteout removed /etc/group');
      assert.ok(fs.existsSync(path.join(root, 'etc/passwd')));
      assert.deepEqual(fs.readdirSync(path.join(root, 'home')), ['kept'], 'opaque dir hides the lower content');
      assert.equal(fs.statSync(path.join(root, 'blob.bin')).size, 600 * 1024);
    } finally {
      await k!.images.unmountContainerLayer('bt-reg-c1');
    }

    const again = await runWithProgress(k!.kernel, 'image.pull', { fromImage: ref });
    assert.equal(again.msgs.at(-1)!.status, `Status: Image is up to date for ${ref}`);
  });

  it('image.push: skopeo reads back what berth pushed; a second push says Layer already exists; another repo mounts', async () => {
    const src = `${reg!.host}/src/multi:v1`;
    await k!.kernel.engine.run('image.tag', { name: src, repo: `${reg!.host}/dst/copy`, tag: 'v2' });
    const first = await runWithProgress(k!.kernel, 'image.push', { name: `${reg!.host}/dst/copy`, tag: 'v2' });
    assert.equal(first.msgs[0].status, `The push refers to repository [${reg!.host}/dst/copy]`);
    const st = (s: string): Array<string | undefined> => first.msgs.filter((m) => m.status === s).map((m) => m.id);
    assert.equal(st('Preparing').length, 3);
    // The registry had these blobs in another repo (src/multi): berth mounts them rather than uploading.
    const mounted = first.msgs.filter((m) => m.status === 'Mounted from src/multi');
    assert.equal(mounted.length, 3, JSON.stringify(first.msgs.map((m) => m.status)));
    const digestLine = first.msgs.find((m) => /^v2: digest: sha256:[a-f0-9]{64} size: \d+$/.test(m.status ?? ''));
    assert.ok(digestLine, 'digest line');
    assert.equal(first.output.Digest, /digest: (\S+)/.exec(digestLine!.status!)![1]);

    const inspect = JSON.parse(await skopeo(['inspect', '--tls-verify=false', `docker://${reg!.host}/dst/copy:v2`])) as { Digest: string; Layers: string[] };
    assert.equal(inspect.Digest, first.output.Digest);
    assert.deepEqual(inspect.Layers, [base.digest, upper.digest, big.digest]);

    const again = await runWithProgress(k!.kernel, 'image.push', { name: `${reg!.host}/dst/copy`, tag: 'v2' });
    assert.equal(again.msgs.filter((m) => m.status === 'Layer already exists').length, 3);
    assert.equal(again.output.Digest, first.output.Digest);
  });

  it('image.push: uploads a locally built image (monolithic + chunked) and skopeo copies it back byte for byte', async () => {
    // An image berth never pulled: imported from a tar, so its layer has no registry blob yet.
    const tarFile = path.join(tmp, 'import.tar');
    fs.writeFileSync(tarFile, randomLayer(tmp, 'payload.bin', 700 * 1024).tar);
    const { PassThrough } = await import('node:stream');
    const stdin = fs.createReadStream(tarFile);
    const stdout = new PassThrough();
    stdout.resume();
    const stderr = new PassThrough();
    stderr.resume();
    const imp = await k!.kernel.engine.run('image.import', { fromSrc: '-', repo: `${reg!.host}/local/imported`, tag: 'v1' }, { io: { stdin, stdout, stderr } });
    assert.match(imp.id, /^sha256:/);
    const pushed = await runWithProgress(k!.kernel, 'image.push', { name: `${reg!.host}/local/imported`, tag: 'v1' });
    assert.ok(pushed.msgs.some((m) => m.status === 'Pushing' && (m.progressDetail?.current ?? 0) > 0));
    assert.equal(pushed.msgs.filter((m) => m.status === 'Pushed').length, 1);
    const out = path.join(tmp, 'readback');
    await skopeo(['copy', '--src-tls-verify=false', `docker://${reg!.host}/local/imported:v1`, `dir:${out}`]);
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')) as { config: { digest: string }; layers: Array<{ digest: string }> };
    assert.equal(manifest.config.digest, imp.id, 'config digest is the image id');
    const layerFile = path.join(out, manifest.layers[0].digest.slice(7));
    const { gunzipSync } = await import('node:zlib');
    assert.ok(gunzipSync(fs.readFileSync(layerFile)).equals(fs.readFileSync(tarFile)), 'the layer is the imported tar');
  });

  it('image.push without a tag pushes every local tag of the repository (docker push --all-tags)', async () => {
    const src = `${reg!.host}/src/multi:v1`;
    await k!.kernel.engine.run('image.tag', { name: src, repo: `${reg!.host}/dst/all`, tag: 'a' });
    await k!.kernel.engine.run('image.tag', { name: src, repo: `${reg!.host}/dst/all`, tag: 'b' });
    const r = await runWithProgress(k!.kernel, 'image.push', { name: `${reg!.host}/dst/all` });
    const lines = r.msgs.map((m) => m.status ?? '').filter((st) => /: digest: /.test(st));
    assert.deepEqual(lines.map((l) => l.split(':')[0]), ['a', 'b']);
    const tags = JSON.parse(await skopeo(['list-tags', '--tls-verify=false', `docker://${reg!.host}/dst/all`])) as { Tags: string[] };
    assert.deepEqual(tags.Tags.sort(), ['a', 'b']);
  });

  it('image.pull without any tag pulls every tag of the repository (tags/list), as Docker\'s API does', async () => {
    writeOciLayout(path.join(tmp, 'tags'), 'v1', [{ layers: [base] }]);
    await skopeoPush(path.join(tmp, 'tags'), 'v1', `${reg!.host}/src/tags:one`);
    await skopeoPush(path.join(tmp, 'tags'), 'v1', `${reg!.host}/src/tags:two`);
    const r = await runWithProgress(k!.kernel, 'image.pull', { fromImage: `${reg!.host}/src/tags` });
    const inspect = await k!.kernel.engine.run('image.inspect', { name: r.output.Id });
    assert.deepEqual([...inspect.RepoTags].sort(), [`${reg!.host}/src/tags:one`, `${reg!.host}/src/tags:two`]);
  });

  it('image.push of a missing image and image.search on a v2-only registry fail with clear typed errors', async () => {
    await assert.rejects(k!.kernel.engine.run('image.push', { name: `${reg!.host}/nope/none`, tag: 'x' }),
      (e: Coded) => e.code === 'NotFound' && e.message.includes('nope/none'));
    await assert.rejects(k!.kernel.engine.run('image.search', { term: `${reg!.host}/busybox` }),
      (e: Coded) => e.code === 'NotImplemented' && e.message.includes(reg!.host) && /search/.test(e.message));
  });

  it('image.pull: a two-platform index honours platform and names the available ones otherwise', async () => {
    writeOciLayout(path.join(tmp, 'idx'), 'v1', [
      { layers: [base], architecture: 'amd64' },
      { layers: [base, upper], architecture: 'arm64', variant: 'v8' },
    ]);
    await skopeoPush(path.join(tmp, 'idx'), 'v1', `${reg!.host}/src/idx:v1`, { all: true });
    const arm = await runWithProgress(k!.kernel, 'image.pull', { fromImage: `${reg!.host}/src/idx:v1`, platform: 'linux/arm64' });
    const inspect = await k!.kernel.engine.run('image.inspect', { name: arm.output.Id });
    assert.equal(inspect.Architecture, 'arm64');
    // Pushing the pulled OCI image back reuses its gzip blobs (same digests) in a Docker schema 2 manifest.
    await k!.kernel.engine.run('image.tag', { name: arm.output.Id, repo: `${reg!.host}/dst/arm`, tag: 'v1' });
    const pushed = await runWithProgress(k!.kernel, 'image.push', { name: `${reg!.host}/dst/arm`, tag: 'v1' });
    const raw = JSON.parse(await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${reg!.host}/dst/arm:v1`])) as { mediaType: string; layers: Array<{ digest: string; mediaType: string }>; config: { digest: string } };
    assert.equal(raw.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
    assert.deepEqual(raw.layers.map((l) => l.digest), [base.digest, upper.digest]);
    assert.equal(raw.config.digest, arm.output.Id);
    assert.ok(pushed.msgs.some((m) => /^v1: digest: /.test(m.status ?? '')));
    await assert.rejects(k!.kernel.engine.run('image.pull', { fromImage: `${reg!.host}/src/idx:v1`, platform: 'linux/riscv64' }),
      (e: Coded) => e.code === 'NotFound' && /linux\/riscv64/.test(e.message) && /linux\/arm64\/v8/.test(e.message));
  });
});
