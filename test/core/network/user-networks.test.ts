/**
 * User-defined networks through the network.* jobs and NetworkService on the
 * real kernel: DNS by name and alias at 127.0.0.11 (forwarding to a test
 * resolver on loopback), isolation between networks, connect/disconnect,
 * remove refused while in use, prune, and 50 parallel attaches.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as dnsPacket from 'dns-packet';
import type { AttachRequest } from '../../../core/network';
import { hostSnapshot, makeNetTestEnv, runInSandbox, type HostSnapshot, type NetTestEnv } from './net-test-env';

function req(id: string, extra: Partial<AttachRequest> = {}): AttachRequest {
  return {
    containerId: id.padEnd(64, 'f'), containerName: `/${id}`, hostname: id, mode: 'bridge', endpoints: {},
    portBindings: {}, publishAll: false, exposedPorts: [], ...extra,
  };
}

/** A DNS server on 127.0.0.1 answering `upstream.test` with 10.213.250.250 (data only: nothing is sent there). */
function testResolver(): Promise<{ addr: string; close(): void; queries: string[] }> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const queries: string[] = [];
    s.on('message', (m, r) => {
      const q = dnsPacket.decode(m);
      const name = q.questions![0].name;
      queries.push(name);
      const answers = name === 'upstream.test' ? [{ type: 'A' as const, name, data: '10.213.250.250', ttl: 5, class: 'IN' as const }] : [];
      s.send(dnsPacket.encode({ id: q.id, type: 'response', flags: dnsPacket.RECURSION_AVAILABLE, questions: q.questions, answers }), r.port, r.address);
    });
    s.bind(0, '127.0.0.1', () => resolve({ addr: `127.0.0.1:${s.address().port}`, close: () => s.close(), queries }));
  });
}

/** One A query over TCP to 127.0.0.11:53 inside the sandbox (busybox nc as the transport; async: the server is in this process). */
function tcpQuery(netns: string, name: string): Promise<string[]> {
  const q = dnsPacket.encode({ id: 7, type: 'query', flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name }] });
  const len = Buffer.alloc(2);
  len.writeUInt16BE(q.length);
  return new Promise((resolve) => {
    const p = spawn('nsenter', [`--net=${netns}`, '/bin/busybox', 'nc', '-w', '2', '127.0.0.11', '53']);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => p.kill('SIGKILL'), 5000);
    p.stdout.on('data', (d: Buffer) => {
      chunks.push(d);
      const out = Buffer.concat(chunks);
      if (out.length >= 2 && out.length >= 2 + out.readUInt16BE(0)) p.kill('SIGKILL');
    });
    p.on('close', () => {
      clearTimeout(timer);
      const out = Buffer.concat(chunks);
      if (out.length < 2) return resolve([]);
      const reply = dnsPacket.decode(out.subarray(2, 2 + out.readUInt16BE(0)));
      resolve((reply.answers ?? []).filter((a) => a.type === 'A').map((a) => String((a as { data?: unknown }).data)));
    });
    p.stdin.write(Buffer.concat([len, q]));
  });
}

describe('core/network: user-defined networks (real kernel)', function () {
  this.timeout(120000);
  let env: NetTestEnv | undefined;
  let snap: HostSnapshot;
  let resolver: Awaited<ReturnType<typeof testResolver>> | undefined;

  before(function () {
    if (process.getuid?.() !== 0 || !fs.existsSync('/bin/busybox')) {
      console.log('skip: needs root and /bin/busybox (network namespaces, veth, bridge, iptables)');
      this.skip();
    }
  });

  beforeEach(async () => {
    snap = hostSnapshot();
    resolver = await testResolver();
    env = await makeNetTestEnv({ forwardDrop: true, upstreamResolvers: [resolver.addr] });
  });

  afterEach(async () => {
    try {
      resolver?.close();
    } finally {
      await env?.close();
      env = undefined;
    }
    assert.deepEqual(hostSnapshot(), snap, 'berth links, addresses, iptables rules and netns mounts are back to what they were');
  });

  it('creates, lists, inspects and removes a network through jobs; names its bridge br-<12 hex>', async () => {
    const e = env!.kernel.engine;
    const { Id } = await e.run('network.create', { body: { Name: 'bt-front', Labels: { tier: 'front' } } });
    assert.match(Id, /^[0-9a-f]{64}$/);
    const net = await e.run('network.inspect', { id: 'bt-front' });
    assert.equal(net.Id, Id);
    assert.equal(net.Driver, 'bridge');
    assert.match(net.IPAM.Config[0].Subnet!, /^10\.214\.\d+\.0\/24$/);
    assert.ok(fs.existsSync(`/sys/class/net/br-${Id.slice(0, 12)}`), 'bridge br-<id12> exists');
    const list = await e.run('network.list', { filters: JSON.stringify({ label: ['tier=front'] }) });
    assert.deepEqual(list.map((n) => n.Name), ['bt-front']);
    await assert.rejects(e.run('network.create', { body: { Name: 'bt-front' } }), /already exists/);
    await assert.rejects(e.run('network.create', { body: { Name: 'bt-x', IPAM: { Config: [{ Subnet: net.IPAM.Config[0].Subnet }] } } }), /overlaps/);
    await assert.rejects(e.run('network.create', { body: { Name: 'bt-y', IPAM: { Config: [{ Subnet: '10.214.77.1/24' }] } } }), /it should be 10\.214\.77\.0\/24/);
    await assert.rejects(e.run('network.remove', { id: 'bridge' }), /pre-defined/);
    await e.run('network.remove', { id: Id });
    assert.ok(!fs.existsSync(`/sys/class/net/br-${Id.slice(0, 12)}`), 'bridge removed');
    await assert.rejects(e.run('network.inspect', { id: Id }), /not found/);
  });

  it('containers on a user network find each other by name and alias via 127.0.0.11; other names go to the upstream', async () => {
    const e = env!.kernel.engine;
    await e.run('network.create', { body: { Name: 'bt-app', IPAM: { Config: [{ Subnet: '10.214.200.0/24', IPRange: '10.214.200.128/25', Gateway: '10.214.200.1' }] } } });
    const web = await env!.svc.attach(req('web', { mode: 'bt-app', endpoints: { 'bt-app': { aliases: ['www'] } } }));
    const cli = await env!.svc.attach(req('cli', { mode: 'bt-app' }));
    const webIp = web.settings.Networks['bt-app'].IPAddress;
    assert.ok(webIp.startsWith('10.214.200.') && Number(webIp.split('.')[3]) >= 128, `address ${webIp} from the ip-range`);
    assert.match(cli.resolvConf, /^nameserver 127\.0\.0\.11$/m);
    for (const name of ['web', 'www', 'web.bt-app', 'web'.padEnd(64, 'f').slice(0, 12)]) {
      const r = await runInSandbox(cli.netnsPath!, cli, env!.dir, ['/bin/busybox', 'nslookup', name, '127.0.0.11']);
      assert.equal(r.code, 0, `${name}: ${r.out}`);
      assert.ok(r.out.includes(webIp), `${name} → ${webIp}: ${r.out}`);
    }
    const ptr = await runInSandbox(cli.netnsPath!, cli, env!.dir, ['/bin/busybox', 'nslookup', webIp, '127.0.0.11']);
    assert.ok(ptr.out.includes('web.bt-app'), `reverse lookup of ${webIp}: ${ptr.out}`);
    const tcp = await tcpQuery(cli.netnsPath!, 'www');
    assert.deepEqual(tcp, [webIp], 'DNS over TCP answers too');
    const ping = await runInSandbox(cli.netnsPath!, cli, env!.dir, ['/bin/busybox', 'ping', '-c', '1', '-W', '2', 'www']);
    assert.equal(ping.code, 0, ping.out);
    const up = await runInSandbox(cli.netnsPath!, cli, env!.dir, ['/bin/busybox', 'nslookup', 'upstream.test', '127.0.0.11']);
    assert.ok(up.out.includes('10.213.250.250'), up.out);
    assert.ok(resolver!.queries.includes('upstream.test'), 'forwarded to the test resolver');
    await assert.rejects(e.run('network.remove', { id: 'bt-app' }), (err: Error & { code?: string }) => err.code === 'Conflict' && /active endpoints/.test(err.message));
  });

  it('two user networks are isolated from each other; connect (--alias, --ip) and disconnect', async () => {
    const e = env!.kernel.engine;
    await e.run('network.create', { body: { Name: 'bt-n1', IPAM: { Config: [{ Subnet: '10.214.201.0/24' }] } } });
    await e.run('network.create', { body: { Name: 'bt-n2', IPAM: { Config: [{ Subnet: '10.214.202.0/24' }] } } });
    const a = await env!.svc.attach(req('a1', { mode: 'bt-n1' }));
    const b = await env!.svc.attach(req('b2', { mode: 'bt-n2' }));
    const ipB = b.settings.Networks['bt-n2'].IPAddress;
    const blocked = await runInSandbox(a.netnsPath!, a, env!.dir, ['/bin/busybox', 'ping', '-c', '1', '-W', '1', ipB]);
    assert.notEqual(blocked.code, 0, `n1 must not reach n2: ${blocked.out}`);
    await e.run('network.connect', { id: 'bt-n2', body: { Container: 'a1', EndpointConfig: { Aliases: ['alpha'], IPAMConfig: { IPv4Address: '10.214.202.77' } } } });
    const settings = env!.svc.settingsOf('a1');
    assert.equal(settings.Networks['bt-n2'].IPAddress, '10.214.202.77');
    assert.deepEqual(settings.Networks['bt-n2'].Aliases, ['alpha']);
    const links = await runInSandbox(a.netnsPath!, a, env!.dir, ['/bin/busybox', 'ip', '-o', '-4', 'addr']);
    assert.match(links.out, /eth1\s+inet 10\.214\.202\.77\/24/);
    const ok = await runInSandbox(a.netnsPath!, a, env!.dir, ['/bin/busybox', 'ping', '-c', '1', '-W', '2', ipB]);
    assert.equal(ok.code, 0, ok.out);
    const byAlias = await runInSandbox(b.netnsPath!, b, env!.dir, ['/bin/busybox', 'nslookup', 'alpha', '127.0.0.11']);
    assert.ok(byAlias.out.includes('10.214.202.77'), byAlias.out);
    await assert.rejects(e.run('network.connect', { id: 'bt-n2', body: { Container: 'b2', EndpointConfig: { IPAMConfig: { IPv4Address: '10.214.202.77' } } } }), /already/);
    await e.run('network.disconnect', { id: 'bt-n2', body: { Container: 'a1' } });
    assert.equal(env!.svc.settingsOf('a1').Networks['bt-n2'], undefined);
    const gone = await runInSandbox(a.netnsPath!, a, env!.dir, ['/bin/busybox', 'ip', '-o', 'link']);
    assert.ok(!gone.out.includes('eth1'), gone.out);
    await env!.svc.detach('a1'.padEnd(64, 'f'));
    await env!.svc.detach('b2'.padEnd(64, 'f'));
    const pruned = await e.run('network.prune', {});
    assert.deepEqual(pruned.NetworksDeleted.sort(), ['bt-n1', 'bt-n2']);
  });

  it('an internal network connects its containers but gives them no default route and no masquerading', async () => {
    const e = env!.kernel.engine;
    await e.run('network.create', { body: { Name: 'bt-int', Internal: true, IPAM: { Config: [{ Subnet: '10.214.204.0/24' }] } } });
    const a = await env!.svc.attach(req('ia', { mode: 'bt-int' }));
    const b = await env!.svc.attach(req('ib', { mode: 'bt-int' }));
    const ping = await runInSandbox(a.netnsPath!, a, env!.dir, ['/bin/busybox', 'ping', '-c', '1', '-W', '2', b.settings.Networks['bt-int'].IPAddress]);
    assert.equal(ping.code, 0, ping.out);
    const routes = await runInSandbox(a.netnsPath!, a, env!.dir, ['/bin/busybox', 'ip', 'route']);
    assert.ok(!routes.out.includes('default'), routes.out);
    const nat = require('node:child_process').execFileSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' }) as string;
    assert.ok(!nat.includes('-s 10.214.204.0/24') , 'no MASQUERADE for an internal subnet');
    assert.equal(env!.svc.inspectNetwork('bt-int').Internal, true);
  });

  it('keeps auxiliary addresses out of allocation, and hands connects of stopped containers to the offline connector', async () => {
    const e = env!.kernel.engine;
    await e.run('network.create', { body: { Name: 'bt-aux', IPAM: { Config: [{ Subnet: '10.214.205.0/24', AuxiliaryAddresses: { router: '10.214.205.2' } }] } } });
    const a = await env!.svc.attach(req('auxa', { mode: 'bt-aux' }));
    assert.equal(a.settings.Networks['bt-aux'].IPAddress, '10.214.205.3');
    await assert.rejects(e.run('network.create', { body: { Name: 'bt-aux2', IPAM: { Config: [{ Subnet: '10.214.206.0/24', AuxiliaryAddresses: { r: '10.9.9.9' } }] } } }), /not within subnet/);
    await assert.rejects(e.run('network.connect', { id: 'bt-aux', body: { Container: 'stopped1' } }), (err: Error & { code?: string }) => err.code === 'NotFound');
    const seen: string[] = [];
    env!.svc.setOfflineConnector({
      connect: async (ref, net, cfg) => { seen.push(`connect ${ref} ${net.name} ${cfg.aliases?.join(',')}`); return ref === 'stopped1'; },
      disconnect: async (ref, net) => { seen.push(`disconnect ${ref} ${net.name}`); return ref === 'stopped1'; },
    });
    await e.run('network.connect', { id: 'bt-aux', body: { Container: 'stopped1', EndpointConfig: { Aliases: ['s1'] } } });
    await e.run('network.disconnect', { id: 'bt-aux', body: { Container: 'stopped1' } });
    await assert.rejects(e.run('network.connect', { id: 'bt-aux', body: { Container: 'nobody' } }), /No such container: nobody/);
    assert.deepEqual(seen, ['connect stopped1 bt-aux s1', 'disconnect stopped1 bt-aux', 'connect nobody bt-aux undefined']);
  });

  it('never hands out an address twice under 50 parallel attaches, and releases them all on detach', async () => {
    await env!.kernel.engine.run('network.create', { body: { Name: 'bt-many', IPAM: { Config: [{ Subnet: '10.214.203.0/24' }] } } });
    const ids = Array.from({ length: 50 }, (_, i) => `par${i}`);
    const results = await Promise.all(ids.map((id) => env!.svc.attach(req(id, { mode: 'bt-many' }))));
    const ips = results.map((r) => r.settings.Networks['bt-many'].IPAddress);
    assert.equal(new Set(ips).size, 50, `distinct: ${ips.join(' ')}`);
    const persisted = JSON.parse(fs.readFileSync(`${env!.dir}/data/network/ipam.json`, 'utf8')) as { pools: Array<{ subnet: string; allocated: string[] }> };
    const pool = persisted.pools.find((p) => p.subnet === '10.214.203.0/24')!;
    assert.equal(new Set(pool.allocated).size, 51, 'gateway + 50 persisted');
    const inspect = env!.svc.inspectNetwork('bt-many');
    assert.equal(Object.keys(inspect.Containers).length, 50);
    await Promise.all(ids.map((id) => env!.svc.detach(id.padEnd(64, 'f'))));
    const after = JSON.parse(fs.readFileSync(`${env!.dir}/data/network/ipam.json`, 'utf8')) as typeof persisted;
    assert.deepEqual(after.pools.find((p) => p.subnet === '10.214.203.0/24')!.allocated, ['10.214.203.1']);
  });
});
