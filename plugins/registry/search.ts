/**
 * `docker search` against the registry v1 search endpoint (`GET /v1/search`).
 * A term `host[:port]/words` searches that registry, anything else Docker Hub.
 * Registries without the endpoint (the distribution v2 server has none) give
 * a NotImplementedError naming the registry, never an empty list.
 */
import {
  BerthError, InvalidArgumentError, NotImplementedError, UnavailableError, type SearchResult,
} from '../../core';
import type { TokenCache } from './auth-challenge';
import type { Credentials } from './credentials';
import { DOCKER_HUB, type EndpointResolver } from './endpoints';
import { readBody, send } from './http-send';

/** Splits a search term into the registry and the words (`localhost:5000/busy` → localhost:5000, busy). */
export function splitSearchTerm(term: string): { registry: string; words: string } {
  const i = term.indexOf('/');
  if (i > 0) {
    const first = term.slice(0, i);
    if (first.includes('.') || first.includes(':') || first === 'localhost') return { registry: first, words: term.slice(i + 1) };
  }
  return { registry: DOCKER_HUB, words: term };
}

/** Runs a search; see the file comment for the errors. */
export async function searchRegistry(resolver: EndpointResolver, _tokens: TokenCache, term: string, limit: number,
  credsFor: (registry: string) => Promise<Credentials | undefined>): Promise<SearchResult[]> {
  if (!term.trim()) throw new InvalidArgumentError('search: term must not be empty');
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new InvalidArgumentError(`search: limit ${limit} must be between 1 and 100`);
  const { registry, words } = splitSearchTerm(term.trim());
  const eps = resolver.endpoints(registry, true);
  const creds = await credsFor(registry);
  let last: unknown;
  for (const [i, ep] of eps.entries()) {
    const base = registry === DOCKER_HUB ? 'https://index.docker.io' : ep.base;
    const url = `${base}/v1/search?q=${encodeURIComponent(words)}&n=${limit}`;
    const headers: Record<string, string> = {};
    if (creds?.username !== undefined) headers.Authorization = 'Basic ' + Buffer.from(`${creds.username}:${creds.password ?? ''}`).toString('base64');
    try {
      const res = await send({ method: 'GET', url, agent: ep.agent, headers });
      const body = await readBody(res, 4 * 1024 * 1024);
      if (res.statusCode === 404 || res.statusCode === 405 || res.statusCode === 501) {
        throw new NotImplementedError(`registry ${registry} does not implement search: GET /v1/search answered ${res.statusCode} (the distribution v2 API has no search; use the registry's own UI or catalog)`);
      }
      if (res.statusCode !== 200) throw new UnavailableError(`search on ${registry} failed: HTTP ${res.statusCode} ${body.toString().slice(0, 200)}`);
      const j = JSON.parse(body.toString()) as { results?: Array<Partial<SearchResult>> };
      return (j.results ?? []).slice(0, limit).map((r) => ({
        name: r.name ?? '', description: r.description ?? '', star_count: r.star_count ?? 0,
        is_official: r.is_official ?? false, is_automated: r.is_automated ?? false,
      }));
    } catch (err) {
      last = err;
      if (i < eps.length - 1 && err instanceof UnavailableError && !ep.tlsVerify) continue;
      throw err;
    }
  }
  throw last instanceof BerthError ? last : new UnavailableError(`no endpoint of ${registry} answered`);
}
