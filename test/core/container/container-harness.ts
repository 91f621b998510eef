/**
 * Test support for container integration tests: a real kernel (vfs graph
 * driver through the real image service, native exec driver, json-file logs)
 * with busybox loaded from the host's static busybox, the container domain
 * set up, job IO that captures output, and cleanup of every container, mount,
 * cgroup and temp dir, also when a test fails.
 */
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import type { OwnedKernel } from '../../../core/daemon/create-kernel';
import type { DaemonConfig } from '../../../core/config/daemon-config';
import type { JobIO } from '../../../core/engine/job';
import { setupImages } from '../../../core/image/setup';
import { setupVolumes } from '../../../core/volume/setup';
import { setupContainers } from '../../../core/container/setup';
import type { ContainerService } from '../../../core/container/container-service';
import { hasBusybox } from '../../helpers/busybox-rootfs';
import { makeBusyboxArchive } from '../../helpers/busybox-image';
import { makeTestKernel } from '../../helpers/test-kernel';
import { setupNetworks } from '../../../core/network';
import type { NetworkDriver, SandboxProvider } from '../../../core';
import { testNames } from '../network/net-test-env';

export const BUILTINS = ['plugins/graphdriver-vfs', 'plugins/graphdriver-overlay2', 'plugins/execdriver-native', 'plugins/logdriver-json'];

/** Skips (with the printed reason) when this machine cannot run containers. */
export function requireContainers(ctx: Mocha.Context): void {
  if (process.getuid?.() !== 0) { console.log('skip: needs root (namespaces, cgroups)'); ctx.skip(); }
  if (!hasBusybox()) { console.log('skip: /bin/busybox (busybox-static) is missing'); ctx.skip(); }
}

export interface Captured { io: JobIO; out(): string; err(): string; stdin: PassThrough }

/** Job IO whose stdout/stderr are collected as text. */
export function captureIO(stdinData?: string): Captured {
  let out = '';
  let err = '';
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  if (stdinData !== undefined) stdin.end(stdinData);
  stdout.on('data', (d: Buffer) => { out += d.toString(); });
  stderr.on('data', (d: Buffer) => { err += d.toString(); });
  return { io: { stdin, stdout, stderr }, out: () => out, err: () => err, stdin };
}

/** Removes `/sys/fs/cgroup/<controller>/<parent>` dirs a test's containers left (empty ones only). */
export function removeCgroupParent(parent: string): void {
  const root = '/sys/fs/cgroup';
  let ctrls: string[] = [];
  try { ctrls = fs.readdirSync(root); } catch { return; }
  for (const c of ctrls) {
    try { fs.rmdirSync(path.join(root, c, parent)); } catch { /* absent or not empty */ }
  }
}

export interface ContainerTestbed {
  dataRoot: string;
  execRoot: string;
  kernel: OwnedKernel;
  svc: ContainerService;
  cgroupParent: string;
  /** The test bridge's names (with `network`). */
  net?: { bridge: string; vethPrefix: string; chainPrefix: string };
  /** Closes this kernel (its shutdown hooks run) without removing containers (for restore tests). */
  closeKernel(): Promise<void>;
  /** Force-removes every container, closes the kernel, removes cgroups and the roots. */
  destroy(): Promise<void>;
}

/** A fresh kernel + image and container services on a temp data root (or `reuse`'s, for a daemon restart). */
export interface TestbedOptions {
  /** Set up the real network service with the bridge plugin on a test bridge `bt-xxxx` (10.213.X.0/24). */
  network?: boolean;
  /** Set up the real volume service with the local volume driver. */
  volumes?: boolean;
  /** Also load the Docker volume plugin adapter, discovering plugins' sockets in this directory. */
  volumePluginSockets?: string;
}

export async function makeTestbed(config: Partial<DaemonConfig> = {}, reuse?: Pick<ContainerTestbed, 'dataRoot' | 'execRoot' | 'cgroupParent'>, opts: TestbedOptions = {}): Promise<ContainerTestbed> {
  const dataRoot = reuse?.dataRoot ?? fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-ctr-'));
  // short: the shim's unix socket lives under <exec-root>/containers/<64 hex>/ (108-byte limit)
  const execRoot = reuse?.execRoot ?? fs.mkdtempSync('/tmp/bt-');
  const cgroupParent = reuse?.cgroupParent ?? `bttest-${crypto.randomBytes(4).toString('hex')}`;
  const names = testNames();
  const netConfig: Partial<DaemonConfig> = opts.network ? {
    bridge: names.bridge, bip: `10.213.${names.octet}.1/24`, 'default-address-pools': [{ base: '10.214.0.0/16', size: 24 }],
    iptables: true, 'ip-forward': true, icc: true, mtu: 1500, dns: [],
    'plugin-options': { 'networkdriver.bridge': { linkBackend: 'netlink', vethPrefix: names.vethPrefix, chainPrefix: names.chainPrefix, defaultBridge: names.bridge } },
  } : {};
  const kernel = await makeTestKernel({
    dataRoot,
    builtins: [...BUILTINS, ...(opts.network ? ['plugins/networkdriver-bridge'] : []), ...(opts.volumes ? ['plugins/volumedriver-local'] : []),
      ...(opts.volumePluginSockets ? ['plugins/volumedriver-remote'] : [])],
    config: {
      'cgroup-parent': cgroupParent, 'exec-root': execRoot, 'storage-driver': process.env.BERTH_TEST_STORAGE_DRIVER ?? 'vfs', ...netConfig,
      ...(opts.volumePluginSockets ? { 'plugin-options': { ...(netConfig['plugin-options'] ?? {}), 'volumedriver.docker-plugins': { socketDirs: [opts.volumePluginSockets], specDirs: [] } } } : {}),
      ...config,
    },
  });
  const ipForward = fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
  let closed = false;
  let netCleanup: (() => Promise<void>) | undefined;
  const removeRoots = (): void => {
    removeCgroupParent(cgroupParent);
    fs.rmSync(dataRoot, { recursive: true, force: true });
    fs.rmSync(execRoot, { recursive: true, force: true });
  };
  try {
    await setupImages(kernel);
    if (opts.volumes) await setupVolumes(kernel);
    if (opts.network) {
      fs.writeFileSync(path.join(dataRoot, 'host-resolv.conf'), 'nameserver 127.0.0.1\nsearch test.invalid\n');
      const net = await setupNetworks(kernel, { resolvConfPath: path.join(dataRoot, 'host-resolv.conf'), upstreamResolvers: [] });
      netCleanup = async () => {
        const driver = kernel.plugins.resolve<NetworkDriver>('networkdriver:bridge');
        const sandboxes = kernel.plugins.resolve<SandboxProvider>('network:sandboxes');
        const step = async (fn: () => unknown): Promise<void> => { try { await fn(); } catch (e) { console.log(`net cleanup: ${(e as Error).message}`); } };
        await step(() => net.close());
        for (const c of net.listNetworks().flatMap((n) => Object.keys(n.Containers))) await step(() => net.detach(c));
        for (const id of (await sandboxes.list?.()) ?? []) await step(() => sandboxes.destroy(id));
        for (const n of net.listNetworks()) if (n.Driver === 'bridge') await step(() => driver.deleteNetwork(n.Id));
        if (fs.existsSync(`/sys/class/net/${names.bridge}`)) await step(() => execFileSync('ip', ['link', 'del', names.bridge]));
        await step(() => (driver as unknown as { o: { firewall: { removeAll(): Promise<void> } } }).o.firewall.removeAll());
        await step(() => fs.writeFileSync('/proc/sys/net/ipv4/ip_forward', ipForward));
      };
    }
    if (!reuse) {
      const archive = await makeBusyboxArchive(path.join(dataRoot, 'busybox.tar'));
      const stdin = fs.createReadStream(archive.path);
      const sink = new PassThrough();
      sink.resume();
      await kernel.engine.run('image.load', {}, { io: { stdin, stdout: sink, stderr: sink } });
      fs.rmSync(archive.path, { force: true });
    }
    const svc = await setupContainers(kernel);
    const bed: ContainerTestbed = {
      dataRoot, execRoot, kernel, svc, cgroupParent,
      net: opts.network ? { bridge: names.bridge, vethPrefix: names.vethPrefix, chainPrefix: names.chainPrefix } : undefined,
      async closeKernel() {
        if (closed) return;
        closed = true;
        // as berthd does: containers first (stopped, or detached with live-restore), then the rest
        await svc.shutdown();
        await kernel.close();
      },
      async destroy() {
        try {
          for (const c of svc.store.all()) {
            await svc.remove(c.record.ID, { force: true }).catch((e: Error) => console.log(`cleanup: ${e.message}`));
          }
        } finally {
          await netCleanup?.();
          await bed.closeKernel().catch(() => undefined);
          removeRoots();
        }
      },
    };
    return bed;
  } catch (err) {
    await netCleanup?.();
    await kernel.close().catch(() => undefined);
    if (!reuse) removeRoots();
    throw err;
  }
}

/** Kernel objects left by one testbed's network: its bridge, veths, iptables rules and netns mounts (scoped to its names). */
export function networkLeftovers(bed: Pick<ContainerTestbed, 'net' | 'execRoot' | 'dataRoot'>): string[] {
  if (!bed.net) return [];
  const { bridge, vethPrefix, chainPrefix } = bed.net;
  const links = fs.readdirSync('/sys/class/net').filter((n) => n === bridge || n.startsWith(vethPrefix));
  const rules = execFileSync('iptables-save', [], { encoding: 'utf8' }).split('\n')
    .filter((l) => l.includes(chainPrefix) || l.includes(bridge));
  const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .filter((l) => l.includes(bed.execRoot) || l.includes(bed.dataRoot));
  return [...links, ...rules, ...mounts];
}
