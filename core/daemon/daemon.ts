/**
 * startDaemon: turns a kernel (plugins loaded, see create-kernel.ts) into a
 * running berthd — pid file, the kernel's own providers, each domain's setup
 * in dependency order, the system jobs, then the API listeners. `stop()`
 * undoes it in reverse: listeners first (no new work), then the domains
 * (containers keep running with `live-restore`), then the plugins.
 */
import type { Logger } from 'pino';
import { ApiServer } from '../api/api-server';
import { DEFAULT_SOCKET, listen, type Listener } from '../api/listeners';
import { allRoutes } from '../api/routes';
import { setupContainers } from '../container/setup';
import { setupImages } from '../image/setup';
import { noneLogDriverFactory } from '../logging/none-driver';
import { setupNetworks } from '../network/setup-networks';
import { setupSystem, type SystemService } from '../system/setup-system';
import { BERTH_VERSION } from '../version';
import { setupVolumes } from '../volume/setup';
import type { Kernel } from './kernel';
import { removePidFile, writePidFile } from './pid-file';

export interface StartDaemonOptions {
  /** Addresses to listen on (`-H`); default `config.hosts`, else `unix:///run/berth/berth.sock`. */
  hosts?: string[];
  /** Pid file; default `config.pidfile`; `false` for none (embedded use, tests). */
  pidfile?: string | false;
}

export interface RunningDaemon {
  /** Stops listening, shuts the domains down (honouring live-restore), closes the plugins, removes the pid file. Idempotent. */
  stop(): Promise<void>;
  /** Unix socket paths berthd listens on. */
  sockets: string[];
  /** Every listener, as given (`unix://…`, `tcp://…`), with the bound TCP port. */
  listeners: Array<{ address: string; port?: number }>;
  readonly system: SystemService;
}

/**
 * One domain of the kernel: how to set it up and how to stop it. The list
 * below is the order berthd builds them in (a domain's dependencies first);
 * a domain whose code has not landed yet is simply not listed.
 */
interface Domain {
  name: string;
  /** The name plugins resolve the service by (`ctx.resolve('kernel:networks')`). */
  provides: string;
  setup(kernel: Kernel): Promise<unknown>;
  stop?(service: unknown, kernel: Kernel): Promise<void>;
  /** Why the domain cannot run with the loaded plugins (it is then skipped, and that logged); null when it can. */
  unavailable?(kernel: Kernel): string | null;
}

const DOMAINS: readonly Domain[] = [
  // Images close on hooks.engine.shutdown (kernel.close), after the containers below stopped.
  { name: 'images', provides: 'kernel:images', setup: (k) => setupImages(k) },
  {
    name: 'networks', provides: 'kernel:networks',
    // An appliance may leave the network plugin out: containers then get `--network none` or `host` only.
    unavailable: (k) => (k.plugins.names('networkdriver:').length === 0 || !k.plugins.has('network:sandboxes')
      ? 'no network driver plugin is loaded: containers can use only --network none or host' : null),
    setup: (k) => setupNetworks(k),
    stop: (svc) => (svc as { close(): Promise<void> }).close(),
  },
  { name: 'volumes', provides: 'kernel:volumes', setup: (k) => setupVolumes(k) },
  {
    // Restores containers (restart policies applied) at setup; at stop, detaches with
    // live-restore, else stops them — before networks and images go away.
    name: 'containers', provides: 'kernel:containers',
    setup: (k) => setupContainers(k),
    stop: (svc) => (svc as { shutdown(): Promise<void> }).shutdown(),
  },
];

/** Something that can be closed: the OwnedKernel from createKernel. */
interface Closable { close(): Promise<void> }

/** Sets the daemon up on `kernel` and starts listening. On failure, undoes what it did and rethrows. */
export async function startDaemon(kernel: Kernel, opts: StartDaemonOptions = {}): Promise<RunningDaemon> {
  const log: Logger = kernel.log.child({ component: 'daemon' });
  const pidfile = opts.pidfile === undefined ? kernel.config.pidfile : opts.pidfile;
  const hosts = opts.hosts ?? (kernel.config.hosts.length > 0 ? kernel.config.hosts : [`unix://${DEFAULT_SOCKET}`]);

  const started: Array<{ domain: Domain; service: unknown }> = [];
  const listeners: Listener[] = [];
  let stopped = false;

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await Promise.all(listeners.map((l) => l.close().catch((err: Error) => log.warn({ err }, `closing ${l.address} failed`))));
    for (const { domain, service } of [...started].reverse()) {
      if (!domain.stop) continue;
      try { await domain.stop(service, kernel); } catch (err) { log.warn({ err, domain: domain.name }, `stopping ${domain.name} failed`); }
    }
    const closable = kernel as Partial<Closable>;
    if (typeof closable.close === 'function') await closable.close().catch((err: Error) => log.warn({ err }, 'closing the kernel failed'));
    if (pidfile) removePidFile(pidfile);
    uninstall();
    log.info('berthd stopped');
  };

  // Like Go's HTTP server recovering a handler's panic: one request's stray stream
  // error must not take every container's API down. Logged loudly, never silent.
  const onUncaught = (err: unknown): void => { log.error({ err }, 'uncaught error (berthd keeps running)'); };
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
  const uninstall = (): void => {
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUncaught);
  };

  try {
    if (pidfile) await writePidFile(pidfile);
    if (!kernel.plugins.has('logdriver:none')) kernel.plugins.provide('logdriver:none', noneLogDriverFactory, 'core');
    for (const domain of DOMAINS) {
      const why = domain.unavailable?.(kernel) ?? null;
      if (why) {
        log.info({ domain: domain.name }, `${domain.name}: not set up: ${why}`);
        continue;
      }
      const t0 = Date.now();
      const service = await domain.setup(kernel);
      started.push({ domain, service });
      if (!kernel.plugins.has(domain.provides)) kernel.plugins.provide(domain.provides, service, 'core');
      log.debug({ domain: domain.name, ms: Date.now() - t0 }, `${domain.name} ready`);
    }
    const system = await setupSystem(kernel);
    await kernel.hooks.engine.ready.promise();

    const api = new ApiServer(kernel, allRoutes, { version: BERTH_VERSION, log: kernel.log.child({ component: 'api' }) });
    const tls = {
      tls: kernel.config.tls, tlsverify: kernel.config.tlsverify,
      tlscacert: kernel.config.tlscacert, tlscert: kernel.config.tlscert, tlskey: kernel.config.tlskey,
    };
    for (const host of hosts) {
      listeners.push(await listen(host, api, tls, kernel.config.group, log));
      log.info({ host }, `API listening on ${host}`);
    }
    return {
      stop,
      sockets: listeners.flatMap((l) => (l.socketPath ? [l.socketPath] : [])),
      listeners: listeners.map((l) => ({ address: l.address, port: l.port })),
      system,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
