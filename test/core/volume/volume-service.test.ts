import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { OwnedKernel } from '../../../core/daemon/create-kernel';
import { isConflict, isInvalidArgument, isNotFound } from '../../../core/errors';
import { setupVolumes } from '../../../core/volume/setup';
import type { VolumeService } from '../../../core/volume/volume-service';
import { makeTestKernel } from '../../helpers/test-kernel';

const isMounted = (p: string): boolean => fs.readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === p);

describe('core/volume: volumes with the local driver', () => {
  let dir: string;
  let kernel: OwnedKernel;
  let volumes: VolumeService;
  const users = new Map<string, string[]>();

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-volume-'));
    kernel = await makeTestKernel({ dataRoot: path.join(dir, 'root'), builtins: ['plugins/volumedriver-local'] });
    volumes = await setupVolumes(kernel);
    users.clear();
    volumes.setUsageCheck((name) => users.get(name) ?? []);
  });
  afterEach(async () => {
    await kernel.close();
    for (const l of fs.readFileSync('/proc/mounts', 'utf8').split('\n')) {
      const mp = l.split(' ')[1];
      if (mp && mp.startsWith(dir)) execFileSync('umount', ['-l', mp]);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates, inspects, lists and removes a named volume in Docker shapes', async () => {
    const v = await kernel.engine.run('volume.create', { body: { Name: 'data1', Labels: { app: 'web' } } });
    assert.equal(v.Name, 'data1');
    assert.equal(v.Driver, 'local');
    assert.equal(v.Scope, 'local');
    assert.equal(v.Mountpoint, path.join(dir, 'root/volumes/data1/_data'));
    assert.ok(fs.statSync(v.Mountpoint).isDirectory());
    assert.deepEqual((await kernel.engine.run('volume.inspect', { name: 'data1' })).Labels, { app: 'web' });
    assert.deepEqual((await kernel.engine.run('volume.list', {})).Volumes.map((x) => x.Name), ['data1']);
    await kernel.engine.run('volume.remove', { name: 'data1' });
    assert.equal(fs.existsSync(path.join(dir, 'root/volumes/data1')), false);
    await assert.rejects(kernel.engine.run('volume.inspect', { name: 'data1' }), (e: unknown) => isNotFound(e) && /get data1: no such volume/.test((e as Error).message));
  });

  it('keeps data across mounts by different containers', async () => {
    const a = await volumes.mountForContainer({ name: 'keep', containerId: 'c1', rootfs: dir, destination: '/nothing', nocopy: false });
    fs.writeFileSync(path.join(a.source, 'hello'), 'from c1');
    await volumes.unmountForContainer('keep', 'c1');
    const b = await volumes.mountForContainer({ name: 'keep', containerId: 'c2', rootfs: dir, destination: '/nothing', nocopy: false });
    assert.equal(fs.readFileSync(path.join(b.source, 'hello'), 'utf8'), 'from c1');
  });

  it('refuses bad volume names, naming the name', async () => {
    for (const bad of ['../etc', 'a/b', '-x', 'x']) {
      await assert.rejects(kernel.engine.run('volume.create', { body: { Name: bad } }),
        (e: unknown) => isInvalidArgument(e) && (e as Error).message.includes(`"${bad}" includes invalid characters`));
    }
    await assert.rejects(kernel.engine.run('volume.create', { body: { Name: 'ok1', Labels: { a: 1 } as never } }),
      (e: unknown) => isInvalidArgument(e) && /\/Labels\/a: must be string/.test((e as Error).message));
  });

  it('refuses to remove a volume in use, also with force, naming the containers', async () => {
    await kernel.engine.run('volume.create', { body: { Name: 'busy' } });
    users.set('busy', ['abc123']);
    for (const force of [false, true]) {
      await assert.rejects(kernel.engine.run('volume.remove', { name: 'busy', force }),
        (e: unknown) => isConflict(e) && (e as Error).message === 'remove busy: volume is in use - [abc123]');
    }
    users.delete('busy');
    await kernel.engine.run('volume.remove', { name: 'busy' });
  });

  it('filters by dangling, label, name and driver, and prunes only unused volumes', async () => {
    await kernel.engine.run('volume.create', { body: { Name: 'used', Labels: { tier: 'db' } } });
    await kernel.engine.run('volume.create', { body: { Name: 'free', Labels: { tier: 'cache' } } });
    users.set('used', ['c1']);
    const names = async (filters: Record<string, string[]>): Promise<string[]> =>
      (await kernel.engine.run('volume.list', { filters })).Volumes.map((v) => v.Name);
    assert.deepEqual(await names({ dangling: ['true'] }), ['free']);
    assert.deepEqual(await names({ dangling: ['false'] }), ['used']);
    assert.deepEqual(await names({ label: ['tier=db'] }), ['used']);
    assert.deepEqual(await names({ name: ['fr'] }), ['free']);
    assert.deepEqual(await names({ driver: ['other'] }), []);
    await assert.rejects(names({ colour: ['x'] }), /Invalid filter 'colour'/);
    fs.writeFileSync(path.join((await volumes.inspect('free')).Mountpoint, 'f'), 'x'.repeat(1000));
    const pruned = await kernel.engine.run('volume.prune', {});
    assert.deepEqual(pruned.VolumesDeleted, ['free']);
    assert.ok(pruned.SpaceReclaimed >= 1000);
    assert.deepEqual(await names({}), ['used']);
  });

  it('makes a tmpfs volume from driver options and enforces its size', async () => {
    await kernel.engine.run('volume.create', { body: { Name: 'scratch', DriverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' } } });
    const m = await volumes.mountForContainer({ name: 'scratch', containerId: 'c1', rootfs: dir, destination: '/x', nocopy: true });
    assert.ok(isMounted(m.source), 'tmpfs volume should be mounted');
    assert.throws(() => fs.writeFileSync(path.join(m.source, 'big'), Buffer.alloc(2 * 1024 * 1024)), /ENOSPC/);
    await volumes.unmountForContainer('scratch', 'c1');
    assert.equal(isMounted(m.source), false);
  });

  it('binds a host directory by driver options, both ways', async () => {
    const host = path.join(dir, 'hostdir');
    fs.mkdirSync(host);
    fs.writeFileSync(path.join(host, 'from-host'), '1');
    await kernel.engine.run('volume.create', { body: { Name: 'hostbind', DriverOpts: { type: 'none', o: 'bind', device: host } } });
    const m = await volumes.mountForContainer({ name: 'hostbind', containerId: 'c1', rootfs: dir, destination: '/x', nocopy: true });
    assert.equal(fs.readFileSync(path.join(m.source, 'from-host'), 'utf8'), '1');
    fs.writeFileSync(path.join(m.source, 'from-volume'), '2');
    assert.equal(fs.readFileSync(path.join(host, 'from-volume'), 'utf8'), '2');
    await volumes.unmountForContainer('hostbind', 'c1');
    await assert.rejects(kernel.engine.run('volume.create', { body: { Name: 'bad', DriverOpts: { colour: 'x' } } }), /invalid option: "colour"/);
  });

  it("copies the image's content into a new empty volume, unless nocopy", async () => {
    const rootfs = path.join(dir, 'rootfs');
    fs.mkdirSync(path.join(rootfs, 'data/sub'), { recursive: true });
    fs.writeFileSync(path.join(rootfs, 'data/sub/seed'), 'seeded');
    fs.chownSync(path.join(rootfs, 'data/sub/seed'), 33, 33);
    const a = await volumes.mountForContainer({ containerId: 'c1', rootfs, destination: '/data', nocopy: false });
    assert.match(a.name, /^[0-9a-f]{64}$/, 'an anonymous volume gets a 64-hex name');
    assert.ok(await volumes.isAnonymous(a.name));
    assert.equal(fs.readFileSync(path.join(a.source, 'sub/seed'), 'utf8'), 'seeded');
    assert.equal(fs.statSync(path.join(a.source, 'sub/seed')).uid, 33);
    const b = await volumes.mountForContainer({ name: 'nocopy', containerId: 'c2', rootfs, destination: '/data', nocopy: true });
    assert.deepEqual(fs.readdirSync(b.source), []);
  });

  it('says plainly when no driver of that name exists', async () => {
    await assert.rejects(kernel.engine.run('volume.create', { body: { Name: 'v1', Driver: 'nfs-magic' } }),
      (e: unknown) => isNotFound(e) && (e as Error).message === 'error looking up volume plugin nfs-magic: plugin "nfs-magic" not found');
  });
});
