/**
 * The image jobs (Docker Engine API operations, dotted), registered by
 * setupImages. Inputs use Docker's parameter names, outputs Docker's shapes.
 */
import type { Kernel } from '../daemon/kernel';
import { InvalidArgumentError } from '../errors';
import * as path from 'node:path';
import { loadImages, saveImages } from './docker-archive';
import type { ImageRunConfig } from './image-config';
import type { ImageService } from './image-service';
import type { HistoryResponseItem, ImageDeleteResponseItem, ImageInspect, ImagePruneResponse, ImageSummary } from './image-types';
import { danglingFilter, filterValues, imageHistory, inspectImage, listImages, type ImageFilters } from './image-views';
import { pruneMatcher } from '../filters';

declare module '../engine/job-map' {
  interface JobMap {
    /** GET /images/json */
    'image.list': { input: { all?: boolean; filters?: ImageFilters; digests?: boolean }; output: ImageSummary[] };
    /** GET /images/{name}/json */
    'image.inspect': { input: { name: string }; output: ImageInspect };
    /** GET /images/{name}/history */
    'image.history': { input: { name: string }; output: HistoryResponseItem[] };
    /** POST /images/{name}/tag?repo=&tag= */
    'image.tag': { input: { name: string; repo: string; tag?: string }; output: Record<string, never> };
    /** DELETE /images/{name}?force=&noprune= */
    'image.remove': { input: { name: string; force?: boolean; noprune?: boolean }; output: ImageDeleteResponseItem[] };
    /** POST /images/prune?filters= (dangling=false: all unused images) */
    'image.prune': { input: { filters?: ImageFilters }; output: ImagePruneResponse };
    /** POST /images/create?fromSrc=-&repo=&tag=&changes=&message= — the tar on stdin; JSON progress on stdout. */
    'image.import': { input: { repo?: string; tag?: string; changes?: string[]; message?: string; fromSrc?: string; platform?: string }; output: { id: string } };
    /** POST /images/load?quiet= — the archive on stdin; `{"stream":"Loaded image: …\n"}` lines on stdout. */
    'image.load': { input: { quiet?: boolean }; output: { loaded: string[] } };
    /** GET /images/get?names= (and /images/{name}/get) — a docker-archive tar on stdout. */
    'image.save': { input: { names: string[] }; output: Record<string, never> };
    /** POST /commit?container=&repo=&tag=&comment=&author=&changes= with the container config as body. */
    'image.commit': {
      input: { container: string; repo?: string; tag?: string; comment?: string; author?: string; pause?: boolean; changes?: string[] | string; body?: Partial<ImageRunConfig> };
      output: { Id: string };
    };
  }
}

function asList(v: string[] | string | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : v.split('\n').filter((s) => s.trim() !== '');
}

/** Registers the image jobs on `kernel.engine`. */
export function registerImageJobs(kernel: Kernel, svc: ImageService): void {
  const e = kernel.engine;
  e.register('image.list', (job) => listImages(svc, job.input));
  e.register('image.inspect', (job) => inspectImage(svc, job.input.name));
  e.register('image.history', (job) => imageHistory(svc, job.input.name));
  e.register('image.tag', async (job) => {
    if (!job.input.repo) throw new InvalidArgumentError('repo is required to tag an image');
    await svc.tag(job.input.name, job.input.repo, job.input.tag);
    return {};
  });
  e.register('image.remove', (job) => svc.remove(job.input.name, { force: job.input.force, noprune: job.input.noprune }));
  e.register('image.prune', (job) => {
    // dockerd's image prune filters: dangling (false: every unused image), until, label, label!
    const f = job.input.filters ?? {};
    const dangling = danglingFilter(f);
    const rest = Object.fromEntries(Object.keys(f).filter((k) => k !== 'dangling').map((k) => [k, filterValues(f, k)]));
    const match = pruneMatcher(rest);
    return svc.prune({ all: dangling === false, match: (img) => match(Date.parse(img.config.created ?? ''), img.config.config?.Labels ?? {}) });
  });
  e.register('image.import', async (job) => {
    if (job.input.fromSrc !== undefined && job.input.fromSrc !== '-') {
      throw new InvalidArgumentError(`fromSrc=${job.input.fromSrc}: only "-" (the request body) is supported; berth never fetches URLs for import`);
    }
    const id = await svc.importTar(job.io.stdin, { repo: job.input.repo, tag: job.input.tag, changes: asList(job.input.changes), message: job.input.message });
    job.io.stdout.write(JSON.stringify({ status: id }) + '\r\n');
    return { id };
  });
  e.register('image.load', async (job) => {
    const loaded = await loadImages(svc, job.io.stdin, path.join(kernel.config['data-root'], 'image', 'tmp'));
    for (const l of loaded) job.io.stdout.write(JSON.stringify({ stream: `${l}\n` }) + '\r\n');
    return { loaded };
  });
  e.register('image.save', async (job) => {
    await saveImages(svc, job.input.names, job.io.stdout);
    return {};
  });
  e.register('image.commit', async (job) => {
    const cid = svc.resolveContainer(job.input.container);
    const id = await svc.commit(cid, {
      repo: job.input.repo, tag: job.input.tag, comment: job.input.comment, author: job.input.author,
      changes: job.input.body, changeInstructions: asList(job.input.changes),
    });
    return { Id: id };
  });
}
