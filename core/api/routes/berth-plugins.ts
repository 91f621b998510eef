/**
 * berth's own route next to the Docker API: `GET /berth/plugins` answers the
 * `engine.plugins` job — every plugin loaded or failed, as
 * `[{uri, kind, id, version, apiVersion, source, status, error, initMs}]`
 * (PluginStatus). `berth plugins ls` and `berth info` read it.
 */
import { sendJson } from '../job-stream';
import type { RouteDef } from '../route';
import { runJob } from '../run-job';

export const berthPluginRoutes: readonly RouteDef[] = [
  {
    method: 'GET', path: '/berth/plugins',
    handler: async (ctx) => { sendJson(ctx.res, 200, await runJob(ctx.kernel, 'engine.plugins', {}, { signal: ctx.signal })); },
  },
];
