/**
 * The bridge driver and sandbox provider on their own (no network service),
 * on the real kernel: both link backends (rtnetlink addon and forked `ip`)
 * configure the same interface; `iptables: false` leaves the firewall alone;
 * icc off drops traffic between containers of one bridge; the MTU option is
 * applied. Addresses in 10.213.0.0/16 on bridges the test creates.
 */
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createBridgeParts, type BridgeParts } from '../../../plugins/networkdriver-bridge/create-bridge';
import { hostSnapshot, registerTestObject, testNames, type HostSnapshot } from '../../core/network/net-test-env';

function inNs(netns: string, args: string[]): { code: number; out: string } {
  const r = spawnSync('nsenter', [`--net=${netns}`, ...args], { encoding: 'utf8' });
  return { code: r.status ?? -1, out: (r.stdout ?? '') + (r.stderr ?? '') };
}

/** iptables chains and rules that name one of `needles` (a test's chain prefix, bridge): other engines' rules do not count. */
function iptablesLines(...needles: string[]): string[] {
  return execFileSync('iptables-save', [], { encoding: 'utf8' }).split('\n')
    .filter((l) => (l.startsWith('-A') || l.startsWith(':')) && needles.some((n) => l.includes(n)));
}

describe('plugins/networkdriver-bridge: driver and sandboxes (real kernel)', function () {
  this.timeout(60000);
  let dir: string;
  let snap: HostSnapshot;
  let parts: BridgeParts | undefined;
  const cleanups: Array<() => Promise<unknown> | unknown> = [];

  before(function () {
    if (process.getuid?.() !== 0 || !fs.existsSync('/bin/busybox')) {
      console.log('skip: needs root and /bin/busybox (network namespaces, veth, bridge, iptables)');
      this.skip();
    }
  });

  beforeEach(() => {
    snap = hostSnapshot();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-bridge-'));
    registerTestObject('dir', dir);
  });

  afterEach(async () => {
    try {
      for (const c of cleanups.splice(0).reverse()) {
        try { await c(); } catch (e) { console.log('cleanup:', (e as Error).message); }
      }
      await parts?.firewall.removeAll();
    } finally {
      parts = undefined;
      fs.rmSync(dir, { recursive: true, force: true });
    }
    assert.deepEqual(hostSnapshot(), snap, 'berth links, addresses, iptables rules and netns mounts are back to what they were');
  });

  function build(o: { backend: 'netlink' | 'ip'; iptables?: boolean; icc?: boolean }): { parts: BridgeParts; names: ReturnType<typeof testNames> } {
    const names = testNames();
    parts = createBridgeParts(
      { 'exec-root': path.join(dir, 'exec'), iptables: o.iptables !== false, 'ip-forward': false, icc: o.icc !== false, mtu: 1500, bridge: names.bridge },
      { linkBackend: o.backend, vethPrefix: names.vethPrefix, chainPrefix: names.chainPrefix },
      path.join(dir, 'state'),
    );
    return { parts, names };
  }

  async function network(p: BridgeParts, names: { bridge: string; octet: number }, options: Record<string, string> = {}): Promise<string> {
    const id = randomBytes(32).toString('hex');
    await p.firewall.reset();
    await p.driver.createNetwork({
      id, name: 'bt', options: { 'com.docker.network.bridge.name': names.bridge, ...options }, internal: false, enableIPv6: false, labels: {},
      ipam: [{ subnet: `10.213.${names.octet}.0/24`, gateway: `10.213.${names.octet}.1` }],
    });
    cleanups.push(() => p.driver.deleteNetwork(id));
    return id;
  }


  for (const backend of ['netlink', 'ip'] as const) {
    it(`[${backend}] creates a sandbox with only lo up, and an eth0 with the Docker MAC, address, MTU and default route`, async () => {
      const { parts: p, names } = build({ backend });
      const net = await network(p, names, { 'com.docker.network.driver.mtu': '1400' });
      const cid = randomBytes(8).toString('hex');
      const sandbox = await p.sandboxes.create(cid);
      cleanups.push(() => p.sandboxes.destroy(cid));
      assert.equal(sandbox, path.join(dir, 'exec', 'netns', cid));
      const lo = inNs(sandbox, ['ip', '-o', 'link']);
      assert.deepEqual(lo.out.trim().split('\n').map((l) => l.split(':')[1].trim()), ['lo']);
      assert.match(lo.out, /<LOOPBACK,UP,LOWER_UP>/);
      const ip = `10.213.${names.octet}.9`;
      const epId = randomBytes(32).toString('hex');
      const info = await p.driver.createEndpoint({
        networkId: net, endpointId: epId, containerId: cid, containerName: 'c', aliases: [], ipv4Address: ip, portBindings: [],
      });
      cleanups.push(() => p.driver.deleteEndpoint(net, epId));
      assert.equal(info.macAddress, `02:42:0a:d5:${names.octet.toString(16).padStart(2, '0')}:09`);
      assert.equal(info.ipv4Address, `${ip}/24`);
      await p.driver.join(net, epId, sandbox);
      const link = inNs(sandbox, ['ip', '-o', 'link', 'show', 'eth0']).out;
      assert.match(link, /mtu 1400/);
      assert.ok(link.includes(info.macAddress), link);
      assert.match(inNs(sandbox, ['ip', '-o', '-4', 'addr', 'show', 'eth0']).out, new RegExp(`inet ${ip.replace(/\./g, '\\.')}/24`));
      assert.match(inNs(sandbox, ['ip', 'route']).out, new RegExp(`default via 10\\.213\\.${names.octet}\\.1 dev eth0`));
      const hostSide = fs.readFileSync(`/sys/class/net/${info.hostInterface}/master/uevent`, 'utf8');
      assert.match(hostSide, new RegExp(`INTERFACE=${names.bridge}`), 'host end enslaved to the bridge');
      const ping = inNs(sandbox, ['/bin/busybox', 'ping', '-c', '1', '-W', '2', `10.213.${names.octet}.1`]);
      assert.equal(ping.code, 0, ping.out);
      await p.driver.leave(net, epId, sandbox);
      assert.ok(!fs.existsSync(`/sys/class/net/${info.hostInterface}`), 'veth gone after leave');
      assert.equal(inNs(sandbox, ['ip', 'link', 'show', 'eth0']).code === 0, false);
    });
  }

  it('iptables: false creates networks and published ports without touching the firewall', async () => {
    const { parts: p, names } = build({ backend: 'netlink', iptables: false });
    const net = await network(p, names);
    const epId = randomBytes(32).toString('hex');
    const info = await p.driver.createEndpoint({
      networkId: net, endpointId: epId, containerId: 'c', containerName: 'c', aliases: [], ipv4Address: `10.213.${names.octet}.5`,
      portBindings: [{ containerPort: 80, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 0 }],
    });
    cleanups.push(() => p.driver.deleteEndpoint(net, epId));
    assert.ok(info.portBindings[0].hostPort > 0, 'a host port is still reserved');
    assert.deepEqual(iptablesLines(names.chainPrefix, names.bridge, `10.213.${names.octet}.`), [], 'no chain, no rule for this network');
  });

  it('icc off drops traffic between two containers of one bridge; icc on lets it through', async function () {
    if (!fs.existsSync('/proc/sys/net/bridge/bridge-nf-call-iptables')) {
      console.log('skip: br_netfilter (net.bridge.bridge-nf-call-iptables) is not in this kernel: bridged traffic bypasses iptables');
      this.skip();
    }
    for (const icc of [false, true]) {
      const { parts: p, names } = build({ backend: 'netlink', icc });
      const net = await network(p, names);
      const boxes: string[] = [];
      for (const n of [2, 3]) {
        const cid = randomBytes(8).toString('hex');
        const sb = await p.sandboxes.create(cid);
        cleanups.push(() => p.sandboxes.destroy(cid));
        const epId = randomBytes(32).toString('hex');
        await p.driver.createEndpoint({ networkId: net, endpointId: epId, containerId: cid, containerName: cid, aliases: [], ipv4Address: `10.213.${names.octet}.${n}`, portBindings: [] });
        cleanups.push(() => p.driver.deleteEndpoint(net, epId));
        await p.driver.join(net, epId, sb);
        boxes.push(sb);
      }
      const r = inNs(boxes[0], ['/bin/busybox', 'ping', '-c', '1', '-W', '1', `10.213.${names.octet}.3`]);
      assert.equal(r.code === 0, icc, `icc=${icc}: ${r.out}`);
      for (const c of cleanups.splice(0).reverse()) await c();
      await p.firewall.removeAll();
    }
  });
});
