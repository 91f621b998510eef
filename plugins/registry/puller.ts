/**
 * The pull: resolve the manifest (choosing a platform from an index), fetch
 * the config, download layers concurrently (at most `maxConcurrent`) while
 * applying them strictly in order, then record the image in one step. Speaks
 * Docker's progress messages throughout.
 *
 * Atomicity comes from the target: nothing is visible until `record`.
 * Resumability comes from the blob store: an interrupted download keeps its
 * partial data and the next pull continues it with `Range`.
 */
import { createHash } from 'node:crypto';
import {
  BerthError, InvalidArgumentError, NotFoundError, UnavailableError, isInvalidArgument, type ProgressSink,
} from '../../core';
import type { TokenCache } from './auth-challenge';
import { fetchBlob } from './blob-fetch';
import { BlobFollower } from './blob-follow';
import type { Credentials } from './credentials';
import type { EndpointResolver } from './endpoints';
import { readBody } from './http-send';
import {
  ACCEPT, hostPlatform, parseManifest, parsePlatform, selectPlatform, formatPlatform,
  type Descriptor, type ImageManifest,
} from './manifest';
import { bytes, shortId, status } from './progress';
import type { LayerFeed, PulledConfig, PulledImage, PullTarget } from './pull-target';
import type { RemoteReference } from './reference';
import { RegistrySession } from './session';

export interface PullParams {
  ref: RemoteReference;
  platform?: string;
  creds?: Credentials;
  progress: ProgressSink;
  signal?: AbortSignal;
}

export interface PullDeps {
  resolver: EndpointResolver;
  tokens: TokenCache;
  maxConcurrent: number;
  /** Attempts per blob download when the connection drops (default 5, as Docker). */
  retries: number;
}

/** Errors worth another attempt: the registry was unreachable or the connection broke mid-body. */
export function isTransient(err: unknown): boolean {
  if (err instanceof BerthError) return err.code === 'Unavailable' && !/ answered 4\d\d/.test(err.message);
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return ['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED', 'ERR_STREAM_PREMATURE_CLOSE'].includes(code ?? '')
    || (err instanceof Error && err.message === 'aborted');
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = (): void => { clearTimeout(t); reject(signal.reason); };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export interface PullResult {
  id: string;
  manifestDigest: string;
  upToDate: boolean;
}

function sha256(b: Buffer): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

/** Fetches a manifest by tag or digest; verifies the digest when asked by digest. */
async function getManifest(s: RegistrySession, repo: string, reference: string, signal?: AbortSignal):
Promise<{ body: Buffer; contentType?: string; digest: string }> {
  const res = await s.request({ method: 'GET', path: `/v2/${repo}/manifests/${reference}`, headers: { Accept: ACCEPT }, signal });
  const body = await readBody(res, 4 * 1024 * 1024);
  const digest = sha256(body);
  if (reference.includes(':') && reference !== digest) {
    throw new InvalidArgumentError(`manifest digest mismatch for ${repo}@${reference}: content has digest ${digest}`);
  }
  return { body, contentType: res.headers['content-type'], digest };
}

/** Fetches a small blob into memory, verifying size and digest. */
async function getSmallBlob(s: RegistrySession, repo: string, d: Descriptor, signal?: AbortSignal): Promise<Buffer> {
  const res = await s.request({ method: 'GET', path: `/v2/${repo}/blobs/${d.digest}`, signal });
  const body = await readBody(res, 16 * 1024 * 1024);
  if (body.length !== d.size || sha256(body) !== d.digest) {
    throw new InvalidArgumentError(`blob digest mismatch for ${d.digest}: received ${body.length} bytes with digest ${sha256(body)}`);
  }
  return body;
}

/** Runs `fn` over items with at most `limit` at a time; `onQueued` for those that must wait. */
function limiter(limit: number): <T>(fn: () => Promise<T>, onWait?: () => void) => Promise<T> {
  let active = 0;
  const queue: Array<() => void> = [];
  return async <T>(fn: () => Promise<T>, onWait?: () => void): Promise<T> => {
    if (active >= limit) {
      onWait?.();
      await new Promise<void>((r) => queue.push(r));
    }
    active++;
    try { return await fn(); } finally {
      active--;
      queue.shift()?.();
    }
  };
}

export class Puller {
  constructor(private readonly deps: PullDeps) {}

  /**
   * Pulls `params.ref` into `target`. Resolves with the image id once it is
   * recorded (or found up to date). On any failure, downloads in flight are
   * stopped, applied-but-unrecorded layers are undone, and the error is thrown.
   */
  async pull(params: PullParams, target: PullTarget): Promise<PullResult> {
    const { ref, progress } = params;
    const want = params.platform ? parsePlatform(params.platform) : hostPlatform();
    const reference = ref.digest ?? ref.tag ?? 'latest';
    const endpoints = this.deps.resolver.endpoints(ref.registry);
    let lastErr: unknown;
    for (const [i, ep] of endpoints.entries()) {
      const session = new RegistrySession(ep, [`repository:${ref.repository}:pull`], params.creds, this.deps.tokens);
      let top: Awaited<ReturnType<typeof getManifest>>;
      try {
        await session.ping(params.signal);
        top = await getManifest(session, ref.repository, reference, params.signal);
      } catch (err) {
        lastErr = err;
        const more = i < endpoints.length - 1;
        // Mirrors fall through to the next endpoint on any failure; an insecure
        // registry's HTTPS attempt falls through to HTTP when unreachable.
        if (more && (ep.mirror || (err instanceof UnavailableError && !ep.tlsVerify))) continue;
        throw err;
      }
      progress({ status: `Pulling from ${ref.repository}`, id: ref.digest ?? ref.tag });
      return this.pullFrom(session, params, top, want, target);
    }
    throw lastErr instanceof BerthError ? lastErr : new UnavailableError(`no endpoint of ${ref.registry} answered`);
  }

  private async pullFrom(session: RegistrySession, params: PullParams,
    top: { body: Buffer; contentType?: string; digest: string }, want: ReturnType<typeof hostPlatform>,
    target: PullTarget): Promise<PullResult> {
    const { ref, progress, signal } = params;
    const repo = ref.repository;
    const parsedTop = parseManifest(top.body, top.contentType, ref.familiar);
    let manifest: ImageManifest;
    let manifestBytes = top.body;
    if (parsedTop.kind === 'index') {
      const d = selectPlatform(parsedTop.index, want, ref.familiar);
      const m = await getManifest(session, repo, d.digest, signal);
      const parsed = parseManifest(m.body, m.contentType, `${ref.familiar} (${formatPlatform(want)})`);
      if (parsed.kind !== 'image') throw new InvalidArgumentError(`${ref.familiar}: nested manifest lists are not supported`);
      manifest = parsed.manifest;
      manifestBytes = m.body;
    } else {
      manifest = parsedTop.manifest;
    }
    const configBytes = await getSmallBlob(session, repo, manifest.config, signal);
    let config: PulledConfig;
    try { config = JSON.parse(configBytes.toString('utf8')) as PulledConfig; } catch {
      throw new InvalidArgumentError(`image config ${manifest.config.digest} of ${ref.familiar} is not valid JSON`);
    }
    const diffIds = config.rootfs?.diff_ids ?? [];
    if (diffIds.length !== manifest.layers.length) {
      throw new InvalidArgumentError(`${ref.familiar}: manifest has ${manifest.layers.length} layers but the config lists ${diffIds.length} diff_ids`);
    }
    if (params.platform && (config.os !== want.os || config.architecture !== want.architecture)) {
      throw new NotFoundError(`image ${ref.familiar} is ${config.os}/${config.architecture}, not the requested platform ${formatPlatform(want)}`);
    }
    const img: PulledImage = {
      ref, manifestDigest: top.digest, manifest, manifestBytes, configDigest: manifest.config.digest, configBytes, config,
    };
    const state = await target.lookup(ref, img.configDigest);
    if (state === 'up-to-date') {
      progress(status(`Digest: ${top.digest}`));
      progress(status(`Status: Image is up to date for ${ref.familiar}`));
      return { id: img.configDigest, manifestDigest: top.digest, upToDate: true };
    }

    const have = state === 'present' ? manifest.layers.length : await target.existingLayers(diffIds);
    const layers = manifest.layers;
    for (const [i, l] of layers.entries()) {
      progress(status(i < have ? 'Already exists' : 'Pulling fs layer', shortId(l.digest)));
    }
    const abort = new AbortController();
    const onOuterAbort = (): void => abort.abort(signal?.reason);
    signal?.addEventListener('abort', onOuterAbort, { once: true });
    const run = limiter(Math.max(1, this.deps.maxConcurrent));
    const downloads = new Map<number, Promise<string>>();
    const followers = new Map<number, BlobFollower>();
    let firstError: unknown;
    try {
      for (let i = have; i < layers.length; i++) {
        const l = layers[i];
        const id = shortId(l.digest);
        const follower = new BlobFollower();
        followers.set(i, follower);
        const p = run(async () => {
          if (abort.signal.aborted) throw abort.signal.reason ?? new Error('aborted');
          for (let attempt = 1; ; attempt++) {
            try {
              await fetchBlob(session, repo, l, target.blobs, {
                onData: (cur, total) => progress(bytes('Downloading', id, cur, total)),
                onVerify: () => progress(status('Verifying Checksum', id)),
                onIngest: (file, written) => follower.attach(file, written),
                onWritten: (written) => follower.grew(written),
                onVerified: () => follower.finish(target.blobs.path(l.digest), l.size),
              }, abort.signal);
              break;
            } catch (err) {
              // A dropped connection resumes from the bytes already stored (Range), like Docker's retries.
              if (abort.signal.aborted || attempt >= this.deps.retries || !isTransient(err)) throw err;
              const delay = Math.min(2 ** (attempt - 1), 8);
              progress(status(`Retrying in ${delay} second${delay > 1 ? 's' : ''}`, id));
              await sleep(delay * 1000, abort.signal);
            }
          }
          progress(status('Download complete', id));
          const file = target.blobs.path(l.digest);
          follower.finish(file, l.size);
          return file;
        }, () => progress(status('Waiting', id)));
        p.catch((err: unknown) => { firstError ??= err; follower.fail(err); abort.abort(err); });
        downloads.set(i, p);
      }
      const feeds: LayerFeed[] = layers.map((l, i) => {
        const id = shortId(l.digest);
        return {
          desc: l,
          diffId: diffIds[i],
          ready: downloads.get(i) ?? Promise.resolve(target.blobs.path(l.digest)),
          stream: followers.has(i) ? () => (followers.get(i) as BlobFollower).stream() : undefined,
          onStart: () => undefined,
          onProgress: (cur: number, total: number) => progress(bytes('Extracting', id, cur, total)),
          onDone: () => progress(status('Pull complete', id)),
        };
      });
      await target.applyLayers(img, have, feeds);
      // Layers extract from blobs as they verify; the blobs are durable and in place once their downloads settle.
      await Promise.all(downloads.values());
      const imageId = await target.record(img);
      progress(status(`Digest: ${top.digest}`));
      progress(status(`Status: Downloaded newer image for ${ref.familiar}`));
      return { id: imageId, manifestDigest: top.digest, upToDate: false };
    } catch (err) {
      if (firstError === undefined && !abort.signal.aborted && isInvalidArgument(err)) {
        // Layers extract while they download: an extraction that failed on
        // bad bytes (a broken tar or gzip, a wrong diff_id) is explained by
        // its download's verdict (a digest mismatch), so let the downloads
        // finish and report that first. Other failures (disk full) stop at once.
        await Promise.allSettled([...downloads.values()]);
      }
      firstError ??= err;
      abort.abort(err);
      // Wait for in-flight downloads to stop writing (their partial data stays for a resume).
      await Promise.allSettled([...downloads.values()]);
      await target.abort(img).catch(() => undefined);
      throw firstError;
    } finally {
      signal?.removeEventListener('abort', onOuterAbort);
    }
  }
}
