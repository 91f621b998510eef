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

/** The one-job container routes (create, inspect, start, stop, …). */
export const containerRoutes: readonly RouteDef[] = [
  jobRoute('GET', '/containers/json', 'container.list', {
    query: { all: 'bool', limit: 'int', size: 'bool', filters: 'filters' },
  }),
  jobRoute('POST', '/containers/create', 'container.create', {
    // the name is checked by the job once the image is found, as dockerd does (a missing image is 404 first)
    query: { name: 'string', platform: 'string' }, schema: containerCreateSchema, bodyRequired: true, status: 201,
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
  // empty names, then the container, then the new name's rule (the job), in dockerd's order
  jobRoute('POST', '/containers/:id/rename', 'container.rename', { query: { name: 'string' }, body: 'none', status: 204 }),
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
