import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { OwnedKernel } from '../../../core/daemon/create-kernel';
import { isNotFound } from '../../../core/errors';
import { setupVolumes } from '../../../core/volume/setup';
import type { VolumeService } from '../../../core/volume/volume-service';
import { makeTestKernel } from '../../helpers/test-kernel';

/** A small Docker volume plugin, as a third party would write one: HTTP on a unix socket. */
function startTestPlugin(socketPath: string, dataDir: string): Promise<{ server: http.Server; calls: Array<{ method: string; body: unknown; accept?: string }> }> {
  const calls: Array<{ method: string; body: unknown; accept?: string }> = [];
  const vols = new Map<string, { opts: Record<string, string>; mounts: Set<string> }>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as { Name?: string; ID?: string; Opts?: Record<string, string> };
      const method = (req.url ?? '').slice(1);
      calls.push({ method, body, accept: req.headers.accept });
      const mp = (n: string): string => path.join(dataDir, n);
      let out: unknown;
      switch (method) {
        case 'Plugin.Activate': out = { Implements: ['VolumeDriver'] }; break;
        case 'VolumeDriver.Capabilities': out = { Capabilities: { Scope: 'global' } }; break;
        case 'VolumeDriver.Create':
          if (body.Opts?.fail) out = { Err: `refusing to create ${body.Name}: quota exceeded` };
          else { vols.set(body.Name!, { opts: body.Opts ?? {}, mounts: new Set() }); fs.mkdirSync(mp(body.Name!), { recursive: true }); out = { Err: '' }; }
          break;
        case 'VolumeDriver.Get':
          out = vols.has(body.Name!) ? { Volume: { Name: body.Name, Mountpoint: mp(body.Name!), Status: { backend: 'test' } }, Err: '' } : { Err: `no such volume ${body.Name}` };
          break;
        case 'VolumeDriver.List': out = { Volumes: [...vols.keys()].map((n) => ({ Name: n, Mountpoint: mp(n) })), Err: '' }; break;
        case 'VolumeDriver.Mount': vols.get(body.Name!)?.mounts.add(body.ID!); out = { Mountpoint: mp(body.Name!), Err: '' }; break;
        case 'VolumeDriver.Unmount': vols.get(body.Name!)?.mounts.delete(body.ID!); out = { Err: '' }; break;
        case 'VolumeDriver.Path': out = { Mountpoint: mp(body.Name!), Err: '' }; break;
        case 'VolumeDriver.Remove': vols.delete(body.Name!); out = { Err: '' }; break;
        default: res.statusCode = 404; out = { Err: `unknown method ${method}` };
      }
      res.setHeader('Content-Type', 'application/vnd.docker.plugins.v1+json');
      res.end(JSON.stringify(out));
    });
  });
  return new Promise((resolve) => server.listen(socketPath, () => resolve({ server, calls })));
}

describe('plugins/volumedriver-remote: Docker volume plugins', () => {
  let dir: string;
  let kernel: OwnedKernel;
  let volumes: VolumeService;
  let plugin: Awaited<ReturnType<typeof startTestPlugin>>;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-volplugin-'));
    fs.mkdirSync(path.join(dir, 'sockets'));
    fs.mkdirSync(path.join(dir, 'specs'));
    plugin = await startTestPlugin(path.join(dir, 'sockets', 'testvol.sock'), path.join(dir, 'plugin-data'));
    kernel = await makeTestKernel({
      dataRoot: path.join(dir, 'root'),
      builtins: ['plugins/volumedriver-local', 'plugins/volumedriver-remote'],
      config: { 'plugin-options': { 'volumedriver.docker-plugins': { socketDirs: [path.join(dir, 'sockets')], specDirs: [path.join(dir, 'specs')], timeoutMs: 5000 } } },
    });
    volumes = await setupVolumes(kernel);
  });
  afterEach(async () => {
    await kernel.close();
    await new Promise((r) => plugin.server.close(r));
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
