/**
 * Container routes that are one request → one job → one JSON answer. The
 * streaming ones (logs, attach, stats, export, archive, wait) live in
 * container-stream-routes.ts.
 */
import { InvalidArgumentError } from '../../errors';
import type { RouteDef } from '../route';
import { containerCreateSchema, containerUpdateSchema } from '../schemas/container';
import { execCreateSchema } from '../schemas/exec';
import { jobRoute } from './job-route';

/** Docker's rule for container names. */
export const CONTAINER_NAME = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Throws Docker's 400 for a name that breaks the container name rule. */
export function checkContainerName(name: unknown): void {
  if (typeof name === 'string' && name !== '' && !CONTAINER_NAME.test(name)) {
    throw new InvalidArgumentError(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
}

/** The one-job container routes (create, inspect, start, stop, …). */
export const containerRoutes: readonly RouteDef[] = [
  jobRoute('GET', '/containers/json', 'container.list', {
    query: { all: 'bool', limit: 'int', size: 'bool', filters: 'filters' },
  }),
  jobRoute('POST', '/containers/create', 'container.create', {
    query: { name: 'string', platform: 'string' }, schema: containerCreateSchema, bodyRequired: true, status: 201,
    input: (_ctx, input) => { checkContainerName(input.name); return input; },
  }),
  jobRoute('GET', '/containers/:id/json', 'container.inspect', { query: { size: 'bool' } }),
  jobRoute('GET', '/containers/:id/top', 'container.top', { query: { ps_args: 'string' } }),
  jobRoute('GET', '/containers/:id/changes', 'container.changes'),
  jobRoute('POST', '/containers/:id/resize', 'container.resize', { query: { h: 'int', w: 'int' }, body: 'none' }),
  jobRoute('POST', '/containers/:id/start', 'container.start', { query: { detachKeys: 'string' }, body: 'none', status: 204 }),
  jobRoute('POST', '/containers/:id/stop', 'container.stop', { query: { t: 'int', signal: 'string' }, body: 'none', status: 204 }),
  jobRoute('POST', '/containers/:id/restart', 'container.restart', { query: { t: 'int', signal: 'string' }, body: 'none', status: 204 }),
  jobRoute('POST', '/containers/:id/kill', 'container.kill', { query: { signal: 'string' }, body: 'none', status: 204 }),
  jobRoute('POST', '/containers/:id/update', 'container.update', { schema: containerUpdateSchema, bodyRequired: true }),
  jobRoute('POST', '/containers/:id/rename', 'container.rename', {
    query: { name: 'string' }, body: 'none', status: 204,
    input: (_ctx, input) => {
      if (typeof input.name !== 'string' || input.name === '') throw new InvalidArgumentError('Neither old nor new names may be empty');
      checkContainerName(input.name);
      return input;
    },
  }),
  jobRoute('POST', '/containers/:id/pause', 'container.pause', { body: 'none', status: 204 }),
  jobRoute('POST', '/containers/:id/unpause', 'container.unpause', { body: 'none', status: 204 }),
  jobRoute('DELETE', '/containers/:id', 'container.remove', { query: { v: 'bool', force: 'bool', link: 'bool' }, status: 204 }),
  jobRoute('POST', '/containers/prune', 'container.prune', { query: { filters: 'filters' }, body: 'none' }),
  jobRoute('POST', '/containers/:id/exec', 'exec.create', {
    schema: execCreateSchema, bodyRequired: true, status: 201,
    input: (_ctx, input) => {
      const cmd = (input.body as { Cmd?: string[] | null }).Cmd;
      if (!cmd || cmd.length === 0) throw new InvalidArgumentError('No exec command specified');
      return input;
    },
  }),
];
