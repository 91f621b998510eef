/** System routes: `_ping`, `version`, `info`, `system/df`, `events`. */
import { sendJson, streamJob } from '../job-stream';
import type { RouteContext, RouteDef } from '../route';
import { runJob } from '../run-job';

function ping(ctx: RouteContext): Promise<void> {
  ctx.res.writeHead(200, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Cache-Control': 'no-cache, no-store, must-revalidate',
    Pragma: 'no-cache',
    'Builder-Version': '',
    'Content-Length': '2',
  });
  ctx.res.end(ctx.req.method === 'HEAD' ? undefined : 'OK');
  return Promise.resolve();
}

/** A route that runs `job` with no input and sends its output as JSON. */
function jsonJob(job: string) {
  return async (ctx: RouteContext): Promise<void> => {
    sendJson(ctx.res, 200, await runJob(ctx.kernel, job, {}, { signal: ctx.signal }));
  };
}

/** `_ping`, `version`, `info`, `system/df`, `events`. */
export const systemRoutes: readonly RouteDef[] = [
  { method: 'GET', path: '/_ping', handler: ping },
  { method: 'HEAD', path: '/_ping', handler: ping },
  { method: 'GET', path: '/version', handler: jsonJob('system.version') },
  { method: 'GET', path: '/info', handler: jsonJob('system.info') },
  {
    method: 'GET', path: '/system/df', query: { type: 'list' },
    handler: async (ctx) => { sendJson(ctx.res, 200, await runJob(ctx.kernel, 'system.df', ctx.query, { signal: ctx.signal })); },
  },
  {
    method: 'GET', path: '/events', query: { since: 'string', until: 'string', filters: 'filters' },
    handler: (ctx) => streamJob(ctx, 'system.events', ctx.query, {
      contentType: 'application/json', framing: 'raw', flushHeaders: true,
    }),
  },
];
