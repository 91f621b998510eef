/**
 * The pull protocol against a real docker-registry on 127.0.0.1 (plain HTTP),
 * with images pushed by skopeo: Docker schema 2, OCI with whiteouts, a
 * two-platform OCI index, digest verification, up-to-date detection.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ProgressMessage } from '../../../core';
import { Distribution } from '../../../plugins/registry/distribution';
import { hasBusybox } from '../../helpers/busybox-rootfs';
import { hasRegistry, startRegistry, type RegistryServer } from '../../helpers/registry-server';
import { DirTarget } from './dir-target';
import { newDistribution } from './make-distribution';
import { busyboxLayer, layerFromFiles, skopeoPush, writeOciLayout, type Layer } from './fixtures';

describe('registry.distribution pull protocol (plain HTTP docker-registry)', function () {
  this.timeout(120_000);
  let tmp = '';
  let reg: RegistryServer | undefined;
  let dist: Distribution | undefined;
  let base: Layer;
  let upper: Layer;

  before(async function () {
    if (!hasRegistry() || !hasBusybox()) {
      console.log('skip: docker-registry or busybox-static is not installed');
      this.skip();
    }
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-pull-'));
    reg = await startRegistry();
    base = busyboxLayer(tmp);
    // Upper layer: a new file, a whiteout hiding /etc/group, an opaque dir.
    upper = layerFromFiles(tmp, { 'hello.txt': 'hello from layer 2\n', 'etc/.wh.group': '', 'home/.wh..wh..opq': '', 'home/kept': 'k\n' });
    writeOciLayout(path.join(tmp, 'single'), 'v1', [{ layers: [base] }]);
    writeOciLayout(path.join(tmp, 'multi'), 'v1', [{ layers: [base, upper] }]);
    writeOciLayout(path.join(tmp, 'multiarch'), 'v1', [
      { layers: [base], architecture: 'amd64', cmd: ['echo', 'amd64'] },
      { layers: [base, upper], architecture: 'arm64', variant: 'v8', cmd: ['echo', 'arm64'] },
    ]);
    await skopeoPush(path.join(tmp, 'single'), 'v1', `${reg.host}/test/single:v1`, { format: 'v2s2' });
    await skopeoPush(path.join(tmp, 'multi'), 'v1', `${reg.host}/test/multi:v1`, { format: 'oci' });
    await skopeoPush(path.join(tmp, 'multiarch'), 'v1', `${reg.host}/test/multiarch:v1`, { all: true });
  });

  after(async () => {
    try { dist?.close(); } finally {
      try { await reg?.stop(); } finally { if (tmp) fs.rmSync(tmp, { recursive: true, force: true }); }
    }
  });

  function fresh(name: string): { target: DirTarget; msgs: ProgressMessage[]; progress: (m: ProgressMessage) => void } {
    dist ??= newDistribution(tmp);
    const target = new DirTarget(fs.mkdtempSync(path.join(tmp, `${name}-`)));
    const msgs: ProgressMessage[] = [];
    return { target, msgs, progress: (m) => msgs.push(m) };
  }

  it('pulls a Docker schema 2 image that skopeo pushed, verifying and extracting its layer', async () => {
    const { target, msgs, progress } = fresh('s2');
    const ref = dist!.parse(`${reg!.host}/test/single:v1`);
    const r = await dist!.pull(ref, target, { progress });
    assert.equal(r.upToDate, false);
    assert.ok(fs.existsSync(path.join(target.layerDir({ configDigest: r.id } as never, 0), 'bin/busybox')));
    assert.deepEqual(target.applied, [base.digest]);
    assert.equal(fs.readFileSync(target.blobs.path(base.digest)).length, base.tgz.length);
    const statuses = msgs.map((m) => m.status);
    for (const s of ['Pulling fs layer', 'Downloading', 'Verifying Checksum', 'Download complete', 'Extracting', 'Pull complete']) {
      assert.ok(statuses.includes(s), `missing progress status ${s}: ${JSON.stringify(statuses)}`);
    }
    assert.equal(msgs[0].status, 'Pulling from test/single');
    assert.equal(statuses.at(-2), `Digest: ${r.manifestDigest}`);
    assert.equal(statuses.at(-1), `Status: Downloaded newer image for ${reg!.host}/test/single:v1`);
    const dl = msgs.find((m) => m.status === 'Downloading' && m.progressDetail?.current === base.tgz.length);
    assert.ok(dl, 'a Downloading message reports the full size');
    assert.equal(dl!.id, base.digest.slice(7, 19));
    assert.match(dl!.progress ?? '', /^\[=+\] +[\d.]+[kM]B\/[\d.]+[kM]B$/);
    assert.equal(target.records().length, 1);

    // Second pull of the same tag: up to date, nothing downloaded.
    const again: ProgressMessage[] = [];
    const r2 = await dist!.pull(ref, target, { progress: (m) => again.push(m) });
    assert.equal(r2.upToDate, true);
    assert.equal(again.at(-1)!.status, `Status: Image is up to date for ${reg!.host}/test/single:v1`);
    assert.ok(!again.some((m) => m.status === 'Downloading'));
  });

  it('pulls an OCI multi-layer image with whiteouts, applying layers in order', async () => {
    const { target, progress } = fresh('oci');
    const r = await dist!.pull(dist!.parse(`${reg!.host}/test/multi:v1`), target, { progress });
    assert.deepEqual(target.applied, [base.digest, upper.digest]);
    const l1 = target.layerDir({ configDigest: r.id } as never, 1);
    assert.equal(fs.readFileSync(path.join(l1, 'hello.txt'), 'utf8'), 'hello from layer 2\n');
    assert.ok(fs.existsSync(path.join(l1, 'etc/.wh.group')), 'whiteout entry arrives intact');
    assert.ok(fs.existsSync(path.join(l1, 'home/.wh..wh..opq')), 'opaque marker arrives intact');
  });

  it('selects the platform from a two-platform OCI index, honours --platform, and names the platforms when none matches', async () => {
    const host = fresh('idx');
    const rHost = await dist!.pull(dist!.parse(`${reg!.host}/test/multiarch:v1`), host.target, { progress: host.progress, platform: 'linux/amd64' });
    const arm = fresh('idx-arm');
    const rArm = await dist!.pull(dist!.parse(`${reg!.host}/test/multiarch:v1`), arm.target, { progress: arm.progress, platform: 'linux/arm64' });
    assert.notEqual(rHost.id, rArm.id);
    assert.equal(rHost.manifestDigest, rArm.manifestDigest, 'both report the index digest');
    assert.deepEqual(host.target.applied, [base.digest]);
    assert.deepEqual(arm.target.applied, [base.digest, upper.digest]);
    const none = fresh('idx-none');
    await assert.rejects(dist!.pull(dist!.parse(`${reg!.host}/test/multiarch:v1`), none.target, { progress: none.progress, platform: 'linux/s390x' }),
      (e: Error & { code?: string }) => e.code === 'NotFound' && /no matching manifest for linux\/s390x/.test(e.message)
        && /linux\/amd64/.test(e.message) && /linux\/arm64\/v8/.test(e.message));
    assert.equal(none.target.records().length, 0);
  });

  it('refuses a blob whose content does not match its digest and stores nothing', async () => {
    // Corrupt the stored blob inside the registry's own storage: the registry serves it as is.
    const tgz = Buffer.from(upper.tgz);
    const blob = path.join(reg!.storageDir, 'docker/registry/v2/blobs/sha256', upper.digest.slice(7, 9), upper.digest.slice(7), 'data');
    assert.ok(fs.existsSync(blob), `registry blob at ${blob}`);
    const bad = Buffer.from(tgz);
    bad[bad.length - 20] ^= 0xff;
    fs.writeFileSync(blob, bad);
    try {
      const { target, progress } = fresh('bad');
      await assert.rejects(dist!.pull(dist!.parse(`${reg!.host}/test/multi:v1`), target, { progress }),
        (e: Error & { code?: string }) => e.code === 'InvalidArgument' && /digest mismatch/.test(e.message) && e.message.includes(upper.digest));
      assert.equal(await target.blobs.has(upper.digest), false, 'no verified blob');
      assert.equal(fs.existsSync(target.blobs.partialPath(upper.digest)), false, 'no partial data kept');
      assert.equal(target.records().length, 0, 'no image recorded');
      assert.ok(!fs.existsSync(path.join(target.dir, 'layers', 'x')));
    } finally {
      fs.writeFileSync(blob, tgz);
    }
  });

  it('pulls docker.io names through a registry mirror (registry-mirrors)', async () => {
    // The mirror holds library/busybox; the pull must never need Docker Hub.
    await skopeoPush(path.join(tmp, 'single'), 'v1', `${reg!.host}/library/busybox:latest`, { format: 'v2s2' });
    const mirrored = newDistribution(fs.mkdtempSync(path.join(tmp, 'mirror-')), { mirrors: [`http://${reg!.host}`] });
    try {
      const eps = mirrored.resolver.endpoints('docker.io');
      assert.deepEqual(eps.map((e) => [e.base, e.mirror]), [[`http://${reg!.host}`, true], ['https://registry-1.docker.io', false]]);
      const target = new DirTarget(fs.mkdtempSync(path.join(tmp, 'mirror-t-')));
      const msgs: ProgressMessage[] = [];
      const r = await mirrored.pull(mirrored.parse('busybox'), target, { progress: (m) => msgs.push(m) });
      assert.equal(target.records()[0].id, r.id);
      assert.equal(msgs[0].status, 'Pulling from library/busybox');
      assert.equal(msgs.at(-1)!.status, 'Status: Downloaded newer image for busybox:latest');
    } finally {
      mirrored.close();
    }
  });

  it('resumes a blob with Range after the connection drops mid-download (flaky link), within the same pull', async () => {
    // A TCP relay on 127.0.0.1 in front of the registry cuts the first connection that has carried 200 kB.
    let cut = false;
    const sockets = new Set<net.Socket>();
    const relay = net.createServer((client) => {
      const upstream = net.connect(reg!.port, '127.0.0.1');
      sockets.add(client).add(upstream);
      let n = 0;
      client.pipe(upstream);
      upstream.on('data', (c: Buffer) => {
        n += c.length;
        if (!cut && n > 200 * 1024) { cut = true; client.destroy(); upstream.destroy(); return; }
        client.write(c);
      });
      const end = (): void => { client.destroy(); upstream.destroy(); };
      upstream.on('end', end).on('error', end);
      client.on('error', end).on('close', end);
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    const port = (relay.address() as net.AddressInfo).port;
    await skopeoPush(path.join(tmp, 'single'), 'v1', `${reg!.host}/test/flaky:v1`, { format: 'v2s2' });
    const d = newDistribution(fs.mkdtempSync(path.join(tmp, 'flaky-')));
    try {
      const target = new DirTarget(fs.mkdtempSync(path.join(tmp, 'flaky-t-')));
      const msgs: ProgressMessage[] = [];
      const r = await d.pull(d.parse(`127.0.0.1:${port}/test/flaky:v1`), target, { progress: (m) => msgs.push(m) });
      assert.ok(cut, 'the relay cut a connection');
      const retry = msgs.findIndex((m) => /^Retrying in \d+ seconds?$/.test(m.status ?? ''));
      assert.ok(retry >= 0, `a retry was announced: ${JSON.stringify(msgs.map((m) => m.status))}`);
      const id = msgs[retry].id;
      const resumed = msgs.slice(retry).find((m) => m.status === 'Downloading' && m.id === id);
      assert.ok((resumed?.progressDetail?.current ?? 0) > 0, 'the retry continued from the stored bytes');
      assert.equal(target.records()[0].id, r.id);
      assert.equal(fs.readFileSync(target.blobs.path(base.digest)).length, base.tgz.length);
    } finally {
      d.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => relay.close(() => r()));
    }
  });

  it('queues layers beyond max-concurrent-downloads with Waiting, and still applies them in order', async () => {
    const one = newDistribution(fs.mkdtempSync(path.join(tmp, 'one-')), { maxConcurrentDownloads: 1 });
    try {
      const target = new DirTarget(fs.mkdtempSync(path.join(tmp, 'one-t-')));
      const msgs: ProgressMessage[] = [];
      await one.pull(one.parse(`${reg!.host}/test/multi:v1`), target, { progress: (m) => msgs.push(m) });
      const upperId = upper.digest.slice(7, 19);
      const baseId = base.digest.slice(7, 19);
      const waiting = msgs.findIndex((m) => m.status === 'Waiting' && m.id === upperId);
      const baseDone = msgs.findIndex((m) => m.status === 'Download complete' && m.id === baseId);
      const upperFirstByte = msgs.findIndex((m) => m.status === 'Downloading' && m.id === upperId);
      assert.ok(waiting >= 0, 'the second layer waited');
      assert.ok(!msgs.some((m) => m.status === 'Waiting' && m.id === baseId), 'the first did not');
      assert.ok(baseDone < upperFirstByte, 'with one slot, the second download starts after the first completes');
      assert.deepEqual(target.applied, [base.digest, upper.digest]);
    } finally {
      one.close();
    }
  });

  it('lets two simultaneous pulls share a layer download instead of corrupting one ingest', async () => {
    const { target, progress } = fresh('twice');
    const ref = dist!.parse(`${reg!.host}/test/multi:v1`);
    const [a, b] = await Promise.all([dist!.pull(ref, target, { progress }), dist!.pull(ref, target, { progress })]);
    assert.equal(a.id, b.id);
    assert.equal(fs.readFileSync(target.blobs.path(upper.digest)).length, upper.tgz.length);
  });

  it('refuses a Docker schema 1 image (pushed by skopeo to a registry with schema1 compatibility) with a clear message', async () => {
    const old = await startRegistry({ schema1: true });
    try {
      await skopeoPush(path.join(tmp, 'single'), 'v1', `${old.host}/legacy/s1:v1`, { format: 'v2s1' });
      const { target, progress } = fresh('s1');
      await assert.rejects(dist!.pull(dist!.parse(`${old.host}/legacy/s1:v1`), target, { progress }),
        (e: Error & { code?: string }) => e.code === 'FailedPrecondition' && /schema 1/.test(e.message) && e.message.includes('legacy/s1:v1'));
      assert.equal(target.records().length, 0);
    } finally {
      await old.stop();
    }
  });

  it('reports a missing tag as NotFound with the registry message', async () => {
    const { target, progress } = fresh('missing');
    await assert.rejects(dist!.pull(dist!.parse(`${reg!.host}/test/single:nope`), target, { progress }),
      (e: Error & { code?: string }) => e.code === 'NotFound' && /manifest unknown/.test(e.message));
  });
});
