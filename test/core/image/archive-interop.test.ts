/**
 * Interoperability of save/load with another implementation of the formats:
 * skopeo (containers/image) reads berth's docker-archive, converts it to an
 * OCI archive and back, and berth loads both. Local files only.
 */
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import type { JobIO } from '../../../core/engine/job';
import { setupImages } from '../../../core/image/setup';
import { VfsDriver } from '../../../plugins/graphdriver-vfs/vfs-driver';
import { makeTestKernel } from '../../helpers/test-kernel';
import { hasBusybox } from '../../helpers/busybox-rootfs';
import { makeBusyboxArchive } from '../../helpers/busybox-image';
import type { OwnedKernel } from '../../../core/daemon/create-kernel';

function io(stdin?: Readable): JobIO & { out: () => Buffer } {
  const chunks: Buffer[] = [];
  const stdout = new PassThrough();
  stdout.on('data', (c: Buffer) => chunks.push(c));
  const stderr = new PassThrough();
  stderr.resume();
  return { stdin: stdin ?? Readable.from([]), stdout, stderr, out: () => Buffer.concat(chunks) };
}

describe('docker-archive / OCI interop with skopeo', function () {
  this.timeout(120000);
  let base = '';
  const kernels: OwnedKernel[] = [];

  before(function () {
    if (spawnSync('skopeo', ['--version']).status !== 0) { console.log('skip: skopeo is not installed'); this.skip(); }
    if (!hasBusybox()) { console.log('skip: no static busybox at /bin/busybox'); this.skip(); }
  });
  beforeEach(() => { base = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-interop-')); });
  afterEach(async () => {
    try { for (const k of kernels.splice(0)) await k.close(); } finally { fs.rmSync(base, { recursive: true, force: true }); }
  });

  const boot = async (name: string) => {
    const k = await makeTestKernel({ dataRoot: path.join(base, name), provide: { 'graphdriver:vfs': { name: 'vfs', priority: 100, create: (h: string) => VfsDriver.open(h, {}) } } });
    kernels.push(k);
    return { k, svc: await setupImages(k) };
  };

  it('skopeo reads what berth saves, and berth loads what skopeo writes (docker-archive and OCI)', async () => {
    const { k, svc } = await boot('a');
    const src = await makeBusyboxArchive(path.join(base, 'bb.tar'), { multiLayer: true });
    await k.engine.run('image.load', {}, { io: io(fs.createReadStream(src.path)) });
    const x = io();
    await k.engine.run('image.save', { names: ['busybox:latest'] }, { io: x });
    const saved = path.join(base, 'saved.tar');
    fs.writeFileSync(saved, x.out());

    const info = JSON.parse(execFileSync('skopeo', ['inspect', '--config', `docker-archive:${saved}`], { encoding: 'utf8' })) as { rootfs: { diff_ids: string[] } };
    assert.deepEqual(info.rootfs.diff_ids, src.diffIds);

    const oci = path.join(base, 'oci.tar');
    execFileSync('skopeo', ['copy', '-q', `docker-archive:${saved}`, `oci-archive:${oci}:busybox:oci`], { stdio: 'pipe' });
    const back = path.join(base, 'back.tar');
    execFileSync('skopeo', ['copy', '-q', `oci-archive:${oci}`, `docker-archive:${back}:busybox:back`], { stdio: 'pipe' });

    const { k: k2, svc: svc2 } = await boot('b');
    const r1 = await k2.engine.run('image.load', {}, { io: io(fs.createReadStream(oci)) });
    const r2 = await k2.engine.run('image.load', {}, { io: io(fs.createReadStream(back)) });
    assert.equal(r1.loaded.length, 1);
    assert.deepEqual(r2.loaded, ['Loaded image: busybox:back']);
    const a = await svc.resolve('busybox:latest');
    const b = await svc2.resolve('busybox:back');
    assert.deepEqual(b.config.rootfs.diff_ids, a.config.rootfs.diff_ids);
    const viaOci = await svc2.resolve(r1.loaded[0].replace(/^Loaded image(?: ID)?: /, ''));
    assert.deepEqual(viaOci.config.rootfs.diff_ids, a.config.rootfs.diff_ids);
    // and the loaded image is usable: whiteouts of the upper layers applied
    await svc2.createContainerLayer('btinterop', b.id);
    const root = await svc2.mountContainerLayer('btinterop');
    try {
      assert.deepEqual(fs.readdirSync(path.join(root, 'data')), ['c']);
      assert.equal(fs.existsSync(path.join(root, 'etc/motd')), false);
    } finally {
      await svc2.unmountContainerLayer('btinterop');
      await svc2.removeContainerLayer('btinterop');
    }
  });
});
