/**
 * The `system.info` job: `GET /info`. Counts come from the domain jobs
 * (container.list, image.list) when their services are loaded, the storage
 * driver from the kernel's GraphDriver, security options from the exec
 * driver, the rest from config and the host.
 */
import * as os from 'node:os';
import type { Kernel } from '../daemon/kernel';
import { Tokens } from '../daemon/kernel';
import type { ExecDriver } from '../drivers/execdriver';
import type { GraphDriver } from '../drivers/graphdriver';
import type { JobName } from '../engine/job-map';
import { BERTH_VERSION } from '../version';
import {
  bridgeNf, cgroupAbilities, cgroupVersion, hasAppArmor, ipv4Forwarding, openFds, osRelease,
} from './host-facts';
import type { SystemInfo } from './system-jobs';

async function tryJob<T>(kernel: Kernel, name: string, input: unknown, fallback: T): Promise<T> {
  if (!kernel.engine.has(name)) return fallback;
  try {
    return await kernel.engine.run(name as JobName, input as never) as T;
  } catch (err) {
    kernel.log.warn({ err, job: name }, `info: ${name} failed`);
    return fallback;
  }
}

function graphDriver(kernel: Kernel): GraphDriver | undefined {
  try {
    return kernel.di.isRegistered(Tokens.GraphDriver, true) ? kernel.di.resolve<GraphDriver>(Tokens.GraphDriver) : undefined;
  } catch {
    return undefined;
  }
}

/** The exec driver the config names (`execdriver:<exec-driver>`, default native), when loaded. */
export function execDriver(kernel: Kernel): ExecDriver | undefined {
  const name = `execdriver:${kernel.config['exec-driver'] ?? 'native'}`;
  if (!kernel.plugins.has(name)) return undefined;
  try { return kernel.plugins.resolve<ExecDriver>(name); } catch { return undefined; }
}

function ids(kernel: Kernel, prefix: string): string[] {
  return kernel.plugins.names(prefix).map((n) => n.slice(prefix.length)).sort();
}

/** Builds Docker's SystemInfo for this daemon. */
export async function systemInfo(kernel: Kernel, engineId: string, eventListeners: number): Promise<SystemInfo> {
  const cfg = kernel.config;
  const containers = await tryJob<Array<{ State?: string }>>(kernel, 'container.list', { all: true }, []);
  const images = await tryJob<unknown[]>(kernel, 'image.list', {}, []);
  const running = containers.filter((c) => c.State === 'running').length;
  const paused = containers.filter((c) => c.State === 'paused').length;

  const gd = graphDriver(kernel);
  const ed = execDriver(kernel);
  const cg = cgroupAbilities();
  const warnings: string[] = [];
  if (!hasAppArmor()) warnings.push('WARNING: AppArmor is not available in this kernel: containers run without an AppArmor profile');
  if (!cg.SwapLimit) warnings.push('WARNING: No swap limit support');
  if (!ed) warnings.push(`WARNING: no exec driver loaded (execdriver:${cfg['exec-driver'] ?? 'native'}): containers cannot run`);
  if (!bridgeNf('iptables')) warnings.push('WARNING: bridge-nf-call-iptables is disabled');

  const insecure = cfg['insecure-registries'] ?? [];
  const isCidr = (s: string): boolean => /\/[0-9]+$/.test(s);
  const indexConfigs: Record<string, unknown> = {
    'docker.io': { Name: 'docker.io', Mirrors: cfg['registry-mirrors'] ?? [], Secure: true, Official: true },
  };
  for (const r of insecure.filter((s) => !isCidr(s))) indexConfigs[r] = { Name: r, Mirrors: [], Secure: false, Official: false };
  const release = osRelease();
  const network = ids(kernel, 'networkdriver:');
  const logs = ids(kernel, 'logdriver:');
  const authz = ids(kernel, 'authz:');

  return {
    ID: engineId,
    Containers: containers.length,
    ContainersRunning: running,
    ContainersPaused: paused,
    ContainersStopped: containers.length - running - paused,
    Images: images.length,
    Driver: gd?.name ?? cfg['storage-driver'] ?? '',
    DriverStatus: gd ? gd.status() : [],
    Plugins: {
      Volume: ['local'],
      Network: [...new Set([...network, 'host', 'null'])],
      Authorization: authz.length > 0 ? authz : null,
      Log: [...new Set([...logs, 'none'])].sort(),
    },
    BerthPlugins: kernel.plugins.list(),
    ...cg,
    KernelMemory: false,
    KernelMemoryTCP: false,
    IPv4Forwarding: ipv4Forwarding(),
    BridgeNfIptables: bridgeNf('iptables'),
    BridgeNfIp6tables: bridgeNf('ip6tables'),
    Debug: cfg.debug === true,
    NFd: openFds(),
    NGoroutines: 0,
    SystemTime: new Date().toISOString(),
    LoggingDriver: cfg['log-driver'],
    CgroupDriver: 'cgroupfs',
    CgroupVersion: cgroupVersion(),
    NEventsListener: eventListeners,
    KernelVersion: os.release(),
    OperatingSystem: release.pretty,
    OSVersion: release.version,
    OSType: 'linux',
    Architecture: os.machine(),
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: {
      AllowNondistributableArtifactsCIDRs: [],
      AllowNondistributableArtifactsHostnames: [],
      InsecureRegistryCIDRs: ['127.0.0.0/8', ...insecure.filter(isCidr)],
      IndexConfigs: indexConfigs,
      Mirrors: cfg['registry-mirrors'] ?? [],
    },
    NCPU: os.cpus().length,
    MemTotal: os.totalmem(),
    GenericResources: null,
    DockerRootDir: cfg['data-root'],
    HttpProxy: process.env.HTTP_PROXY ?? process.env.http_proxy ?? '',
    HttpsProxy: process.env.HTTPS_PROXY ?? process.env.https_proxy ?? '',
    NoProxy: process.env.NO_PROXY ?? process.env.no_proxy ?? '',
    Name: os.hostname(),
    Labels: [],
    ExperimentalBuild: false,
    ServerVersion: BERTH_VERSION,
    Runtimes: ed ? { [ed.name]: { path: 'berth-shim' } } : {},
    DefaultRuntime: ed?.name ?? '',
    Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
    LiveRestoreEnabled: cfg['live-restore'] === true,
    Isolation: '',
    InitBinary: '',
    ContainerdCommit: { ID: '', Expected: '' },
    RuncCommit: { ID: '', Expected: '' },
    InitCommit: { ID: '', Expected: '' },
    SecurityOptions: ed ? ed.securityOptions() : [],
    DefaultAddressPools: (cfg['default-address-pools'] ?? []).map((p) => ({ Base: p.base, Size: p.size })),
    Warnings: warnings,
  };
}
