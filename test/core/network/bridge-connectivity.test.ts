/**
 * End to end through NetworkService + the bridge plugin, on real namespaces,
 * veths, bridges and iptables (FORWARD policy DROP, as dockerd leaves it).
 * Traffic only between the test's own sandboxes, its bridge, and loopback.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { AttachRequest } from '../../../core/network';
import { hostSnapshot, makeNetTestEnv, runInSandbox, startInSandbox, type HostSnapshot, type NetTestEnv } from './net-test-env';

function req(id: string, extra: Partial<AttachRequest> = {}): AttachRequest {
  return {
    containerId: id.padEnd(64, '0'), containerName: `/${id}`, hostname: id.slice(0, 12), mode: 'bridge', endpoints: {},
    portBindings: {}, publishAll: false, exposedPorts: [], ...extra,
  };
}

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

async function until<T>(fn: () => Promise<T>, tries = 50): Promise<T> {
  let last: unknown;
  for (let i = 0; i < tries; i++) {
    try { return await fn(); } catch (e) { last = e; await new Promise((r) => setTimeout(r, 100)); }
  }
  throw last;
}

describe('core/network: bridge connectivity (real kernel)', function () {
  this.timeout(60000);
  let env: NetTestEnv | undefined;
  let snap: HostSnapshot;
  const procs: ChildProcess[] = [];

  before(function () {
    if (process.getuid?.() !== 0 || !fs.existsSync('/bin/busybox')) {
      console.log('skip: needs root and /bin/busybox (network namespaces, veth, bridge, iptables)');
      this.skip();
    }
  });

  beforeEach(async () => {
    snap = hostSnapshot();
    env = await makeNetTestEnv({ forwardDrop: true });
  });

  afterEach(async () => {
    try {
      for (const p of procs.splice(0)) if (p.pid && p.exitCode === null) p.kill('SIGKILL');
    } finally {
      await env?.close();
      env = undefined;
    }
    assert.deepEqual(hostSnapshot(), snap, 'berth links, addresses, iptables rules and netns mounts are back to what they were');
  });

  it('gives the default bridge network its bridge, subnet from bip, and Docker-shaped inspect', async () => {
    const net = env!.svc.inspectNetwork('bridge');
    assert.equal(net.Driver, 'bridge');
    assert.deepEqual(net.IPAM.Config, [{ Subnet: `10.213.${env!.octet}.0/24`, Gateway: `10.213.${env!.octet}.1` }]);
    assert.equal(net.Options['com.docker.network.bridge.name'], env!.bridge);
    assert.ok(fs.existsSync(`/sys/class/net/${env!.bridge}`), 'bridge exists');
    assert.deepEqual(env!.svc.listNetworks().map((n) => n.Name).sort(), ['bridge', 'host', 'none']);
    assert.equal(fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim(), '1', 'ip_forward on');
    assert.equal(fs.readFileSync(`/proc/sys/net/ipv4/conf/${env!.bridge}/route_localnet`, 'utf8').trim(), '1', 'route_localnet on the bridge');
    const filter = require('node:child_process').execFileSync('iptables', ['-w', '-S', 'FORWARD'], { encoding: 'utf8' }) as string;
    assert.match(filter, /^-P FORWARD DROP$/m, 'the test runs under a DROP policy');
    assert.match(filter, new RegExp(`^-A FORWARD -j ${env!.chainPrefix}-FORWARD$`, 'm'));
  });

  it('two endpoints on the default bridge reach each other by IP (FORWARD policy DROP)', async () => {
    const a = await env!.svc.attach(req('aaaa'));
    const b = await env!.svc.attach(req('bbbb'));
    const ipA = a.settings.IPAddress;
    const ipB = b.settings.IPAddress;
    assert.match(ipA, new RegExp(`^10\\.213\\.${env!.octet}\\.\\d+$`));
    assert.notEqual(ipA, ipB);
    assert.equal(a.settings.Gateway, `10.213.${env!.octet}.1`);
    assert.equal(a.settings.MacAddress, '02:42:' + ipA.split('.').map((x) => Number(x).toString(16).padStart(2, '0')).join(':'));
    const r = await runInSandbox(a.netnsPath!, a, env!.dir, ['/bin/busybox', 'ping', '-c', '1', '-W', '2', ipB]);
    assert.equal(r.code, 0, r.out);
    const link = await runInSandbox(a.netnsPath!, a, env!.dir, ['/bin/busybox', 'ip', 'route']);
    assert.match(link.out, new RegExp(`default via 10\\.213\\.${env!.octet}\\.1 dev eth0`));
    assert.match(a.hostsFile, new RegExp(`${ipA.replace(/\./g, '\\.')}\\taaaa`));
  });

  it('none has only lo; host uses the host namespace; container: shares the sandbox', async () => {
    const n = await env!.svc.attach(req('nnnn', { mode: 'none' }));
    const links = await runInSandbox(n.netnsPath!, n, env!.dir, ['/bin/busybox', 'ip', '-o', 'link']);
    assert.equal(links.code, 0, links.out);
    assert.deepEqual(links.out.trim().split('\n').map((l) => l.split(':')[1].trim()), ['lo']);
    assert.match(links.out, /lo: <LOOPBACK,UP/);
    const h = await env!.svc.attach(req('hhhh', { mode: 'host' }));
    assert.equal(h.netnsPath, null);
    assert.ok(h.settings.Networks.host, 'host network listed');
    assert.equal(h.hostsFile, fs.readFileSync('/etc/hosts', 'utf8'), 'host mode sees the host\'s hosts file');
    assert.ok(!(await env!.sandboxes.list!()).includes('hhhh'.padEnd(64, '0')), 'no sandbox for host mode: the host\'s links');
    const b = await env!.svc.attach(req('cccc'));
    const s = await env!.svc.attach(req('ssss', { mode: 'container:cccc' }));
    assert.equal(s.netnsPath, b.netnsPath);
    await env!.svc.detach('ssss'.padEnd(64, '0'));
    assert.ok(fs.existsSync(b.netnsPath!), 'sharer detach leaves the owner sandbox');
  });

  it('none: the attachment is on disk when attach returns; a sandbox that cannot be made leaves no record', async () => {
    const attFile = path.join(env!.kernel.config['data-root'], 'network', 'attachments.json');
    const onDisk = (): string[] => (JSON.parse(fs.readFileSync(attFile, 'utf8')) as Array<{ containerId: string }>).map((a) => a.containerId);
    const id = 'nrec'.padEnd(64, '0');
    const n = await env!.svc.attach(req('nrec', { mode: 'none' }));
    assert.ok(onDisk().includes(id), 'recorded');
    assert.ok((await env!.sandboxes.list!()).includes(id), 'its namespace is mounted');
    await env!.svc.detach(id);
    assert.ok(!fs.existsSync(n.netnsPath!));
    // a directory where the namespace's file goes: the sandbox cannot be made
    const bad = 'nbad'.padEnd(64, '0');
    fs.mkdirSync(env!.sandboxes.pathOf!(bad), { recursive: true });
    try {
      await assert.rejects(env!.svc.attach(req('nbad', { mode: 'none' })));
      assert.ok(!onDisk().includes(bad), 'no record on disk');
      assert.throws(() => env!.svc.settingsOf(bad), /no network attachment/);
    } finally { fs.rmdirSync(env!.sandboxes.pathOf!(bad)); }
  });

  it('publishes 127.0.0.1:PORT:80 to busybox httpd in a sandbox, answers from the host, and refuses the same port twice', async () => {
    const www = fs.mkdtempSync(path.join(env!.dir, 'www-'));
    fs.writeFileSync(path.join(www, 'index.html'), 'hello from berth\n');
    const hostPort = 20000 + Math.floor(Math.random() * 10000);
    const a = await env!.svc.attach(req('web1', { portBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(hostPort) }] }, exposedPorts: ['80/tcp'] }));
    assert.deepEqual(a.settings.Ports['80/tcp'], [{ HostIp: '127.0.0.1', HostPort: String(hostPort) }]);
    procs.push(startInSandbox(a.netnsPath!, a, env!.dir, ['/bin/busybox', 'httpd', '-f', '-p', '80', '-h', www]));
    const res = await until(() => get(`http://127.0.0.1:${hostPort}/index.html`));
    assert.equal(res.status, 200);
    assert.equal(res.body, 'hello from berth\n');
    await assert.rejects(
      env!.svc.attach(req('web2', { portBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(hostPort) }] } })),
      (e: Error & { code?: string }) => e.code === 'Conflict' && /port is already allocated/.test(e.message),
    );
    assert.equal(env!.svc.listNetworks().find((n) => n.Name === 'bridge')!.Containers['web2'.padEnd(64, '0')], undefined, 'failed attach rolled back');
    const ranged = await env!.svc.attach(req('web3', { portBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: `${hostPort}-${hostPort + 5}` }] } }));
    assert.deepEqual(ranged.settings.Ports['80/tcp'], [{ HostIp: '127.0.0.1', HostPort: String(hostPort + 1) }], 'a range gives the first free port');
  });

  it('-P picks ephemeral host ports for exposed ports, reachable through 127.0.0.1', async () => {
    const a = await env!.svc.attach(req('pubp', { publishAll: true, exposedPorts: ['80/tcp', '53/udp'] }));
    const www = fs.mkdtempSync(path.join(env!.dir, 'www-'));
    fs.writeFileSync(path.join(www, 'index.html'), 'published with -P\n');
    const httpd = startInSandbox(a.netnsPath!, a, env!.dir, ['/bin/busybox', 'httpd', '-f', '-p', '80', '-h', www]);
    procs.push(httpd);
    const tcp = a.settings.Ports['80/tcp'];
    const udp = a.settings.Ports['53/udp'];
    assert.ok(tcp && tcp.length === 1 && udp && udp.length === 1, JSON.stringify(a.settings.Ports));
    const [lo, hi] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    for (const p of [tcp![0].HostPort, udp![0].HostPort].map(Number)) assert.ok(p >= lo && p <= hi, `${p} in ${lo}-${hi}`);
    const rules = require('node:child_process').execFileSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' }) as string;
    assert.ok(rules.includes(`--dport ${tcp![0].HostPort} -j DNAT --to-destination ${a.settings.IPAddress}:80`), rules);
    const res = await until(() => get(`http://127.0.0.1:${tcp![0].HostPort}/index.html`));
    assert.equal(res.body, 'published with -P\n');
    httpd.kill('SIGKILL');
    await env!.svc.detach('pubp'.padEnd(64, '0'));
    const after = require('node:child_process').execFileSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' }) as string;
    assert.ok(!after.includes(`--to-destination ${a.settings.IPAddress}:80`), 'DNAT rule removed with the endpoint');
  });
});
