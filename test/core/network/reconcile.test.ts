/**
 * Daemon restart after a crash: the network service keeps what running
 * containers use (sandbox, veth, published-port rules, addresses) and removes
 * what nobody uses any more (sandboxes of dead containers, stray veths,
 * bridges of networks that are gone), without duplicating rules.
 */
import { strict as assert } from 'node:assert';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AttachRequest } from '../../../core/network';
import { hostSnapshot, makeNetTestEnv, testNames, type HostSnapshot, type NetTestEnv } from './net-test-env';

function req(id: string, extra: Partial<AttachRequest> = {}): AttachRequest {
  return {
    containerId: id.padEnd(64, 'e'), containerName: `/${id}`, hostname: id, mode: 'bridge', endpoints: {},
    portBindings: {}, publishAll: false, exposedPorts: [], ...extra,
  };
}

/** The nat rules of this test's engine (in or jumping to its own chains): other engines on the host do not count. */
function natRules(chainPrefix: string): string[] {
  return execFileSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' }).split('\n').filter((l) => l.startsWith('-A') && l.includes(chainPrefix));
}

describe('core/network: reconcile after a crash (real kernel)', function () {
  this.timeout(60000);
  let snap: HostSnapshot;
  let dir: string;
  const envs: NetTestEnv[] = [];
  let sleeper: ChildProcess | undefined;

  before(function () {
    if (process.getuid?.() !== 0 || !fs.existsSync('/bin/busybox')) {
      console.log('skip: needs root and /bin/busybox (network namespaces, veth, bridge, iptables)');
      this.skip();
    }
  });

  beforeEach(() => {
    snap = hostSnapshot();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-net-'));
  });

  afterEach(async () => {
    try {
      if (sleeper?.pid && sleeper.exitCode === null) sleeper.kill('SIGKILL');
      for (const e of envs.splice(0).reverse()) await e.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    assert.deepEqual(hostSnapshot(), snap, 'berth links, addresses, iptables rules and netns mounts are back to what they were');
  });

  it('keeps a running container\'s endpoint and rules, removes a dead one\'s, stray veths and orphan bridges', async () => {
    const names = testNames();
    const first = await makeNetTestEnv({ dir, names });
    envs.push(first);
    const { Id: goneNet } = await first.kernel.engine.run('network.create', { body: { Name: 'bt-gone', IPAM: { Config: [{ Subnet: '10.214.210.0/24' }] } } });
    const live = await first.svc.attach(req('live', { portBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '0' }] } }));
    const dead = await first.svc.attach(req('dead'));
    const liveVeth = fs.readdirSync('/sys/class/net').filter((n) => n.startsWith(names.vethPrefix));
    assert.equal(liveVeth.length, 2);
    sleeper = spawn('nsenter', [`--net=${live.netnsPath}`, '/bin/busybox', 'sleep', '600'], { stdio: 'ignore' });
    const nsIno = fs.statSync(live.netnsPath!).ino;
    for (let i = 0; i < 100; i++) {
      // Wait until the sleeper really is inside the sandbox (nsenter has done its setns).
      const link = (() => { try { return fs.readlinkSync(`/proc/${sleeper!.pid}/ns/net`); } catch { return ''; } })();
      if (link === `net:[${nsIno}]`) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const stray = `${names.vethPrefix}stray`;
    execFileSync('ip', ['link', 'add', stray, 'type', 'veth', 'peer', 'name', `${names.vethPrefix}peer`]);
    const rulesBefore = natRules(names.chainPrefix).length;

    await first.crash();
    envs.pop();
    // The network record vanished before the crash finished removing it: its bridge is an orphan now.
    const netsFile = path.join(dir, 'data', 'network', 'networks.json');
    fs.writeFileSync(netsFile, JSON.stringify(JSON.parse(fs.readFileSync(netsFile, 'utf8')).filter((n: { id: string }) => n.id !== goneNet)));

    const second = await makeNetTestEnv({ dir, names });
    envs.push(second);
    assert.ok(fs.existsSync(live.netnsPath!), 'running container keeps its sandbox');
    assert.ok(!fs.existsSync(dead.netnsPath!), 'dead container\'s sandbox removed');
    const veths = fs.readdirSync('/sys/class/net').filter((n) => n.startsWith(names.vethPrefix));
    assert.equal(veths.length, 1, `only the running container's veth is left: ${veths.join(' ')}`);
    assert.ok(!fs.existsSync(`/sys/class/net/br-${goneNet.slice(0, 12)}`), 'orphan bridge removed');
    assert.ok(fs.existsSync(`/sys/class/net/${names.bridge}`), 'default bridge kept');
    const hostPort = live.settings.Ports['80/tcp']![0].HostPort;
    const dnat = natRules(names.chainPrefix).filter((l) => l.includes(`--dport ${hostPort} -j DNAT`));
    assert.equal(dnat.length, 1, 'the published port rule is there exactly once');
    assert.equal(natRules(names.chainPrefix).length, rulesBefore - 2, 'the removed network\'s two nat rules are gone, nothing duplicated');
    const settings = second.svc.settingsOf('live');
    assert.equal(settings.IPAddress, live.settings.IPAddress);
    // The dead container's address is free again; the live one's is not.
    const again = await second.svc.attach(req('next'));
    assert.notEqual(again.settings.IPAddress, live.settings.IPAddress);
    // Connecting the surviving container to another network picks eth1 (eth0 is still there from before the crash).
    await second.kernel.engine.run('network.create', { body: { Name: 'bt-later', IPAM: { Config: [{ Subnet: '10.214.211.0/24' }] } } });
    await second.kernel.engine.run('network.connect', { id: 'bt-later', body: { Container: 'live' } });
    const addrs = execFileSync('nsenter', [`--net=${live.netnsPath}`, 'ip', '-o', '-4', 'addr'], { encoding: 'utf8' });
    assert.match(addrs, /eth1\s+inet 10\.214\.211\.2\/24/);
    assert.match(addrs, new RegExp(`eth0\\s+inet ${live.settings.IPAddress.replace(/\./g, '\\.')}/`));
    await assert.rejects(second.svc.attach(req('dup', { portBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: hostPort }] } })), /port is already allocated/);
  });
});
