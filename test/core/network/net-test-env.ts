/**
 * A real network domain for tests: the bridge plugin initialised through its
 * manifest, the NetworkService set up on a minimal kernel, all names chosen so
 * they cannot collide with a real berthd (bridge `bt-…`, veths `btv…`, chains
 * `BT…`, data and exec roots in /tmp/berth-test-*), and test subnets in
 * 10.213.0.0/16 – 10.214.0.0/16. close() removes everything it made.
 */
import 'reflect-metadata';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { NetworkDriver, SandboxProvider } from '../../../core';
import type { OwnedKernel } from '../../../core/daemon/create-kernel';
import { setupNetworks, type NetworkService, type NetworkServiceOptions } from '../../../core/network';
import type { BridgePluginOptions } from '../../../plugins/networkdriver-bridge/options';
import { makeTestKernel } from '../../helpers/test-kernel';

export interface NetTestEnv {
  kernel: OwnedKernel;
  svc: NetworkService;
  driver: NetworkDriver;
  sandboxes: SandboxProvider;
  dir: string;
  bridge: string;
  vethPrefix: string;
  chainPrefix: string;
  /** Third octet of the default bridge's 10.213.X.0/24. */
  octet: number;
  /** Stops the service, detaches everything, removes bridges, chains and the temp dir, restores sysctls/policy. */
  close(): Promise<void>;
  /** Simulates a daemon crash: stops serving (DNS sockets, kernel) but leaves every kernel object and the state files. */
  crash(): Promise<void>;
}

export interface NetTestEnvOptions {
  iptables?: boolean;
  icc?: boolean;
  upstreamResolvers?: string[];
  /** Set the FORWARD policy to DROP for the env's lifetime (as dockerd does). */
  forwardDrop?: boolean;
  /** Reuse a data/exec root (daemon-restart tests). */
  dir?: string;
  names?: { bridge: string; vethPrefix: string; chainPrefix: string; octet: number };
  linkBackend?: 'netlink' | 'ip';
  /** daemon.json `bridge` (the default bridge's name, or `none`); the env's own bridge name by default. */
  bridgeConfig?: string;
  isRunning?: NetworkServiceOptions['isRunning'];
}

/**
 * Every kernel-object name this test process handed out (bridges, veth and
 * chain prefixes, user bridges, temp dirs): hostSnapshot counts only these,
 * so other processes' tests running at the same time cannot disturb it.
 */
const mine = { bridges: new Set<string>(), vethPrefixes: new Set<string>(), chainPrefixes: new Set<string>(), dirs: new Set<string>() };

/** Records a bridge name (user networks' `br-…`) or temp dir as this process's. */
export function registerTestObject(kind: 'bridge' | 'dir', name: string): void {
  (kind === 'bridge' ? mine.bridges : mine.dirs).add(name);
}

/** Names for one env (random so parallel runs do not collide); registered for hostSnapshot. */
export function testNames(): { bridge: string; vethPrefix: string; chainPrefix: string; octet: number } {
  const h = randomBytes(2).toString('hex');
  const names = { bridge: `bt-${h}`, vethPrefix: `btv${h.slice(0, 2)}`, chainPrefix: `BT${h.toUpperCase()}`, octet: 1 + (randomBytes(1)[0] % 250) };
  mine.bridges.add(names.bridge);
  mine.vethPrefixes.add(names.vethPrefix);
  mine.chainPrefixes.add(names.chainPrefix);
  return names;
}

/** Builds the env and starts the network service. */
export async function makeNetTestEnv(o: NetTestEnvOptions = {}): Promise<NetTestEnv> {
  const names = o.names ?? testNames();
  const dir = o.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-net-'));
  registerTestObject('dir', dir);
  const forwardPolicy = o.forwardDrop ? forwardPolicyNow() : undefined;
  const ipForward = fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
  const options: BridgePluginOptions = {
    linkBackend: o.linkBackend ?? 'netlink', vethPrefix: names.vethPrefix, chainPrefix: names.chainPrefix, defaultBridge: names.bridge,
  };
  const dataRoot = path.join(dir, 'data');
  const kernel: OwnedKernel = await makeTestKernel({
    dataRoot,
    builtins: ['plugins/networkdriver-bridge'],
    config: {
      'exec-root': path.join(dir, 'exec'),
      bridge: o.bridgeConfig ?? names.bridge,
      bip: `10.213.${names.octet}.1/24`,
      'default-address-pools': [{ base: '10.214.0.0/16', size: 24 }],
      iptables: o.iptables !== false,
      'ip-forward': true,
      icc: o.icc !== false,
      mtu: 1500,
      dns: [],
      'plugin-options': { 'networkdriver.bridge': { ...options } },
    },
  });
  const reg = kernel.plugins;
  kernel.hooks.network.created.tap('test', (id: string) => registerTestObject('bridge', `br-${id.slice(0, 12)}`));
  if (o.forwardDrop) execFileSync('iptables', ['-w', '-P', 'FORWARD', 'DROP']);
  fs.writeFileSync(path.join(dir, 'host-resolv.conf'), 'nameserver 127.0.0.1\nsearch test.invalid\n');
  let svc: NetworkService;
  try {
    svc = await setupNetworks(kernel, {
      resolvConfPath: path.join(dir, 'host-resolv.conf'),
      upstreamResolvers: o.upstreamResolvers ?? [],
      isRunning: o.isRunning,
    });
  } catch (err) {
    try { execFileSync('ip', ['link', 'del', names.bridge], { stdio: 'ignore' }); } catch { /* not made */ }
    const fw = (reg.resolve<NetworkDriver>('networkdriver:bridge') as unknown as { o: { firewall: { removeAll(): Promise<void> } } }).o.firewall;
    await fw.removeAll().catch(() => undefined);
    fs.writeFileSync('/proc/sys/net/ipv4/ip_forward', ipForward);
    if (forwardPolicy) execFileSync('iptables', ['-w', '-P', 'FORWARD', forwardPolicy]);
    await kernel.close();
    if (!o.dir) fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const driver = reg.resolve<NetworkDriver>('networkdriver:bridge');
  const sandboxes = reg.resolve<SandboxProvider>('network:sandboxes');
  return {
    kernel, svc, driver, sandboxes, dir, bridge: names.bridge, vethPrefix: names.vethPrefix, chainPrefix: names.chainPrefix,
    octet: names.octet,
    async crash(): Promise<void> {
      await svc.close();
      await kernel.close();
    },
    async close(keepDir = false): Promise<void> {
      const errors: unknown[] = [];
      const step = async (fn: () => Promise<unknown> | unknown): Promise<void> => { try { await fn(); } catch (e) { errors.push(e); } };
      await step(() => svc.close());
      for (const c of svc.listNetworks().flatMap((n) => Object.keys(n.Containers))) await step(() => svc.detach(c));
      for (const id of (await sandboxes.list?.()) ?? []) await step(() => sandboxes.destroy(id));
      for (const n of svc.listNetworks()) {
        if (n.Driver === 'bridge') await step(() => driver.deleteNetwork(n.Id));
      }
      if (fs.existsSync(`/sys/class/net/${names.bridge}`)) await step(() => execFileSync('ip', ['link', 'del', names.bridge]));
      const fw = (driver as unknown as { o: { firewall: { removeAll(): Promise<void> } } }).o.firewall;
      await step(() => fw.removeAll());
      await step(() => fs.writeFileSync('/proc/sys/net/ipv4/ip_forward', ipForward));
      if (forwardPolicy) await step(() => execFileSync('iptables', ['-w', '-P', 'FORWARD', forwardPolicy]));
      await step(() => kernel.close());
      if (!keepDir && !o.dir) await step(() => fs.rmSync(dir, { recursive: true, force: true }));
      if (errors.length) throw errors[0];
    },
  } as NetTestEnv;
}

function forwardPolicyNow(): string {
  const m = /^-P FORWARD (\w+)/m.exec(execFileSync('iptables', ['-w', '-S', 'FORWARD'], { encoding: 'utf8' }));
  return m ? m[1] : 'ACCEPT';
}

/**
 * What "berth objects on the host" the network tests count, limited to names
 * this process handed out (see testNames): its bridges and user bridges, veths
 * with its prefixes, their IPv4 addresses, the iptables lines naming its
 * chains, and sandbox (nsfs) mounts under its temp dirs.
 */
export interface HostSnapshot { links: string[]; addresses: number; rules: string[]; nsMounts: number }

/** Counts this process's test objects (see HostSnapshot). */
export function hostSnapshot(): HostSnapshot {
  const vp = [...mine.vethPrefixes];
  const links = fs.readdirSync('/sys/class/net').filter((n) => mine.bridges.has(n) || vp.some((p) => n.startsWith(p))).sort();
  const addrs = JSON.parse(execFileSync('ip', ['-j', '-4', 'addr'], { encoding: 'utf8' })) as Array<{ ifname: string; addr_info: unknown[] }>;
  const addresses = addrs.filter((a) => links.includes(a.ifname)).reduce((s, a) => s + a.addr_info.length, 0);
  const chainRe = mine.chainPrefixes.size ? new RegExp(`\\b(${[...mine.chainPrefixes].join('|')})(?![0-9A-F])`) : null;
  const rules = chainRe ? execFileSync('iptables-save', [], { encoding: 'utf8' }).split('\n')
    .filter((l) => (l.startsWith('-A') || l.startsWith(':')) && chainRe.test(l)).sort() : [];
  const dirs = [...mine.dirs];
  const nsMounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .filter((l) => / - nsfs /.test(l) && dirs.some((d) => l.includes(d))).length;
  return { links, addresses, rules, nsMounts };
}

/**
 * Runs a command inside a sandbox with the host's /bin/busybox, in a private
 * mount namespace where /etc/resolv.conf and /etc/hosts are the container's
 * (so nothing ever asks the host's resolvers).
 */
export function sandboxArgs(netns: string, files: { resolvConf: string; hostsFile: string }, dir: string, cmd: string[]): string[] {
  const rc = path.join(dir, `resolv-${randomBytes(4).toString('hex')}`);
  const hs = path.join(dir, `hosts-${randomBytes(4).toString('hex')}`);
  fs.writeFileSync(rc, files.resolvConf);
  fs.writeFileSync(hs, files.hostsFile);
  const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  const script = `mount --bind ${q(rc)} /etc/resolv.conf && mount --bind ${q(hs)} /etc/hosts && exec nsenter --net=${q(netns)} ${cmd.map(q).join(' ')}`;
  return ['--mount', '--propagation', 'private', 'sh', '-c', script];
}

/** Runs to completion; resolves with exit code and output. */
export function runInSandbox(netns: string, files: { resolvConf: string; hostsFile: string }, dir: string, cmd: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const p = spawn('unshare', sandboxArgs(netns, files, dir, cmd));
    let out = '';
    const timer = setTimeout(() => { out += '\n[killed after 20 s]'; p.kill('SIGKILL'); }, 20000);
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { out += d; });
    p.on('close', (code) => { clearTimeout(timer); resolve({ code: code ?? -1, out }); });
  });
}

/** Starts a long-running process in a sandbox (kill it by the returned child). */
export function startInSandbox(netns: string, files: { resolvConf: string; hostsFile: string }, dir: string, cmd: string[]): ChildProcess {
  return spawn('unshare', sandboxArgs(netns, files, dir, cmd), { stdio: 'ignore' });
}
