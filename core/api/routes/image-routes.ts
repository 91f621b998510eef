/**
 * Image routes. Image names contain slashes (`localhost:5000/team/app`), so
 * `/images/{name}/json`, `/history`, `/get`, `/tag`, `/push` and
 * `DELETE /images/{name}` are matched with one wildcard and split here, the
 * way Docker's `{name:.*}` routes do. Pull, push and load answer with
 * Docker's JSON progress stream; save and get with a tar stream.
 */
import { InvalidArgumentError, NotFoundError } from '../../errors';
import { streamJob } from '../job-stream';
import type { RouteContext, RouteDef } from '../route';
import { containerConfigSchema } from '../schemas/container';
import { jobRoute, respondWithJob } from './job-route';

/** Decodes `X-Registry-Auth` (base64url JSON); undefined when absent or unreadable, as Docker does. */
export function registryAuth(ctx: RouteContext): Record<string, unknown> | undefined {
  const raw = ctx.req.headers['x-registry-auth'];
  if (typeof raw !== 'string' || raw === '') return undefined;
  try {
    const v = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown;
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const progress = { contentType: 'application/json', framing: 'raw', errors: 'json' } as const;

async function createImage(ctx: RouteContext): Promise<void> {
  const q = ctx.query as Record<string, unknown>;
  if (typeof q.fromImage === 'string' && q.fromImage !== '') {
    const input = { fromImage: q.fromImage, tag: q.tag, platform: q.platform, auth: registryAuth(ctx) };
    await streamJob(ctx, 'image.pull', input, progress);
    return;
  }
  if (typeof q.fromSrc === 'string' && q.fromSrc !== '') {
    const input = { fromSrc: q.fromSrc, repo: q.repo, tag: q.tag, message: q.message, changes: q.changes ?? [], platform: q.platform };
    await streamJob(ctx, 'image.import', input, { ...progress, stdin: ctx.req });
    return;
  }
  throw new InvalidArgumentError('either fromImage or fromSrc must be set');
}

function splitName(ctx: RouteContext, suffixes: string[]): { name: string; op: string } {
  const rest = ctx.params['*'] ?? '';
  for (const s of suffixes) {
    if (rest.endsWith(`/${s}`) && rest.length > s.length + 1) return { name: rest.slice(0, -(s.length + 1)), op: s };
  }
  throw new NotFoundError('page not found');
}

async function getImageSub(ctx: RouteContext): Promise<void> {
  const { name, op } = splitName(ctx, ['json', 'history', 'get']);
  if (op === 'json') return respondWithJob(ctx, 'image.inspect', { name });
  if (op === 'history') return respondWithJob(ctx, 'image.history', { name });
  return streamJob(ctx, 'image.save', { names: [name] }, { contentType: 'application/x-tar', framing: 'raw' });
}

async function postImageSub(ctx: RouteContext): Promise<void> {
  const { name, op } = splitName(ctx, ['tag', 'push']);
  const q = ctx.query as Record<string, unknown>;
  if (op === 'tag') {
    if (typeof q.repo !== 'string' || q.repo === '') throw new InvalidArgumentError('repository name (repo) must be set');
    return respondWithJob(ctx, 'image.tag', { name, repo: q.repo, tag: q.tag }, 201);
  }
  return streamJob(ctx, 'image.push', { name, tag: q.tag, auth: registryAuth(ctx) }, progress);
}

/** `/images/…` and `/commit` routes. */
export const imageRoutes: readonly RouteDef[] = [
  jobRoute('GET', '/images/json', 'image.list', {
    query: { all: 'bool', filters: 'filters', digests: 'bool', 'shared-size': 'bool' },
  }),
  {
    method: 'POST', path: '/images/create', body: 'stream',
    query: { fromImage: 'string', fromSrc: 'string', repo: 'string', tag: 'string', message: 'string', changes: 'list', platform: 'string' },
    handler: createImage,
  },
  jobRoute('GET', '/images/search', 'image.search', { query: { term: 'string', limit: 'int', filters: 'filters' } }),
  {
    method: 'GET', path: '/images/get', query: { names: 'list' },
    handler: (ctx) => streamJob(ctx, 'image.save', { names: ctx.query.names ?? [] }, { contentType: 'application/x-tar', framing: 'raw' }),
  },
  {
    method: 'POST', path: '/images/load', body: 'stream', query: { quiet: 'bool' },
    handler: (ctx) => streamJob(ctx, 'image.load', { quiet: ctx.query.quiet === true }, { ...progress, stdin: ctx.req }),
  },
  jobRoute('POST', '/images/prune', 'image.prune', { query: { filters: 'filters' }, body: 'none' }),
  jobRoute('POST', '/commit', 'image.commit', {
    query: { container: 'string', repo: 'string', tag: 'string', comment: 'string', author: 'string', pause: 'bool', changes: 'list' },
    schema: containerConfigSchema, status: 201,
    input: (_ctx, input) => ({ pause: true, ...input }),
  }),
  { method: 'GET', path: '/images/*', handler: getImageSub },
  { method: 'POST', path: '/images/*', query: { repo: 'string', tag: 'string' }, body: 'none', handler: postImageSub },
  {
    method: 'DELETE', path: '/images/*', query: { force: 'bool', noprune: 'bool' },
    handler: (ctx) => respondWithJob(ctx, 'image.remove', { name: ctx.params['*'], force: ctx.query.force === true, noprune: ctx.query.noprune === true }),
  },
];
