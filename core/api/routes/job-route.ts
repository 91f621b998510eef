/**
 * The common shape of a route: run one job whose input is Docker's path
 * parameters + declared query parameters (+ the JSON body under `body`), and
 * answer with its output as JSON (200/201) or with an empty 204.
 */
import type { JSONSchema } from '../../plugins/manifest';
import { sendJson } from '../job-stream';
import type { QuerySpec } from '../query';
import type { BodyKind, HttpMethod, RouteContext, RouteDef } from '../route';
import { runJob } from '../run-job';

export interface JobRouteOptions {
  query?: QuerySpec;
  schema?: JSONSchema;
  bodyRequired?: boolean;
  body?: BodyKind;
  /** 200 (default) and 201 send the job output as JSON; 204 sends nothing. */
  status?: 200 | 201 | 204;
  /** Checks or rewrites the input before the job runs. */
  input?: (ctx: RouteContext, input: Record<string, unknown>) => Record<string, unknown>;
}

/** `{ ...params, ...query, body }`: the job input for a route (see docs/api.md). */
export function defaultInput(ctx: RouteContext): Record<string, unknown> {
  const input: Record<string, unknown> = { ...ctx.params, ...ctx.query };
  if (ctx.body !== undefined) input.body = ctx.body;
  return input;
}

/** Runs `job` and writes its output with the route's status. */
export async function respondWithJob(ctx: RouteContext, job: string, input: unknown, status: 200 | 201 | 204 = 200): Promise<void> {
  const output = await runJob(ctx.kernel, job, input, { signal: ctx.signal, env: { apiVersion: ctx.apiVersion } });
  if (status === 204) {
    ctx.res.writeHead(204);
    ctx.res.end();
    return;
  }
  if (output === undefined) {
    ctx.res.writeHead(status, { 'Content-Length': '0' });
    ctx.res.end();
    return;
  }
  sendJson(ctx.res, status, output);
}

/** A route that maps straight to one job. */
export function jobRoute(method: HttpMethod, path: string, job: string, opts: JobRouteOptions = {}): RouteDef {
  return {
    method, path, query: opts.query, schema: opts.schema, bodyRequired: opts.bodyRequired, body: opts.body,
    handler: async (ctx) => {
      let input = defaultInput(ctx);
      if (opts.input) input = opts.input(ctx, input);
      await respondWithJob(ctx, job, input, opts.status ?? 200);
    },
  };
}
