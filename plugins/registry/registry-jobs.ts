/**
 * The registry jobs: `image.pull` (POST /images/create?fromImage=),
 * `image.push` (POST /images/{name}/push) and `image.search`
 * (GET /images/search). Pull and push write Docker's JSON progress lines
 * (`\r\n`-separated) to the job's stdout; a failure is thrown (the API turns
 * it into an HTTP error, or an `errorDetail` line once output started).
 */
import {
  InvalidArgumentError, NotFoundError, type AuthConfig, type Engine, type SearchResult,
} from '../../core';
import { decodeRegistryAuth } from './credentials';
import { jsonLinesSink } from './progress';
import { parseReference } from './reference';
import type { DistributionClient } from './registry-client';

/** `auth` as a decoded AuthConfig or the raw `X-Registry-Auth` header value. */
export type RegistryAuthInput = AuthConfig | Record<string, unknown> | string | undefined;

export interface ImagePullInput {
  /** Image name, possibly with tag or digest (`busybox`, `127.0.0.1:5000/x:1`). */
  fromImage: string;
  /** Tag or digest; replaces a tag in fromImage. Neither here nor in fromImage: every tag is pulled (as Docker's API does). */
  tag?: string;
  /** `os/arch[/variant]` */
  platform?: string;
  auth?: RegistryAuthInput;
}

export interface ImagePushInput {
  name: string;
  tag?: string;
  auth?: RegistryAuthInput;
}

export interface ImageSearchInput {
  term: string;
  limit?: number;
  filters?: Record<string, string[]>;
}

declare module '../../core' {
  interface JobMap {
    /** Pulls an image; progress on stdout. Output: the image id and manifest digest. */
    'image.pull': { input: ImagePullInput; output: { Id: string; Digest: string } };
    /** Pushes a local image; progress on stdout. Output: the manifest digest. */
    'image.push': { input: ImagePushInput; output: { Digest: string } };
    /** Docker's ImageSearchResponseItem list. */
    'image.search': { input: ImageSearchInput; output: SearchResult[] };
    /** `docker login` (POST /auth): Docker's AuthConfig in, `{Status, IdentityToken}` out. */
    'system.auth': { input: { body?: AuthConfig }; output: { Status: string; IdentityToken: string } };
  }
}

function authOf(a: RegistryAuthInput): AuthConfig | undefined {
  if (a === undefined || a === null) return undefined;
  if (typeof a === 'string') return decodeRegistryAuth(a);
  return a as AuthConfig;
}

/** `name` + `tag` as Docker joins them: the tag replaces one in the name; a digest tag becomes `@digest`. */
function joinRef(name: string, tag?: string): string {
  if (!name) throw new InvalidArgumentError('image name must not be empty');
  if (!tag) return name;
  const base = parseReference(name, null).name;
  return /^[a-z0-9]+:[a-f0-9]{32,}$/.test(tag) ? `${base}@${tag}` : `${base}:${tag}`;
}

/** Applies Docker's search filters (`is-official`, `is-automated`, `stars`). */
function filterResults(results: SearchResult[], filters: Record<string, string[]> | undefined): SearchResult[] {
  if (!filters) return results;
  const bool = (k: string): boolean | undefined => {
    const v = filters[k]?.[0];
    if (v === undefined) return undefined;
    if (v !== 'true' && v !== 'false') throw new InvalidArgumentError(`invalid filter '${k}=${v}': must be true or false`);
    return v === 'true';
  };
  const official = bool('is-official');
  const automated = bool('is-automated');
  const starsRaw = filters.stars?.[0];
  const stars = starsRaw === undefined ? 0 : Number(starsRaw);
  if (!Number.isInteger(stars)) throw new InvalidArgumentError(`invalid filter 'stars=${starsRaw}': must be an integer`);
  return results.filter((r) => (official === undefined || r.is_official === official)
    && (automated === undefined || r.is_automated === automated) && r.star_count >= stars);
}

/** Registers image.pull, image.push, image.search and system.auth on the engine under `owner`. */
export function registerRegistryJobs(engine: Engine, client: DistributionClient, owner: string): void {
  engine.register('image.pull', async (job) => {
    const { fromImage, tag } = job.input;
    const common = { platform: job.input.platform || undefined, auth: authOf(job.input.auth), progress: jsonLinesSink(job.io.stdout), signal: job.signal };
    const bare = client.dist.parse(fromImage, null);
    if (!tag && !bare.tag && !bare.digest) {
      // Docker's API: no tag at all pulls every tag of the repository (`docker pull --all-tags`).
      const tags = await client.dist.tags(bare, common.auth, job.signal);
      if (!tags.length) throw new NotFoundError(`repository ${bare.familiar} has no tags on ${bare.registry}`);
      let last = { id: '', digest: '' };
      for (const t of tags) last = await client.pullDetailed({ reference: `${bare.name}:${t}`, ...common });
      return { Id: last.id, Digest: last.digest };
    }
    const r = await client.pullDetailed({ reference: joinRef(fromImage, tag), ...common });
    return { Id: r.id, Digest: r.digest };
  }, owner);

  engine.register('image.push', async (job) => {
    // No tag at all (the API's --all-tags form) pushes every local tag of the repository.
    let digest = '';
    for (const reference of client.tagsToPush(job.input.name, job.input.tag || undefined)) {
      digest = await client.push({ reference, auth: authOf(job.input.auth), progress: jsonLinesSink(job.io.stdout), signal: job.signal });
    }
    return { Digest: digest };
  }, owner);

  engine.register('image.search', async (job) => {
    const limit = job.input.limit ?? 25;
    const results = await client.search(job.input.term, limit);
    return filterResults(results, job.input.filters);
  }, owner);

  engine.register('system.auth', async (job) => {
    const auth = authOf(job.input.body as RegistryAuthInput);
    if (!auth) throw new InvalidArgumentError('login: the request body must hold the credentials (username, password, serveraddress)');
    await client.dist.login(auth, job.signal);
    return { Status: 'Login Succeeded', IdentityToken: '' };
  }, owner);
}
