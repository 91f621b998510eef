/** Registers the container.* and exec.* jobs on the engine: each maps to one service call. */
import './job-types';
import type { Engine } from '../engine/engine';
import { InvalidArgumentError } from '../errors';
import {
  attachContainer, containerChanges, containerLogs, containerStats, exportContainer, inspectContainer, listContainers, topContainer,
} from './container-io';
import { archiveGet, archiveHead, archivePut } from './container-archive';
import type { ContainerService } from './container-service';
import type { ExecService } from './exec-service';
import { normaliseFilters, pruneMatcher } from './list-filters';

function needId(input: { id?: unknown }): string {
  if (typeof input.id !== 'string' || input.id === '') throw new InvalidArgumentError('id is required');
  return input.id;
}

function needPath(input: { path?: unknown }): string {
  if (typeof input.path !== 'string' || input.path === '') throw new InvalidArgumentError('path is required');
  return input.path;
}

/** Registers every container and exec job. */
export function registerContainerJobs(engine: Engine, svc: ContainerService, execs: ExecService): void {
  engine.register('container.create', (job) => svc.create(job.input.name || undefined, job.input.body));
  engine.register('container.start', (job) => svc.start(needId(job.input)));
  engine.register('container.stop', (job) => svc.stop(needId(job.input), { t: job.input.t, signal: job.input.signal }));
  engine.register('container.restart', (job) => svc.restart(needId(job.input), { t: job.input.t, signal: job.input.signal }));
  engine.register('container.kill', (job) => svc.kill(needId(job.input), job.input.signal || 'SIGKILL'));
  engine.register('container.wait', (job) => svc.wait(needId(job.input), job.input.condition || 'not-running', job.signal));
  engine.register('container.remove', async (job) => {
    const id = svc.store.get(needId(job.input)).record.ID;
    await svc.remove(id, { force: !!job.input.force, v: !!job.input.v });
    execs.forgetContainer(id);
  });
  engine.register('container.list', (job) => listContainers(svc, job.input ?? {}));
  engine.register('container.inspect', (job) => inspectContainer(svc, needId(job.input), !!job.input.size));
  engine.register('container.resolve', (job) => {
    const { record } = svc.store.get(needId(job.input));
    return { Id: record.ID, Name: record.Name, Tty: !!record.Config.Tty };
  });
  engine.register('container.logs', (job) => containerLogs(svc, job));
  engine.register('container.attach', (job) => attachContainer(svc, job));
  engine.register('container.resize', (job) => svc.resize(needId(job.input), Number(job.input.h ?? 0), Number(job.input.w ?? 0)));
  engine.register('container.top', (job) => topContainer(svc, needId(job.input), job.input.ps_args));
  engine.register('container.stats', (job) => containerStats(svc, job));
  engine.register('container.changes', async (job) => {
    const changes = await containerChanges(svc, needId(job.input));
    return changes.length > 0 ? changes : null;
  });
  engine.register('container.export', (job) => exportContainer(svc, job));
  engine.register('container.pause', (job) => svc.pause(needId(job.input)));
  engine.register('container.unpause', (job) => svc.unpause(needId(job.input)));
  engine.register('container.rename', (job) => {
    if (typeof job.input.name !== 'string' || job.input.name === '') throw new InvalidArgumentError('Neither old nor new names may be empty');
    return svc.rename(needId(job.input), job.input.name);
  });
  engine.register('container.update', (job) => svc.update(needId(job.input), job.input.body ?? {}));
  engine.register('container.prune', (job) => svc.prune(pruneMatcher(normaliseFilters(job.input?.filters))));
  engine.register('container.archive.head', (job) => archiveHead(svc, needId(job.input), needPath(job.input)));
  engine.register('container.archive.get', (job) => { needPath(job.input); return archiveGet(svc, job); });
  engine.register('container.archive.put', (job) => { needPath(job.input); return archivePut(svc, job); });
  engine.register('exec.create', (job) => execs.create(needId(job.input), job.input.body ?? {}));
  engine.register('exec.start', (job) => execs.start(job));
  engine.register('exec.inspect', (job) => execs.inspect(needId(job.input)));
  engine.register('exec.resize', (job) => execs.resize(needId(job.input), Number(job.input.h ?? 0), Number(job.input.w ?? 0)));
}
