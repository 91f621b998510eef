/**
 * `GET /v2/<name>/tags/list`, following the `Link: <…>; rel="next"`
 * pagination of the distribution spec. Used for pulls of every tag (the
 * API's `fromImage` without a tag, `docker pull --all-tags`).
 */
import { InvalidArgumentError } from '../../core';
import type { TokenCache } from './auth-challenge';
import { connectRegistry } from './connect';
import type { Credentials } from './credentials';
import type { EndpointResolver } from './endpoints';
import { readBody } from './http-send';
import type { RemoteReference } from './reference';

/** Every tag of `ref`'s repository, sorted. */
export async function listTags(resolver: EndpointResolver, tokens: TokenCache, ref: RemoteReference,
  creds: Credentials | undefined, signal?: AbortSignal): Promise<string[]> {
  const s = await connectRegistry(resolver, tokens, ref.registry, [`repository:${ref.repository}:pull`], creds, signal);
  const tags: string[] = [];
  let next: string | undefined = `/v2/${ref.repository}/tags/list?n=1000`;
  for (let page = 0; next && page < 1000; page++) {
    const res = await s.request({ method: 'GET', path: next, signal });
    const body = await readBody(res, 16 * 1024 * 1024);
    let j: { tags?: string[] | null };
    try { j = JSON.parse(body.toString()) as typeof j; } catch {
      throw new InvalidArgumentError(`tags list of ${ref.name} is not valid JSON`);
    }
    tags.push(...(j.tags ?? []));
    const link = /<([^>]+)>\s*;\s*rel="?next"?/.exec(String(res.headers.link ?? ''));
    next = link ? link[1] : undefined;
  }
  return [...new Set(tags)].sort();
}
