/**
 * Routes berth answers without doing the work, the way a Docker daemon
 * without the feature does: no image builds (501), no managed plugins (an
 * empty list), not a swarm node (503 with Docker's message; no swarm init/join: 501), registry logins
 * only when a loaded plugin registers `system.auth` (501 otherwise).
 */
import { NotImplementedError, UnavailableError } from '../../errors';
import { sendJson } from '../job-stream';
import type { HttpMethod, RouteDef } from '../route';
import { jobRoute } from './job-route';

const NOT_SWARM = 'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.';

function swarm(method: HttpMethod, path: string): RouteDef {
  return { method, path, body: 'none', handler: () => Promise.reject(new UnavailableError(NOT_SWARM)) };
}

/** Routes of features berth does not have, answered as Docker would. */
export const unsupportedRoutes: readonly RouteDef[] = [
  {
    method: 'POST', path: '/build', body: 'none',
    handler: () => Promise.reject(new NotImplementedError('berth does not build images (POST /build); build with another tool and docker load the result')),
  },
  // no builder, so no build cache: nothing to prune (`docker system prune` asks for it last)
  { method: 'POST', path: '/build/prune', body: 'none', handler: async (ctx) => { sendJson(ctx.res, 200, { CachesDeleted: null, SpaceReclaimed: 0 }); } },
  {
    method: 'GET', path: '/containers/:id/attach/ws',
    handler: () => Promise.reject(new NotImplementedError('attach over websocket is not supported; use POST /containers/{id}/attach')),
  },
  { method: 'GET', path: '/plugins', handler: async (ctx) => { sendJson(ctx.res, 200, []); } },
  jobRoute('POST', '/auth', 'system.auth'),
  ...(['/swarm', '/nodes', '/services', '/tasks', '/secrets', '/configs'] as const).map((p) => swarm('GET', p)),
  ...['/swarm/init', '/swarm/join'].map((path): RouteDef => ({
    method: 'POST', path, body: 'none',
    handler: () => Promise.reject(new NotImplementedError('berth does not support swarm mode')),
  })),
];
