/**
 * Container routes whose answers stream: logs, attach (hijacked), stats,
 * export, archive (docker cp) and wait (headers first, status when the
 * container stops).
 */
import { InvalidArgumentError } from '../../errors';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../detach-keys';
import { MediaType } from '../hijack';
import { compareApiVersions } from '../api-version';
import { nullIO } from '../../engine/job';
import { streamJob } from '../job-stream';
import type { RouteContext, RouteDef } from '../route';
import { runJob } from '../run-job';
import { runHijackedJob } from './hijacked-job';
import { defaultInput } from './job-route';

/** Whether container `id` has a tty (404 when it does not exist). */
async function containerTty(ctx: RouteContext, id: string): Promise<boolean> {
  const found = await runJob(ctx.kernel, 'container.resolve', { id }, { signal: ctx.signal }) as { Tty: boolean };
  return found.Tty;
}

/** Docker's timestamps in query strings: unix seconds with an optional fraction, or RFC 3339. */
export function parseTimestamp(name: string, v: string): number {
  if (/^[0-9]+(\.[0-9]+)?$/.test(v)) return Number(v);
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new InvalidArgumentError(`invalid value for ${name}: ${JSON.stringify(v)} is not a timestamp`);
  return t / 1000;
}

async function logs(ctx: RouteContext): Promise<void> {
  const q = ctx.query as Record<string, string | boolean | undefined>;
  const stdout = q.stdout === true;
  const stderr = q.stderr === true;
  if (!stdout && !stderr) throw new InvalidArgumentError('Bad parameters: you must choose at least one stream');
  // as dockerd: a tail that is not an integer (`all`, `bogus`) or is negative means every line
  let tail = -1;
  if (typeof q.tail === 'string' && /^[+-]?[0-9]+$/.test(q.tail)) tail = Math.max(-1, Number(q.tail));
  const input = {
    id: ctx.params.id,
    follow: q.follow === true,
    stdout, stderr,
    timestamps: q.timestamps === true,
    tail,
    since: typeof q.since === 'string' && q.since !== '' ? parseTimestamp('since', q.since) : undefined,
    until: typeof q.until === 'string' && q.until !== '' ? parseTimestamp('until', q.until) : undefined,
  };
  const tty = await containerTty(ctx, ctx.params.id);
  await streamJob(ctx, 'container.logs', input, {
    contentType: !tty && compareApiVersions(ctx.apiVersion, '1.42') >= 0 ? MediaType.multiplexed : MediaType.raw,
    framing: tty ? 'raw' : 'mux',
    flushHeaders: input.follow,
  });
}

async function attach(ctx: RouteContext): Promise<void> {
  const q = ctx.query as Record<string, string | boolean | undefined>;
  const keys = typeof q.detachKeys === 'string' && q.detachKeys !== '' ? q.detachKeys : DEFAULT_DETACH_KEYS;
  const detachKeys = parseDetachKeys(keys);
  const tty = await containerTty(ctx, ctx.params.id);
  const input = {
    id: ctx.params.id,
    logs: q.logs === true, stream: q.stream === true,
    stdin: q.stdin === true, stdout: q.stdout === true, stderr: q.stderr === true,
    detachKeys: keys,
  };
  await runHijackedJob(ctx, 'container.attach', input, { tty, stdin: input.stdin, detachKeys });
}

async function wait(ctx: RouteContext): Promise<void> {
  const condition = (ctx.query.condition as string | undefined) || 'not-running';
  if (!['not-running', 'next-exit', 'removed'].includes(condition)) {
    throw new InvalidArgumentError(`invalid condition: ${JSON.stringify(condition)}: must be not-running, next-exit or removed`);
  }
  await containerTty(ctx, ctx.params.id); // 404 before the headers go out
  const job = runJob(ctx.kernel, 'container.wait', { id: ctx.params.id, condition }, { signal: ctx.signal });
  job.catch(() => undefined);
  // The docker CLI waits for these headers before it starts the container, so
  // they go out as soon as the job had its turn to register the wait.
  await new Promise((resolve) => setImmediate(resolve));
  ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
  ctx.res.flushHeaders();
  let body: unknown;
  try {
    const out = await job as { StatusCode?: number; Error?: unknown };
    body = { StatusCode: out?.StatusCode ?? 0, Error: out?.Error ?? null };
  } catch (err) {
    body = { StatusCode: -1, Error: { Message: (err as Error).message } };
  }
  ctx.res.end(JSON.stringify(body) + '\n');
}

function requirePath(ctx: RouteContext): string {
  const p = ctx.query.path;
  if (typeof p !== 'string' || p === '') throw new InvalidArgumentError('path is required: set the query parameter path');
  return p;
}

async function pathStatHeader(ctx: RouteContext): Promise<Record<string, string>> {
  const stat = await runJob(ctx.kernel, 'container.archive.head', { id: ctx.params.id, path: requirePath(ctx) }, { signal: ctx.signal });
  return { 'X-Docker-Container-Path-Stat': Buffer.from(JSON.stringify(stat)).toString('base64') };
}

/** The streaming container routes (logs, attach, wait, stats, export, archive). */
export const containerStreamRoutes: readonly RouteDef[] = [
  {
    method: 'GET', path: '/containers/:id/logs',
    query: { follow: 'bool', stdout: 'bool', stderr: 'bool', since: 'string', until: 'string', timestamps: 'bool', tail: 'string' },
    handler: logs,
  },
  {
    // Without an upgrade the request body is the container's stdin (`stream`: left unread here).
    method: 'POST', path: '/containers/:id/attach', body: 'stream',
    query: { detachKeys: 'string', logs: 'bool', stream: 'bool', stdin: 'bool', stdout: 'bool', stderr: 'bool' },
    handler: attach,
  },
  { method: 'POST', path: '/containers/:id/wait', query: { condition: 'string' }, body: 'none', handler: wait },
  {
    method: 'GET', path: '/containers/:id/stats', query: { stream: 'bool', 'one-shot': 'bool' },
    handler: (ctx) => {
      const stream = ctx.query.stream !== false;
      const input = { id: ctx.params.id, stream, 'one-shot': ctx.query['one-shot'] === true };
      return streamJob(ctx, 'container.stats', input, { contentType: 'application/json', framing: 'raw', flushHeaders: stream });
    },
  },
  {
    method: 'GET', path: '/containers/:id/export',
    handler: (ctx) => streamJob(ctx, 'container.export', { id: ctx.params.id }, { contentType: 'application/x-tar', framing: 'raw' }),
  },
  {
    method: 'HEAD', path: '/containers/:id/archive', query: { path: 'string' },
    handler: async (ctx) => {
      ctx.res.writeHead(200, { ...(await pathStatHeader(ctx)), 'Content-Type': 'application/x-tar' });
      ctx.res.end();
    },
  },
  {
    method: 'GET', path: '/containers/:id/archive', query: { path: 'string' },
    handler: async (ctx) => {
      const headers = await pathStatHeader(ctx);
      await streamJob(ctx, 'container.archive.get', { id: ctx.params.id, path: requirePath(ctx) }, {
        contentType: 'application/x-tar', framing: 'raw', headers, flushHeaders: true,
      });
    },
  },
  {
    method: 'PUT', path: '/containers/:id/archive', body: 'stream',
    query: { path: 'string', noOverwriteDirNonDir: 'bool', copyUIDGID: 'bool' },
    handler: async (ctx) => {
      requirePath(ctx);
      const { stdout, stderr } = nullIO();
      await runJob(ctx.kernel, 'container.archive.put', defaultInput(ctx), { signal: ctx.signal, io: { stdin: ctx.req, stdout, stderr } });
      ctx.res.writeHead(200, { 'Content-Length': '0' });
      ctx.res.end();
    },
  },
];
