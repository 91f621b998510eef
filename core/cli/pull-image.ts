/**
 * Pulling an image with docker's progress display, shared by `berth pull`
 * and by `berth run`/`create` when the image is missing.
 */
import type { Writable } from 'node:stream';
import type { ApiClient } from './api-client';
import { ProgressRenderer } from './json-progress';

/** Splits `name[:tag][@digest]` into the `fromImage` and `tag` query parameters (tag `latest` by default). */
export function splitReference(ref: string): { fromImage: string; tag: string } {
  const at = ref.indexOf('@');
  if (at >= 0) return { fromImage: ref.slice(0, at), tag: ref.slice(at + 1) };
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > slash) return { fromImage: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { fromImage: ref, tag: 'latest' };
}

/** Whether stdout-like stream `w` is a terminal, and its width. */
export function terminalOf(w: Writable): { isTerminal: boolean; width: number } {
  const t = w as Writable & { isTTY?: boolean; columns?: number };
  return { isTerminal: t.isTTY === true, width: t.columns ?? 200 };
}

/**
 * Runs `POST /images/create?fromImage=…&tag=…` and draws its progress on
 * `out` (a bar per layer on a terminal). `quiet` prints only the final
 * reference. Throws the stream's error message (JsonMessageError).
 */
export async function pullImage(c: ApiClient, ref: string, opts: { out: Writable; platform?: string; quiet?: boolean; allTags?: boolean }): Promise<void> {
  const { fromImage, tag } = splitReference(ref);
  const res = await c.request('POST', '/images/create', {
    query: { fromImage, tag: opts.allTags ? undefined : tag, platform: opts.platform },
    headers: { 'X-Registry-Auth': Buffer.from('{}').toString('base64url') },
  });
  const { isTerminal, width } = terminalOf(opts.out);
  const r = new ProgressRenderer(opts.out, isTerminal, width);
  await c.jsonStream(res, (m) => {
    if (opts.quiet) {
      if (typeof m.error === 'string') r.write(m);
      return;
    }
    r.write(m);
  });
  if (opts.quiet) opts.out.write(`${ref.includes(':') || ref.includes('@') ? ref : `${ref}:latest`}\n`);
}
