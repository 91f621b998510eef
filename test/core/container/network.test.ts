import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import { captureIO, makeTestbed, networkLeftovers, requireContainers, type ContainerTestbed } from './container-harness';

describe('containers on the real network service (bridge plugin, test bridge, traffic only inside it)', function () {
  this.timeout(90_000);
  let bed: ContainerTestbed | undefined;

  beforeEach(function () { requireContainers(this); });
  afterEach(async () => {
    if (!bed) return;
    const b = bed;
    bed = undefined;
    await b.destroy();
    assert.deepEqual(networkLeftovers(b), [], 'no bridge, veth, rule or netns mount of this test left behind');
  });

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const run = (name: string, input: unknown, opts: Record<string, unknown> = {}) => bed!.kernel.engine.run(name as any, input as any, opts) as Promise<any>;

  it('default bridge: an address from bip, Docker\'s inspect shape, and reach between two containers', async () => {
    bed = await makeTestbed({}, undefined, { network: true });
    const a = (await run('container.create', { name: 'bt-net-a', body: { Image: 'busybox', Cmd: ['sleep', '1000'] } })).Id;
    await run('container.start', { id: a });
    const ia = await run('container.inspect', { id: a });
    const ip = ia.NetworkSettings.Networks.bridge.IPAddress as string;
    assert.match(ip, /^10\.213\.\d+\.\d+$/);
    assert.equal(ia.NetworkSettings.IPAddress, ip);
    assert.equal(ia.HostConfig.NetworkMode, 'default');
    const b = (await run('container.create', { body: { Image: 'busybox', Cmd: ['sh', '-c', `ping -c 1 -W 5 ${ip} >/dev/null && echo reached; cat /etc/hosts | grep -c localhost`] } })).Id;
    await run('container.start', { id: b });
    assert.equal((await run('container.wait', { id: b })).StatusCode, 0);
    const cap = captureIO();
    await run('container.logs', { id: b, stdout: true, stderr: true }, { io: cap.io });
    assert.match(cap.out(), /^reached\n\d+\n$/);
    const statsIO = captureIO();
    await run('container.stats', { id: a, stream: false, 'one-shot': true }, { io: statsIO.io });
    const stats = JSON.parse(statsIO.out());
    assert.ok(stats.networks.eth0.rx_packets > 0, 'the ping reached eth0 of the first container');
    await run('container.stop', { id: a, t: 0 });
    const stopped = await run('container.inspect', { id: a });
    assert.equal(stopped.NetworkSettings.Networks.bridge.IPAddress, '', 'addresses are cleared when stopped, the endpoint entry stays');
  });

  it('a user network: containers reach each other by name through the embedded DNS', async () => {
    bed = await makeTestbed({}, undefined, { network: true });
    const net = `bt-un-${Math.random().toString(16).slice(2, 6)}`;
    await run('network.create', { body: { Name: net } });
    const a = (await run('container.create', { name: 'bt-srv', body: { Image: 'busybox', Cmd: ['sleep', '1000'], HostConfig: { NetworkMode: net } } })).Id;
    await run('container.start', { id: a });
    const b = (await run('container.create', {
      body: { Image: 'busybox', Cmd: ['sh', '-c', 'ping -c 1 -W 5 bt-srv >/dev/null && echo by-name'], HostConfig: { NetworkMode: net } },
    })).Id;
    await run('container.start', { id: b });
    const w = await run('container.wait', { id: b });
    const cap = captureIO();
    await run('container.logs', { id: b, stdout: true, stderr: true }, { io: cap.io });
    assert.equal(w.StatusCode, 0, cap.out() + cap.err());
    assert.equal(cap.out(), 'by-name\n');
    for (const c of bed.svc.store.all()) await run('container.remove', { id: c.record.ID, force: true });
    await run('network.remove', { id: net });
  });

  it('publishes a port on 127.0.0.1 and serves through it (traffic to loopback only)', async () => {
    bed = await makeTestbed({}, undefined, { network: true });
    const id = (await run('container.create', {
      body: {
        Image: 'busybox', Cmd: ['sh', '-c', 'mkdir -p /www && echo served-by-berth > /www/index.html && exec httpd -f -p 80 -h /www'],
        ExposedPorts: { '80/tcp': {} }, HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
      },
    })).Id;
    await run('container.start', { id });
    const info = await run('container.inspect', { id });
    const binding = info.NetworkSettings.Ports['80/tcp'][0];
    assert.equal(binding.HostIp, '127.0.0.1');
    const port = Number(binding.HostPort);
    assert.ok(port > 0);
    const list = await run('container.list', {});
    assert.deepEqual(list[0].Ports, [{ IP: '127.0.0.1', PrivatePort: 80, PublicPort: port, Type: 'tcp' }]);
    let body = '';
    for (let i = 0; i < 50 && body === ''; i++) {
      body = await new Promise<string>((resolve) => {
        http.get({ host: '127.0.0.1', port, path: '/index.html', agent: false }, (res) => {
          let b = '';
          res.on('data', (d: Buffer) => { b += d.toString(); });
          res.on('end', () => resolve(b));
        }).on('error', () => setTimeout(() => resolve(''), 100));
      });
    }
    assert.equal(body, 'served-by-berth\n');
  });

  it('network mode container:<name> joins another running container\'s namespace', async () => {
    bed = await makeTestbed({}, undefined, { network: true });
    const a = (await run('container.create', { name: 'bt-ns-owner', body: { Image: 'busybox', Cmd: ['sleep', '1000'] } })).Id;
    const b = (await run('container.create', { body: { Image: 'busybox', Cmd: ['sh', '-c', 'ip -o -4 addr show eth0'], HostConfig: { NetworkMode: 'container:bt-ns-owner' } } })).Id;
    await assert.rejects(run('container.start', { id: b }), /cannot join network of a non running container/);
    await run('container.start', { id: a });
    const ip = (await run('container.inspect', { id: a })).NetworkSettings.Networks.bridge.IPAddress as string;
    await run('container.start', { id: b });
    assert.equal((await run('container.wait', { id: b })).StatusCode, 0);
    const cap = captureIO();
    await run('container.logs', { id: b, stdout: true }, { io: cap.io });
    assert.ok(cap.out().includes(`inet ${ip}/`), cap.out());
  });
});
