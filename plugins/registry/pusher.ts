/**
 * The push: for each layer, check whether the registry has the blob (HEAD),
 * mount it from another repository of the same registry when we know one
 * holds it, otherwise upload it (POST, then one PUT for small blobs or PATCH
 * chunks then PUT for large ones). Then the config, then the manifest by tag.
 * Speaks Docker's push progress messages.
 */
import { createHash } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { InvalidArgumentError, UnavailableError, type ProgressSink } from '../../core';
import type { TokenCache } from './auth-challenge';
import { connectRegistry } from './connect';
import type { Credentials } from './credentials';
import type { EndpointResolver } from './endpoints';
import { readBody } from './http-send';
import { MediaTypes } from './manifest';
import { bytes, shortId, status } from './progress';
import type { RemoteReference } from './reference';
import type { RegistrySession } from './session';

/** A blob to push: its compressed bytes are produced by `open()`. */
export interface PushBlob {
  digest: string;
  size: number;
  mediaType: string;
  /** A fresh stream of the blob's bytes (called again when a request must be retried). */
  open(): Promise<Readable>;
}

/** What a push reads from the local image store. */
export interface PushSource {
  /** The image config bytes (their sha256 is the image id). */
  config: Buffer;
  /** Layer blobs, bottom first, compressed as they will be stored. */
  layers: PushBlob[];
  /** Other repositories (same registry, path only) known to hold a blob: mount candidates. */
  mountSources?(digest: string): string[];
}

export interface PushParams {
  ref: RemoteReference;
  source: PushSource;
  creds?: Credentials;
  progress: ProgressSink;
  signal?: AbortSignal;
}

export interface PushDeps {
  resolver: EndpointResolver;
  tokens: TokenCache;
  maxConcurrent: number;
  chunkSize: number;
}

const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function withQuery(location: string, base: string, params: Record<string, string>): string {
  const u = new URL(location, base);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.toString();
}

export class Pusher {
  constructor(private readonly deps: PushDeps) {}

  /**
   * Pushes the image and tags it `ref.tag` (default `latest`). Resolves with
   * the manifest digest and size. Errors are typed (Unauthorized, Forbidden,
   * Unavailable...) and carry the registry's message.
   */
  async push(p: PushParams): Promise<{ digest: string; size: number }> {
    const { ref, source, progress, signal } = p;
    if (ref.digest) throw new InvalidArgumentError(`cannot push by digest (${ref.familiar}): push a tag`);
    const tag = ref.tag ?? 'latest';
    const repo = ref.repository;
    progress(status(`The push refers to repository [${ref.name.replace(/^docker\.io\//, 'docker.io/')}]`));
    const mountFrom = new Set<string>();
    for (const l of source.layers) for (const r of source.mountSources?.(l.digest) ?? []) if (r !== repo) mountFrom.add(r);
    const scopes = [`repository:${repo}:pull,push`, ...[...mountFrom].map((r) => `repository:${r}:pull`)];
    const session = await connectRegistry(this.deps.resolver, this.deps.tokens, ref.registry, scopes, p.creds, signal);

    const shown = [...source.layers].reverse();
    for (const l of shown) progress(status('Preparing', shortId(l.digest)));
    let active = 0;
    const queue: Array<() => void> = [];
    const slot = async (id: string): Promise<void> => {
      if (active >= this.deps.maxConcurrent) {
        progress(status('Waiting', id));
        await new Promise<void>((r) => queue.push(r));
      }
      active++;
    };
    const release = (): void => { active--; queue.shift()?.(); };
    await Promise.all(shown.map(async (l) => {
      const id = shortId(l.digest);
      await slot(id);
      try {
        const outcome = await this.pushBlob(session, repo, l, source.mountSources?.(l.digest) ?? [], (cur) =>
          progress(bytes('Pushing', id, cur, l.size)), signal);
        progress(status(outcome === 'exists' ? 'Layer already exists' : outcome.startsWith('mounted:')
          ? `Mounted from ${outcome.slice('mounted:'.length)}` : 'Pushed', id));
      } finally { release(); }
    }));

    const configDigest = sha256(source.config);
    await this.pushBlob(session, repo, {
      digest: configDigest, size: source.config.length, mediaType: MediaTypes.dockerConfig,
      open: async () => Readable.from([source.config]),
    }, [], () => undefined, signal);

    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaTypes.dockerManifest,
      config: { mediaType: MediaTypes.dockerConfig, size: source.config.length, digest: configDigest },
      layers: source.layers.map((l) => ({ mediaType: l.mediaType, size: l.size, digest: l.digest })),
    }, null, 3));
    const digest = sha256(manifest);
    const res = await session.request({
      method: 'PUT', path: `/v2/${repo}/manifests/${tag}`, signal,
      headers: { 'Content-Type': MediaTypes.dockerManifest, 'Content-Length': String(manifest.length) }, body: manifest,
    });
    res.resume();
    const echoed = res.headers['docker-content-digest'];
    if (typeof echoed === 'string' && echoed !== digest) {
      throw new UnavailableError(`registry ${ref.registry} stored the manifest as ${echoed}, expected ${digest}`);
    }
    progress(status(`${tag}: digest: ${digest} size: ${manifest.length}`));
    progress({ progressDetail: {}, aux: { Tag: tag, Digest: digest, Size: manifest.length } });
    return { digest, size: manifest.length };
  }

  /** Uploads one blob unless present; returns how it got there. */
  private async pushBlob(s: RegistrySession, repo: string, b: PushBlob, mountFrom: string[],
    onBytes: (n: number) => void, signal?: AbortSignal): Promise<'exists' | 'pushed' | `mounted:${string}`> {
    const head = await s.request({ method: 'HEAD', path: `/v2/${repo}/blobs/${b.digest}`, expect: [200, 404], signal });
    head.resume();
    if (head.statusCode === 200) return 'exists';
    let location: string | undefined;
    for (const from of mountFrom.filter((r) => r !== repo)) {
      const res = await s.request({
        method: 'POST', path: `/v2/${repo}/blobs/uploads/?mount=${encodeURIComponent(b.digest)}&from=${encodeURIComponent(from)}`,
        expect: [201, 202], headers: { 'Content-Length': '0' }, signal,
      });
      res.resume();
      if (res.statusCode === 201) return `mounted:${from}`;
      location = res.headers.location; // the registry opened an ordinary upload instead
      break;
    }
    if (!location) {
      const res = await s.request({ method: 'POST', path: `/v2/${repo}/blobs/uploads/`, expect: [202], headers: { 'Content-Length': '0' }, signal });
      res.resume();
      location = res.headers.location;
    }
    if (!location) throw new UnavailableError(`registry ${s.host} opened an upload without a Location`);
    const base = s.endpoint.base;
    if (b.size <= this.deps.chunkSize) {
      let sent = 0;
      const res = await s.request({
        method: 'PUT', path: withQuery(location, base, { digest: b.digest }), expect: [201], signal,
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(b.size) },
        body: () => counted(b.open, (n) => { sent += n; onBytes(sent); }),
      });
      res.resume();
      return 'pushed';
    }
    // Chunked: PATCH consecutive ranges, following the Location each answer gives.
    let offset = 0;
    const src = await b.open();
    let pending: Buffer[] = [];
    let pendingLen = 0;
    const flush = async (): Promise<void> => {
      if (pendingLen === 0) return;
      const chunk = Buffer.concat(pending, pendingLen);
      pending = [];
      pendingLen = 0;
      const res = await s.request({
        method: 'PATCH', path: new URL(location!, base).toString(), expect: [202], signal,
        headers: {
          'Content-Type': 'application/octet-stream', 'Content-Length': String(chunk.length),
          'Content-Range': `${offset}-${offset + chunk.length - 1}`,
        },
        body: chunk,
      });
      await readBody(res, 64 * 1024);
      location = res.headers.location ?? location;
      offset += chunk.length;
      onBytes(offset);
    };
    for await (const c of src) {
      const buf = c as Buffer;
      pending.push(buf);
      pendingLen += buf.length;
      if (pendingLen >= this.deps.chunkSize) await flush();
    }
    await flush();
    if (offset !== b.size) throw new InvalidArgumentError(`layer ${b.digest}: expected ${b.size} bytes, the store gave ${offset}`);
    const res = await s.request({
      method: 'PUT', path: withQuery(location, base, { digest: b.digest }), expect: [201], signal,
      headers: { 'Content-Length': '0' },
    });
    res.resume();
    return 'pushed';
  }
}

/** A stream of `open()`'s bytes that reports each chunk's length. */
function counted(open: () => Promise<Readable>, onChunk: (n: number) => void): Readable {
  const out = new PassThrough();
  void open().then((src) => {
    src.on('data', (c: Buffer) => onChunk(c.length));
    src.on('error', (e) => out.destroy(e));
    src.pipe(out);
  }, (e: unknown) => out.destroy(e as Error));
  return out;
}
