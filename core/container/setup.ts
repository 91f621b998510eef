/**
 * setupContainers(kernel): builds the ContainerService, registers it under
 * Tokens.ContainerService and as `kernel:containers`, registers the
 * container.* and exec.* jobs, and restores the containers found on disk
 * (reconnecting to running ones, applying restart policies). On engine
 * shutdown the service stops its containers unless `live-restore` is on.
 */
import 'reflect-metadata';
import type { Kernel } from '../daemon/kernel';
import { Tokens } from '../daemon/kernel';
import { ContainerService } from './container-service';
import { warmCreateValidator } from './create-schema';
import { ExecService } from './exec-service';
import { registerContainerJobs } from './jobs';
import type { ContainerRecord } from './types';

/** Name under which plugins find the service (`ctx.resolve('kernel:containers')`). */
export const KERNEL_CONTAINERS = 'kernel:containers';

/** Builds, registers and restores the container domain; resolves with the service. */
export async function setupContainers(kernel: Kernel): Promise<ContainerService> {
  if (!kernel.di.isRegistered(Tokens.Kernel)) kernel.di.registerInstance(Tokens.Kernel, kernel);
  const svc = kernel.di.resolve(ContainerService);
  kernel.di.registerInstance(Tokens.ContainerService, svc);
  const reg = kernel.plugins as unknown as { provide?(name: string, value: unknown, owner?: string): void };
  if (!kernel.plugins.has(KERNEL_CONTAINERS) && typeof reg.provide === 'function') reg.provide(KERNEL_CONTAINERS, svc, 'kernel');
  const execs = new ExecService(svc);
  registerContainerJobs(kernel.engine, svc, execs);
  kernel.hooks.engine.shutdown.tapPromise('core.containers', () => svc.shutdown());
  // `docker network connect/disconnect` of a running container: inspect shows
  // it at once, and the next start attaches it again (dockerd keeps it in the
  // container's endpoints). Attach at start and detach at exit happen while
  // the container is not running: the start and exit paths record those.
  const followNetwork = (connected: boolean) => async (networkId: string, id: string): Promise<void> => {
    const c = svc.store.find(id);
    const net = svc.networks;
    const s = c?.record.State;
    if (!c || !s || s.Status !== 'running' || s.Restarting || !net?.settingsOf || !net.inspectNetwork) return;
    const settings = net.settingsOf(id) as ContainerRecord['NetworkSettings'];
    const name = (net.inspectNetwork(networkId) as { Name?: string } | undefined)?.Name;
    c.record.NetworkSettings = settings;
    if (name) {
      const eps = c.record.NetworkingConfig.EndpointsConfig;
      const ep = (settings.Networks?.[name] ?? {}) as { Aliases?: string[] | null; IPAMConfig?: { IPv4Address?: string } | null };
      // the CLI names the default network `default` in a create request
      const key = name === 'bridge' && eps.default && !eps.bridge ? 'default' : name;
      if (connected) eps[key] = { ...eps[key], Aliases: ep.Aliases ?? null, IPAMConfig: ep.IPAMConfig ?? null };
      else delete eps[key];
    }
    await svc.store.saveRecord(c).catch((err: Error) => kernel.log.warn({ container: id, err: err.message }, 'could not record the network change'));
  };
  kernel.hooks.network.connected.tapPromise('core.containers', followNetwork(true));
  kernel.hooks.network.disconnected.tapPromise('core.containers', followNetwork(false));
  // dockerd's `commit` container event, after the new image's `tag`
  kernel.hooks.image.committed.tapPromise('core.containers', async (id, imageId, ref, comment) => {
    const c = svc.store.find(id);
    if (c) await svc.emit(c, 'commit', { comment, imageID: imageId, imageRef: ref });
  });
  await svc.restore();
  // Loading the precompiled validator (~3 ms): right after start-up rather than in the first `docker run`
  setTimeout(warmCreateValidator, 0).unref();
  return svc;
}
