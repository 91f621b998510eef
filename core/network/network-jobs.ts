/** Registers the network.* jobs: each maps Docker's input onto the NetworkService and returns Docker's output. */
import type { Engine } from '../engine/engine';
import { InvalidArgumentError } from '../errors';
import type { NetworkService } from './network-service';
import './network-job-map';

/** Adds network.create/list/inspect/remove/connect/disconnect/prune to the engine. */
export function registerNetworkJobs(engine: Engine, svc: NetworkService): void {
  engine.register('network.create', (job) => svc.createNetwork(job.input.body));
  engine.register('network.list', (job) => svc.listNetworks(job.input?.filters));
  engine.register('network.inspect', (job) => svc.inspectNetwork(job.input.id));
  engine.register('network.remove', (job) => svc.removeNetwork(job.input.id));
  engine.register('network.connect', (job) => {
    const b = job.input.body;
    if (!b?.Container) throw new InvalidArgumentError('network connect: body.Container is required');
    return svc.connect(job.input.id, b.Container, {
      aliases: b.EndpointConfig?.Aliases ?? undefined,
      ipv4Address: b.EndpointConfig?.IPAMConfig?.IPv4Address || undefined,
    });
  });
  engine.register('network.disconnect', (job) => {
    const b = job.input.body;
    if (!b?.Container) throw new InvalidArgumentError('network disconnect: body.Container is required');
    return svc.disconnect(job.input.id, b.Container);
  });
  engine.register('network.prune', (job) => svc.pruneNetworks(job.input?.filters));
}
