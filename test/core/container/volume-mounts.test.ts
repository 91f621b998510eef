/**
 * Volumes and mounts as a container sees them (issue: volumes): `:ro`
 * enforced, tmpfs sizes enforced, copy-up of the image's content into a new
 * volume (not with nocopy), binds of host directories both ways with Docker's
 * rules for missing sources, and a Docker volume plugin used by a container.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isInvalidArgument } from '../../../core/errors';
import { startTestVolumePlugin, type TestVolumePlugin } from '../../helpers/docker-volume-plugin';
import { captureIO, makeTestbed, requireContainers, type ContainerTestbed } from './container-harness';

describe('containers: volume and mount semantics (real kernel)', function () {
  this.timeout(90_000);
  let bed: ContainerTestbed;
  let dir: string;
  let plugin: TestVolumePlugin;

  before(async function () {
    requireContainers(this);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-vmounts-'));
    fs.mkdirSync(path.join(dir, 'sockets'));
    plugin = await startTestVolumePlugin(path.join(dir, 'sockets', 'btplug.sock'), path.join(dir, 'plugin-data'));
    bed = await makeTestbed({}, undefined, { volumes: true, volumePluginSockets: path.join(dir, 'sockets') });
  });
  after(async () => {
    try { await bed?.destroy(); } finally {
      await plugin?.close();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const run = (name: string, input: unknown, opts: Record<string, unknown> = {}) => bed.kernel.engine.run(name as any, input as any, opts) as Promise<any>;
  /** Creates, starts and waits for a container; returns its exit code and output, and removes it. */
  async function runOnce(cmd: string, hostConfig: Record<string, unknown>): Promise<{ code: number; out: string; err: string }> {
    const { Id: id } = await run('container.create', { body: { Image: 'busybox', Cmd: ['sh', '-c', cmd], HostConfig: { NetworkMode: 'none', ...hostConfig } } });
    try {
      await run('container.start', { id });
      const w = await run('container.wait', { id });
      const cap = captureIO();
      await run('container.logs', { id, stdout: true, stderr: true }, { io: cap.io });
      return { code: w.StatusCode as number, out: cap.out(), err: cap.err() };
    } finally {
      await run('container.remove', { id, force: true });
    }
  }

  it('enforces :ro on a named volume and on a bind', async () => {
    const ro = await runOnce('echo x > /data/f', { Binds: ['bt-ro-vol:/data:ro'] });
    assert.notEqual(ro.code, 0);
    assert.match(ro.err, /Read-only file system/);
    const host = fs.mkdtempSync(path.join(dir, 'robind-'));
    const rob = await runOnce('touch /h/x', { Mounts: [{ Type: 'bind', Source: host, Target: '/h', ReadOnly: true }] });
    assert.notEqual(rob.code, 0);
    assert.deepEqual(fs.readdirSync(host), []);
    await run('volume.remove', { name: 'bt-ro-vol' });
  });

  it('enforces the size of --tmpfs and --mount type=tmpfs', async () => {
    const small = await runOnce('dd if=/dev/zero of=/t/big bs=1024 count=2048 2>&1; echo rc=$?', { Tmpfs: { '/t': 'size=1m' } });
    assert.match(small.out, /No space left on device/);
    assert.match(small.out, /rc=1/);
    const fits = await runOnce('dd if=/dev/zero of=/t/big bs=1024 count=512 2>/dev/null && echo fits', { Mounts: [{ Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1048576 } }] });
    assert.equal(fits.out, 'fits\n');
  });

  it("copies the image's content into a new named volume, but not with nocopy", async () => {
    const copied = await runOnce('cat /etc/group | head -1', { Binds: ['bt-copyup:/etc'] });
    assert.equal(copied.out, 'root:x:0:\n');
    const vol = await run('volume.inspect', { name: 'bt-copyup' });
    assert.ok(fs.existsSync(path.join(vol.Mountpoint, 'passwd')), 'the image\'s /etc/passwd is in the volume');
    // Only the runtime's own files (hostname, hosts, resolv.conf, bound over the volume) are there.
    const empty = await runOnce('ls -A /etc', { Mounts: [{ Type: 'volume', Source: 'bt-nocopy', Target: '/etc', VolumeOptions: { NoCopy: true } }] });
    assert.deepEqual(empty.out.split('\n').filter(Boolean).sort(), ['hostname', 'hosts', 'resolv.conf']);
    await run('volume.remove', { name: 'bt-copyup' });
    await run('volume.remove', { name: 'bt-nocopy' });
  });

  it('binds a host directory both ways; -v creates a missing source, --mount refuses it as Docker does', async () => {
    const host = fs.mkdtempSync(path.join(dir, 'bind-'));
    fs.writeFileSync(path.join(host, 'from-host'), 'hello\n');
    const r = await runOnce('cat /h/from-host; echo back > /h/from-container', { Binds: [`${host}:/h`] });
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'hello\n');
    assert.equal(fs.readFileSync(path.join(host, 'from-container'), 'utf8'), 'back\n');
    const missing = path.join(dir, 'not-yet', 'there');
    const made = await runOnce('touch /m/x', { Binds: [`${missing}:/m`] });
    assert.equal(made.code, 0, made.err);
    assert.ok(fs.existsSync(path.join(missing, 'x')), '-v created the missing host directory');
    const gone = path.join(dir, 'never-made');
    await assert.rejects(runOnce('true', { Mounts: [{ Type: 'bind', Source: gone, Target: '/m' }] }),
      (e: unknown) => isInvalidArgument(e) && (e as Error).message.includes(`bind source path does not exist: ${gone}`));
  });

  it('uses a Docker volume plugin for a container and surfaces its errors', async () => {
    await run('volume.create', { body: { Name: 'bt-plugvol', Driver: 'btplug' } });
    const r = await runOnce('echo via-plugin > /p/f', { Mounts: [{ Type: 'volume', Source: 'bt-plugvol', Target: '/p' }] });
    assert.equal(r.code, 0, r.err);
    assert.equal(fs.readFileSync(path.join(dir, 'plugin-data', 'bt-plugvol', 'f'), 'utf8'), 'via-plugin\n');
    const methods = plugin.calls.map((c) => c.method);
    assert.ok(methods.includes('VolumeDriver.Mount') && methods.includes('VolumeDriver.Unmount'), methods.join(','));
    await assert.rejects(runOnce('true', { Mounts: [{ Type: 'volume', Source: 'bt-plugfail', Target: '/p', VolumeOptions: { DriverConfig: { Name: 'btplug', Options: { fail: '1' } } } }] }),
      /volume plugin btplug: VolumeDriver\.Create: refusing to create bt-plugfail: quota exceeded/);
    await run('volume.remove', { name: 'bt-plugvol' });
  });
});
