import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { OwnedKernel } from '../../../core/daemon/create-kernel';
import { isNotFound } from '../../../core/errors';
import { setupVolumes } from '../../../core/volume/setup';
import type { VolumeService } from '../../../core/volume/volume-service';
import { makeTestKernel } from '../../helpers/test-kernel';
import { startTestVolumePlugin, type TestVolumePlugin } from '../../helpers/docker-volume-plugin';

describe('plugins/volumedriver-remote: Docker volume plugins', () => {
  let dir: string;
  let kernel: OwnedKernel;
  let volumes: VolumeService;
  let plugin: TestVolumePlugin;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-volplugin-'));
    fs.mkdirSync(path.join(dir, 'sockets'));
    fs.mkdirSync(path.join(dir, 'specs'));
    plugin = await startTestVolumePlugin(path.join(dir, 'sockets', 'testvol.sock'), path.join(dir, 'plugin-data'));
    kernel = await makeTestKernel({
      dataRoot: path.join(dir, 'root'),
      builtins: ['plugins/volumedriver-local', 'plugins/volumedriver-remote'],
      config: { 'plugin-options': { 'volumedriver.docker-plugins': { socketDirs: [path.join(dir, 'sockets')], specDirs: [path.join(dir, 'specs')], timeoutMs: 5000 } } },
    });
    volumes = await setupVolumes(kernel);
  });
  afterEach(async () => {
    await kernel.close();
    await plugin.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('discovers a plugin by socket, activates it, and uses it for a volume', async () => {
    const v = await kernel.engine.run('volume.create', { body: { Name: 'remote1', Driver: 'testvol', DriverOpts: { size: '1g' } } });
    assert.equal(v.Driver, 'testvol');
    assert.equal(v.Scope, 'global');
    assert.equal(v.Mountpoint, path.join(dir, 'plugin-data/remote1'));
    const methods = plugin.calls.map((c) => c.method);
    assert.deepEqual(methods.slice(0, 3), ['Plugin.Activate', 'VolumeDriver.Capabilities', 'VolumeDriver.Create']);
    assert.ok(plugin.calls.every((c) => c.accept === 'application/vnd.docker.plugins.v1+json'));
    assert.deepEqual(plugin.calls[2].body, { Name: 'remote1', Opts: { size: '1g' } });
    const m = await volumes.mountForContainer({ name: 'remote1', containerId: 'c1', rootfs: dir, destination: '/x', nocopy: true });
    assert.equal(m.source, path.join(dir, 'plugin-data/remote1'));
    assert.deepEqual(plugin.calls.find((c) => c.method === 'VolumeDriver.Mount')?.body, { Name: 'remote1', ID: 'c1' });
    await volumes.unmountForContainer('remote1', 'c1');
    assert.deepEqual((await kernel.engine.run('volume.list', { filters: { driver: ['testvol'] } })).Volumes.map((x) => x.Name), ['remote1']);
    await kernel.engine.run('volume.remove', { name: 'remote1' });
    assert.ok(plugin.calls.some((c) => c.method === 'VolumeDriver.Remove'));
    assert.equal(plugin.calls.filter((c) => c.method === 'Plugin.Activate').length, 1, 'activated once');
  });

  it("passes the plugin's error through verbatim, naming the plugin", async () => {
    await assert.rejects(kernel.engine.run('volume.create', { body: { Name: 'nope', Driver: 'testvol', DriverOpts: { fail: '1' } } }),
      (e: unknown) => (e as Error).message === 'volume plugin testvol: VolumeDriver.Create: refusing to create nope: quota exceeded');
  });

  it('finds a plugin through a .spec file too', async () => {
    fs.writeFileSync(path.join(dir, 'specs', 'specvol.spec'), `unix://${path.join(dir, 'sockets', 'testvol.sock')}\n`);
    const v = await kernel.engine.run('volume.create', { body: { Name: 'viaspec', Driver: 'specvol' } });
    assert.equal(v.Driver, 'specvol');
    assert.equal(v.Mountpoint, path.join(dir, 'plugin-data/viaspec'));
  });

  it('says plainly when no plugin of that name can be found', async () => {
    await assert.rejects(kernel.engine.run('volume.create', { body: { Name: 'x1', Driver: 'ghost' } }),
      (e: unknown) => isNotFound(e) && (e as Error).message === 'error looking up volume plugin ghost: plugin "ghost" not found');
  });
});
