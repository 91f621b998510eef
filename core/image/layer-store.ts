/**
 * The layer store: read-only layers by chain ID, each backed by one graph
 * driver layer (its random cache id), plus the read-write layers of
 * containers ("mounts"). Docker's layerdb layout under `<root>`:
 *
 *     sha256/<chain hex>/{diff, cache-id, parent, size}   committed layers
 *     mounts/<container id>/{mount-id, parent}             container layers
 *     tmp/                                                 work in progress
 *
 * A layer is written under tmp/ (cache-id first, then the driver layer, then
 * the metadata) and renamed into sha256/ only when complete: after a kill -9
 * no half layer is visible, and open() removes whatever tmp/ holds together
 * with its driver layer. Reference counts (images on their top layer, child
 * layers on their parent, mounts on their parent) are kept in memory and
 * rebuilt at open; `gc()` removes layers nobody references.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, promises as fsp, readFileSync, renameSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import type { Logger } from 'pino';
import { InvalidArgumentError, NotFoundError, AlreadyExistsError } from '../errors';
import { atomicWrite, atomicWriteAll, type AtomicFile } from '../fs/atomic-write';
import { allOrFirstError } from '../util/settle';
import type { Change, GraphDriverWithDiff } from '../drivers/graphdriver';
import { chainIdOf, checkDigest, digestHex, DigestStream } from './digest';
import { decompress } from './decompress';
import { ApplyPool } from './apply-pool';
import type { ContentStore } from './content-store';
import { setupInitLayer } from './init-layer';

/** A committed read-only layer. */
export interface LayerInfo {
  chainId: string;
  diffId: string;
  parent: string | null;
  cacheId: string;
  /** Bytes the layer's diff added (regular file content). */
  size: number;
  /** Digest of the layer blob kept in the content store (as received: compressed or not). */
  blob: string | null;
  /** Size of the uncompressed layer tar (whose sha256 is diffId). */
  tarSize: number;
}

/** A container's read-write layer. */
export interface MountInfo {
  containerId: string;
  mountId: string;
  /** Chain id of the image's top layer, or null for a container of an empty image. */
  parent: string | null;
  /** The image the container was created from. */
  imageId: string | null;
  /** Driver id of the init layer under the read-write layer (null for layers made before init layers). */
  initId: string | null;
}

/** Where a layer tar comes from, for applyChain. */
export interface LayerSource {
  /** Opens the layer tar (gzip, zstd or plain); called once, when the layer is applied. */
  open(): Readable;
  /**
   * Digest of the same bytes as a verified blob in the content store (by the
   * time the stream ends): kept as the layer's blob instead of a copy.
   */
  blob?: string;
  /** Called when this layer's content is applied (its metadata may still wait for the layers below). */
  onApplied?(): void;
  /** Compressed size when known (a pull's descriptor): big layers are extracted on worker threads. */
  size?: number;
}

/** A layer being written: its work dir under tmp/ and its driver layer. */
interface PreparedLayer { cacheId: string; work: string }

/** What applying a layer tar found. */
interface AppliedLayer { diffId: string; size: number; blob: string; tarSize: number }

/** A small metadata file's trimmed text, null when absent (read inline: a pool round trip costs more than the read). */
async function readText(file: string): Promise<string | null> {
  try { return readFileSync(file, 'utf8').trim(); } catch { return null; }
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, 'r');
  try { await fh.sync(); } finally { await fh.close(); }
}

const randomId = (): string => randomBytes(32).toString('hex');

/** Prefix of a container layer's directory in tmp/ while createMount makes it (then `<prefix><mount id>`). */
const MOUNT_TMP = 'mount-';

/** Layers applied at once by a parallel applyChain. */
const MAX_PARALLEL_APPLIES = 4;

/**
 * A chain apply whose layers add up to this many known (compressed) bytes
 * extracts on worker threads (apply-pool.ts): a worker costs ~40 ms to start,
 * nothing for a small image, and frees the main thread for the downloads of
 * a big one.
 */
const WORKER_MIN_BYTES = 8 << 20;

/** Worker threads for a chain apply with `layers` layers to extract (BERTH_APPLY_WORKERS overrides; 0: none). */
function applyWorkers(layers: number): number {
  const env = process.env.BERTH_APPLY_WORKERS;
  if (env !== undefined && env !== '') return Math.min(layers, Number(env) || 0);
  return Math.min(layers, Math.max(1, os.availableParallelism() - 1));
}

/** Driver id of the init layer shared by the containers of the layer with this cache id. */
const sharedInitId = (cacheId: string): string => `${cacheId}-init`;

/** Layers by chain id and container layers (see file comment); open with LayerStore.open. */
export class LayerStore {
  private readonly layers = new Map<string, LayerInfo>();
  private readonly mounts = new Map<string, MountInfo>();
  private readonly refs = new Map<string, number>();
  /** Containers whose layer is being created. */
  private readonly pendingMounts = new Set<string>();
  /** The shared init layer of an image layer (chain id → driver id), made at its first container. */
  private readonly initLayers = new Map<string, Promise<string>>();
  /** Serialises registrations and removals so refcounts stay consistent. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly root: string, readonly driver: GraphDriverWithDiff,
    private readonly content: ContentStore, private readonly log: Logger) {}

  /** Opens the store, removing unfinished work left by a crash, and rebuilds child/mount references. */
  static async open(root: string, driver: GraphDriverWithDiff, content: ContentStore, log: Logger): Promise<LayerStore> {
    for (const d of ['sha256', 'mounts', 'tmp']) await fsp.mkdir(path.join(root, d), { recursive: true, mode: 0o700 });
    const s = new LayerStore(root, driver, content, log);
    await s.cleanTmp();
    for (const hex of await fsp.readdir(path.join(root, 'sha256'))) {
      const dir = path.join(root, 'sha256', hex);
      const diffId = await readText(path.join(dir, 'diff'));
      const cacheId = await readText(path.join(dir, 'cache-id'));
      if (!diffId || !cacheId) { log.warn({ layer: hex }, 'layer metadata incomplete; ignoring it'); continue; }
      const parent = (await readText(path.join(dir, 'parent'))) || null;
      const size = Number(await readText(path.join(dir, 'size'))) || 0;
      const blob = (await readText(path.join(dir, 'blob'))) || null;
      const tarSize = Number(await readText(path.join(dir, 'tar-size'))) || 0;
      s.layers.set(`sha256:${hex}`, { chainId: `sha256:${hex}`, diffId, parent, cacheId, size, blob, tarSize });
    }
    for (const cid of await fsp.readdir(path.join(root, 'mounts'))) {
      const dir = path.join(root, 'mounts', cid);
      const mountId = await readText(path.join(dir, 'mount-id'));
      if (!mountId) continue;
      s.mounts.set(cid, {
        containerId: cid, mountId,
        parent: (await readText(path.join(dir, 'parent'))) || null,
        imageId: (await readText(path.join(dir, 'image'))) || null,
        initId: (await readText(path.join(dir, 'init-id'))) || null,
      });
    }
    for (const l of s.layers.values()) if (l.parent) s.bump(l.parent, 1);
    for (const m of s.mounts.values()) if (m.parent) s.bump(m.parent, 1);
    return s;
  }

  private async cleanTmp(): Promise<void> {
    const tmp = path.join(this.root, 'tmp');
    for (const n of await fsp.readdir(tmp)) {
      const dir = path.join(tmp, n);
      // a container layer's mount id is also its directory's name (createMount makes the driver's layers before it is written)
      const named = n.startsWith(MOUNT_TMP) && /^[0-9a-f]{64}$/.test(n.slice(MOUNT_TMP.length)) ? n.slice(MOUNT_TMP.length) : null;
      const mountId = (await readText(path.join(dir, 'mount-id'))) || named;
      const ids: Array<[string, string | null]> = [
        ['cache-id', await readText(path.join(dir, 'cache-id'))],
        ['mount-id', mountId],
        ['init-id', (await readText(path.join(dir, 'init-id'))) || (named ? `${named}-init` : null)],
      ];
      for (const [f, id] of ids) {
        if (!id) continue;
        // a shared init layer (see sharedInit) belongs to its image layer, not to the container
        if (f === 'init-id' && id !== `${mountId}-init`) continue;
        this.log.info({ cacheId: id }, 'removing a layer left unfinished by a crash');
        if (f === 'cache-id') await this.driver.remove(sharedInitId(id)).catch(() => undefined);
        await this.driver.remove(id).catch((err: Error) => this.log.warn({ err: err.message }, 'removing leftover layer failed'));
      }
      await fsp.rm(dir, { recursive: true, force: true });
    }
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private bump(chainId: string, n: number): number {
    const v = (this.refs.get(chainId) ?? 0) + n;
    this.refs.set(chainId, v);
    return v;
  }

  /** The layer of a chain id, or undefined. */
  get(chainId: string): LayerInfo | undefined {
    return this.layers.get(chainId);
  }

  /** All committed layers. */
  list(): LayerInfo[] {
    return [...this.layers.values()];
  }

  /** References held on a layer (images, children, mounts). */
  refCount(chainId: string): number {
    return this.refs.get(chainId) ?? 0;
  }

  /** Takes a reference on a layer (an image using it as top layer). NotFoundError when unknown. */
  acquire(chainId: string): void {
    if (!this.layers.has(chainId)) throw new NotFoundError(`layer ${chainId} not found`);
    this.bump(chainId, 1);
  }

  /**
   * Drops a reference; a layer reaching zero is removed, and its parent
   * released in turn. Resolves with the chain ids removed, top first.
   */
  release(chainId: string): Promise<string[]> {
    return this.serial(() => this.releaseNow(chainId));
  }

  private async releaseNow(chainId: string): Promise<string[]> {
    const removed: string[] = [];
    let cur: string | null = chainId;
    while (cur) {
      const info = this.layers.get(cur);
      if (!info) break;
      if (this.bump(cur, -1) > 0) break;
      await this.removeLayer(info);
      removed.push(info.chainId);
      cur = info.parent;
    }
    return removed;
  }

  private async removeLayer(info: LayerInfo): Promise<void> {
    this.layers.delete(info.chainId);
    this.refs.delete(info.chainId);
    this.initLayers.delete(info.chainId);
    const dir = path.join(this.root, 'sha256', digestHex(info.chainId));
    const trash = path.join(this.root, 'tmp', `rm-${randomBytes(6).toString('hex')}`);
    // Move the metadata to tmp/ first: a crash from here on is finished by cleanTmp().
    await fsp.rename(dir, trash);
    await this.driver.remove(sharedInitId(info.cacheId));
    await this.driver.remove(info.cacheId);
    await fsp.rm(trash, { recursive: true, force: true });
    if (info.blob && ![...this.layers.values()].some((l) => l.blob === info.blob)) await this.content.remove(info.blob);
    this.log.debug({ layer: info.chainId }, 'layer removed');
  }

  /** Removes every layer no image, child or mount references (after images took theirs at startup). */
  gc(): Promise<number> {
    return this.serial(async () => {
      let removed = 0;
      for (;;) {
        const orphan = [...this.layers.values()].find((l) => this.refCount(l.chainId) === 0);
        if (!orphan) return removed;
        this.bump(orphan.chainId, 1);
        await this.releaseNow(orphan.chainId);
        removed++;
      }
    });
  }

  /** Chain ids a registration is creating (claimed before their metadata moves into sha256/), by claim. */
  private readonly creating = new Map<string, { owner: symbol; done: Promise<void> }>();

  /**
   * Applies a layer tar (gzip, zstd or plain) on top of `parent` and returns
   * the layer with one reference held for the caller. The diff_id is computed
   * while the tar streams; with `expectedDiffId`, a mismatch is an
   * InvalidArgumentError and nothing is kept. An existing identical layer is
   * reused (the new copy discarded).
   */
  async register(tar: Readable, parent: string | null, expectedDiffId?: string): Promise<LayerInfo> {
    if (expectedDiffId) checkDigest(expectedDiffId, 'diff_id');
    const parentInfo = parent ? this.layers.get(parent) : null;
    if (parent && !parentInfo) throw new NotFoundError(`parent layer ${parent} not found`);
    // The apply runs outside the store's queue (a big pull must not hold up
    // container layers); the parent is held so it cannot go meanwhile.
    if (parent) this.bump(parent, 1);
    let prepared: PreparedLayer | null = null;
    let keep = false;
    try {
      prepared = await this.prepare(parentInfo ? parentInfo.cacheId : null);
      const applied = await this.applyPrepared(prepared, parentInfo ? parentInfo.cacheId : null, { open: () => tar }, expectedDiffId);
      await this.writeMeta(prepared, applied, parent);
      const chainId = chainIdOf(parent, applied.diffId);
      for (;;) {
        const r = await this.serial(async () => this.commit(prepared as PreparedLayer, chainId, applied, parent, null));
        if (!('wait' in r)) { keep = r.kept; return r.info; }
        await r.wait;
      }
    } finally {
      if (prepared && !keep) await this.discard(prepared);
      if (parent) await this.release(parent);
    }
  }

  /**
   * Applies the layers of a chain (`diffIds` from the base up), reusing the
   * leading ones already present, and resolves with their chain ids, each
   * held once for the caller (`release` them when done). Each source is
   * opened when its layer is applied; with `parallel` (drivers whose layers
   * are independent directories, see GraphDiffer.independentDiffs) all of
   * them are applied at once and only the metadata commits wait, in order.
   * A source with `blob` names its verified blob in the content store: it is
   * kept as the layer's blob as it is (not copied). Every diff_id is verified;
   * on any failure nothing new stays. Two chains applying the same layer do
   * not both make it: the second waits for the first.
   */
  async applyChain(diffIds: string[], sources: LayerSource[], parallel: boolean): Promise<string[]> {
    if (diffIds.length !== sources.length) throw new InvalidArgumentError(`${diffIds.length} diff_ids but ${sources.length} layers`);
    const chain: string[] = [];
    for (const d of diffIds) chain.push(chainIdOf(chain.length ? chain[chain.length - 1] : null, checkDigest(d, 'diff_id')));
    // Wait until no other registration is making a layer of this chain, then claim the missing ones.
    let have = 0;
    for (;;) {
      have = 0;
      while (have < chain.length && this.layers.get(chain[have])) have++;
      const busy = chain.slice(have).map((c) => this.creating.get(c)).find(Boolean);
      if (!busy) break;
      await busy.done;
    }
    const held: string[] = [];
    for (let i = 0; i < have; i++) { this.acquire(chain[i]); held.push(chain[i]); }
    if (have === chain.length) return held;
    const owner = Symbol('applyChain');
    let finish!: () => void;
    const done = new Promise<void>((r) => { finish = r; });
    for (let i = have; i < chain.length; i++) this.creating.set(chain[i], { owner, done });
    const prepared: Array<PreparedLayer | null> = [];
    const bytes = sources.slice(have).reduce((n, src) => n + (src.size ?? 0), 0);
    const workers = this.driver.extractTarget && bytes >= WORKER_MIN_BYTES ? applyWorkers(chain.length - have) : 0;
    const pool = workers > 0 ? new ApplyPool(workers) : null;
    /** The parallel path's driver layer creations (settled before anything is discarded). */
    const created: Array<Promise<void>> = [];
    try {
      const commitAt = async (i: number, p: PreparedLayer, applied: AppliedLayer): Promise<void> => {
        const parent = i ? chain[i - 1] : null;
        if (applied.diffId !== diffIds[i]) throw new InvalidArgumentError(`layer diff_id mismatch: expected ${diffIds[i]}, got ${applied.diffId}`);
        await this.writeMeta(p, applied, parent);
        const r = await this.serial(async () => this.commit(p, chain[i], applied, parent, owner));
        if ('wait' in r || !r.kept) throw new InvalidArgumentError(`layer ${chain[i]} was registered concurrently`);
        prepared[i - have] = null;
        held.push(chain[i]);
      };
      if (!parallel) {
        for (let i = have; i < chain.length; i++) {
          const parentCache = i ? (this.layers.get(chain[i - 1]) as LayerInfo).cacheId : null;
          const p = await this.prepare(parentCache);
          prepared.push(p);
          const applied = await this.applyPrepared(p, parentCache, sources[i], diffIds[i], pool);
          sources[i].onApplied?.();
          await commitAt(i, p, applied);
        }
        return held;
      }
      // The layers' work dirs and cache-id files at once (each made durable:
      // sequentially, their fsyncs behind the downloads' writes took ~200 ms
      // before the first byte was extracted); then the driver layers in
      // order (each names its parent's), each layer's apply starting as
      // soon as its own is there.
      const works = await Promise.allSettled(chain.slice(have).map(() => this.prepareWork()));
      for (const w of works) if (w.status === 'fulfilled') prepared.push(w.value);
      const broken = works.find((w): w is PromiseRejectedResult => w.status === 'rejected');
      if (broken) throw broken.reason;
      const base = have ? (this.layers.get(chain[have - 1]) as LayerInfo).cacheId : null;
      const parents = prepared.map((p, k) => (k ? (prepared[k - 1] as PreparedLayer).cacheId : base));
      for (const [k, p] of prepared.entries()) {
        created.push((k ? created[k - 1] : Promise.resolve()).then(() => this.driver.create((p as PreparedLayer).cacheId, parents[k])));
        created[k].catch(() => undefined); // awaited by the layer's apply
      }
      const streams: Readable[] = [];
      const track = (s: LayerSource): LayerSource => ({ ...s, open: () => { const r = s.open(); streams.push(r); return r; } });
      let failed: unknown;
      // At most MAX_PARALLEL_APPLIES at once, bottom-up (an image of 100 layers is not 100 extractors).
      let slots = MAX_PARALLEL_APPLIES;
      const queue: Array<() => void> = [];
      const results = await Promise.allSettled(prepared.map(async (p, k) => {
        if (slots > 0) slots--; else await new Promise<void>((r) => queue.push(r));
        try {
          if (failed !== undefined) throw failed;
          await created[k];
          const applied = await this.applyPrepared(p as PreparedLayer, parents[k], track(sources[have + k]), diffIds[have + k], pool);
          sources[have + k].onApplied?.();
          return applied;
        } catch (err) {
          // One layer failed: stop the others instead of letting them run to the end.
          if (failed === undefined) { failed = err; for (const s of streams) s.destroy(); }
          throw err;
        } finally {
          const next = queue.shift();
          if (next) next(); else slots++;
        }
      }));
      if (failed !== undefined) throw failed;
      for (let i = have; i < chain.length; i++) {
        await commitAt(i, prepared[i - have] as PreparedLayer, (results[i - have] as PromiseFulfilledResult<AppliedLayer>).value);
      }
      return held;
    } catch (err) {
      await Promise.allSettled(created);
      for (const p of prepared.reverse()) if (p) await this.discard(p);
      for (const c of [...held].reverse()) await this.release(c);
      throw err;
    } finally {
      await pool?.close();
      for (let i = have; i < chain.length; i++) if (this.creating.get(chain[i])?.owner === owner) this.creating.delete(chain[i]);
      finish();
    }
  }

  /** Starts a layer: its work dir in tmp/ (cache-id first, for crash cleanup) and its empty driver layer. */
  private async prepare(parentCacheId: string | null): Promise<PreparedLayer> {
    const p = await this.prepareWork();
    try {
      await this.driver.create(p.cacheId, parentCacheId);
    } catch (err) {
      await this.discard(p);
      throw err;
    }
    return p;
  }

  /** prepare's first half: a new cache id and its work dir in tmp/ holding `cache-id` (durable), no driver layer yet. */
  private async prepareWork(): Promise<PreparedLayer> {
    const cacheId = randomId();
    const work = path.join(this.root, 'tmp', `write-${cacheId.slice(0, 16)}`);
    await fsp.mkdir(work, { mode: 0o700 });
    const p = { cacheId, work };
    try {
      await atomicWrite(path.join(work, 'cache-id'), cacheId);
    } catch (err) {
      await this.discard(p);
      throw err;
    }
    return p;
  }

  /** Removes a layer that will not be committed. */
  private async discard(p: PreparedLayer): Promise<void> {
    await this.driver.remove(p.cacheId).catch(() => undefined);
    await fsp.rm(p.work, { recursive: true, force: true });
  }

  /**
   * Streams a layer tar into a prepared driver layer, computing the diff_id
   * (and checking it against `expectedDiffId`). Without `src.blob`, the tar
   * is also kept in the content store as received (for save and push).
   */
  private async applyPrepared(p: PreparedLayer, parentCacheId: string | null, src: LayerSource,
    expectedDiffId?: string, pool?: ApplyPool | null): Promise<AppliedLayer> {
    const tar = src.open();
    const hasher = new DigestStream();
    // Errors surface through applyDiff (or the source's own promise); once
    // the extractor gave up, a late error on these streams must not go unheard.
    const ignore = (): void => undefined;
    tar.on('error', ignore);
    hasher.on('error', ignore);
    let blobP: Promise<string> | null = null;
    let input: Readable = tar;
    let toContent: PassThrough | null = null;
    if (!src.blob) {
      toContent = new PassThrough({ highWaterMark: 1 << 20 });
      const toApply = new PassThrough({ highWaterMark: 1 << 20 });
      tar.on('error', (e) => { toContent?.destroy(e); toApply.destroy(e); });
      tar.pipe(toContent);
      tar.pipe(toApply);
      blobP = this.content.put(toContent);
      input = toApply;
    }
    let size: number;
    let diffId: string;
    let tarSize: number;
    try {
      const target = pool && this.driver.extractTarget ? await this.driver.extractTarget(p.cacheId, parentCacheId) : null;
      if (pool && target) {
        // decompress, hash and extract on a worker thread (the same code as below)
        // a source with a blob is read by the extraction alone: its chunks can move to the worker
        ({ size, diffId, tarSize } = await pool.apply(input, target.root, { whiteouts: target.whiteouts }, { transfer: input === tar }));
      } else {
        const plain = decompress(input);
        plain.on('error', (e) => hasher.destroy(e));
        size = await this.driver.applyDiff(p.cacheId, parentCacheId, plain.pipe(hasher));
        diffId = hasher.digest();
        tarSize = hasher.bytes;
      }
    } catch (err) {
      toContent?.destroy();
      await blobP?.catch(() => undefined);
      throw err;
    }
    const blob = blobP ? await blobP : src.blob as string;
    if (expectedDiffId && diffId !== expectedDiffId) {
      throw new InvalidArgumentError(`layer diff_id mismatch: expected ${expectedDiffId}, got ${diffId}`);
    }
    return { diffId, size, blob, tarSize };
  }

  /** Writes a prepared layer's metadata files, made durable together (their dir is renamed into place only after). */
  private async writeMeta(p: PreparedLayer, a: AppliedLayer, parent: string | null): Promise<void> {
    const files: Array<[string, string]> = [['diff', a.diffId], ['size', String(a.size)], ['blob', a.blob], ['tar-size', String(a.tarSize)]];
    if (parent) files.push(['parent', parent]);
    await Promise.all(files.map(async ([name, value]) => {
      const fh = await fsp.open(path.join(p.work, name), 'w', 0o600);
      try { await fh.writeFile(value); await fh.sync(); } finally { await fh.close(); }
    }));
  }

  /**
   * (In the queue.) Makes a prepared layer visible under `chainId`, or hands
   * out the existing one (`kept: false`: the caller discards its copy). When
   * another registration (not `owner`) has claimed `chainId`, says to wait.
   */
  private async commit(p: PreparedLayer, chainId: string, a: AppliedLayer, parent: string | null, owner: symbol | null):
  Promise<{ info: LayerInfo; kept: boolean } | { wait: Promise<void> }> {
    const existing = this.layers.get(chainId);
    if (existing) {
      this.bump(chainId, 1);
      return { info: existing, kept: false };
    }
    const claim = this.creating.get(chainId);
    if (claim && claim.owner !== owner) return { wait: claim.done };
    let unclaim: (() => void) | null = null;
    if (!claim) { // claimed while it moves into place, so a chain apply starting meanwhile waits for it
      let settle!: () => void;
      this.creating.set(chainId, { owner: Symbol('register'), done: new Promise<void>((r) => { settle = r; }) });
      unclaim = () => { this.creating.delete(chainId); settle(); };
    }
    try {
      await fsp.rename(p.work, path.join(this.root, 'sha256', digestHex(chainId)));
      await fsyncDir(path.join(this.root, 'sha256'));
    } finally { unclaim?.(); }
    const info: LayerInfo = { chainId, diffId: a.diffId, parent, cacheId: p.cacheId, size: a.size, blob: a.blob, tarSize: a.tarSize };
    this.layers.set(chainId, info);
    if (parent) this.bump(parent, 1);
    this.bump(chainId, 1);
    return { info, kept: true };
  }

  /** Total size of a chain: its layer plus all parents. */
  chainSize(chainId: string | null): number {
    let size = 0;
    for (let cur = chainId; cur; cur = this.layers.get(cur)?.parent ?? null) size += this.layers.get(cur)?.size ?? 0;
    return size;
  }

  /**
   * The layer tar exactly as applied (its sha256 is the diff_id), from the
   * kept blob; from the driver's diff when no blob was kept.
   */
  async layerTar(chainId: string): Promise<Readable> {
    const info = this.layers.get(chainId);
    if (!info) throw new NotFoundError(`layer ${chainId} not found`);
    if (info.blob && await this.content.has(info.blob)) return decompress(await this.content.stream(info.blob));
    const parent = info.parent ? this.layers.get(info.parent) : null;
    return this.driver.diff(info.cacheId, parent ? parent.cacheId : null);
  }

  // ---- container (read-write) layers -------------------------------------

  /** Ids of containers whose layer was created from image `imageId`. */
  mountsOf(imageId: string): string[] {
    return [...this.mounts.values()].filter((m) => m.imageId === imageId).map((m) => m.containerId);
  }

  /** The container layer of `containerId`, or undefined. */
  getMount(containerId: string): MountInfo | undefined {
    return this.mounts.get(containerId);
  }

  /** Creates the read-write layer of a container on `parent` (AlreadyExistsError if it has one). */
  async createMount(containerId: string, parent: string | null, imageId: string | null = null): Promise<MountInfo> {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(containerId)) throw new InvalidArgumentError(`invalid container id "${containerId}"`);
    if (this.mounts.has(containerId) || this.pendingMounts.has(containerId)) {
      throw new AlreadyExistsError(`container ${containerId} already has a layer`);
    }
    const parentInfo = parent ? this.layers.get(parent) : null;
    if (parent && !parentInfo) throw new NotFoundError(`layer ${parent} not found`);
    this.pendingMounts.add(containerId);
    if (parent) this.bump(parent, 1); // becomes the mount's reference on success
    const mountId = randomId();
    // Containers of one image share its init layer (the same empty mount points for each); an empty image gets its own.
    const ownInit = !parentInfo;
    const initId = parentInfo ? sharedInitId(parentInfo.cacheId) : `${mountId}-init`;
    // Named for the mount id: a crash from here on is cleaned up by the name
    // (cleanTmp), so the driver's layers are made while the metadata is written.
    const work = path.join(this.root, 'tmp', `${MOUNT_TMP}${mountId}`);
    let ok = false;
    try {
      mkdirSync(work, { mode: 0o700 });
      // each file fsynced before its rename; the directory is fsynced by nobody: it is renamed into mounts/ as a whole
      const meta = (name: string, value: string | null): AtomicFile[] => (value ? [{ file: `${work}/${name}`, data: value, sync: true }] : []);
      // all settled before a failure's undo below, so no layer is made after its removal
      await allOrFirstError([
        atomicWriteAll([...meta('mount-id', mountId), ...meta('init-id', initId), ...meta('parent', parent), ...meta('image', imageId)]),
        (async () => {
          if (parentInfo) {
            await this.sharedInit(parentInfo);
          } else {
            await this.driver.create(initId, null);
            const initRoot = await this.driver.get(initId);
            try { await setupInitLayer(initRoot); } finally { await this.driver.put(initId); }
          }
          await this.driver.createReadWrite(mountId, initId);
        })(),
      ]);
      renameSync(work, path.join(this.root, 'mounts', containerId));
      ok = true;
      const m: MountInfo = { containerId, mountId, parent, imageId, initId };
      this.mounts.set(containerId, m);
      return m;
    } finally {
      this.pendingMounts.delete(containerId);
      if (!ok) {
        await this.driver.remove(mountId).catch(() => undefined);
        if (ownInit) await this.driver.remove(initId).catch(() => undefined);
        await fsp.rm(work, { recursive: true, force: true });
        if (parent) await this.release(parent);
      }
    }
  }

  /**
   * The init layer every container of image layer `parent` is created on,
   * made (and set up) at the first one. Its driver id is `<cache id>-init`;
   * `init-id` in the layer's metadata says it is complete (a crash before
   * leaves a half one, made again here). It goes with the image layer.
   */
  private sharedInit(parent: LayerInfo): Promise<string> {
    let p = this.initLayers.get(parent.chainId);
    if (!p) {
      p = (async () => {
        const id = sharedInitId(parent.cacheId);
        const marker = path.join(this.root, 'sha256', digestHex(parent.chainId), 'init-id');
        if ((await readText(marker)) === id && await this.driver.exists(id)) return id;
        await this.driver.remove(id);
        await this.driver.create(id, parent.cacheId);
        const root = await this.driver.get(id);
        try { await setupInitLayer(root); } finally { await this.driver.put(id); }
        await atomicWrite(marker, id);
        return id;
      })();
      this.initLayers.set(parent.chainId, p);
      p.catch(() => { if (this.initLayers.get(parent.chainId) === p) this.initLayers.delete(parent.chainId); });
    }
    return p;
  }

  private mountOf(containerId: string): MountInfo {
    const m = this.mounts.get(containerId);
    if (!m) throw new NotFoundError(`container ${containerId} has no layer`);
    return m;
  }

  /** Mounts the container's layer and returns its root (reference counted by the driver). */
  async mount(containerId: string): Promise<string> {
    return this.driver.get(this.mountOf(containerId).mountId);
  }

  /** Releases one mount reference. */
  async unmount(containerId: string): Promise<void> {
    await this.driver.put(this.mountOf(containerId).mountId);
  }

  /** Removes the container's layer (no-op when it has none) and releases its image layer. */
  async removeMount(containerId: string): Promise<void> {
    await (await this.detachMount(containerId)).deleted;
  }

  /**
   * Forgets the container's layer at once (its metadata moves to tmp/, so a
   * crash from then on is finished by open()) and resolves; `deleted`
   * settles once the driver layers are deleted and the image layer released.
   * No-op when the container has no layer.
   */
  detachMount(containerId: string): Promise<{ deleted: Promise<void> }> {
    return this.serial(async () => {
      const m = this.mounts.get(containerId);
      if (!m) return { deleted: Promise.resolve() };
      const trash = path.join(this.root, 'tmp', `rm-${randomBytes(6).toString('hex')}`);
      await fsp.rename(path.join(this.root, 'mounts', containerId), trash);
      this.mounts.delete(containerId);
      const deleted = this.serial(async () => {
        await this.driver.remove(m.mountId);
        if (m.initId === `${m.mountId}-init`) await this.driver.remove(m.initId);
        await fsp.rm(trash, { recursive: true, force: true });
        if (m.parent) await this.releaseNow(m.parent);
      });
      return { deleted };
    });
  }

  /** Driver id the container layer is diffed against: its init layer, else the image's top layer. */
  private mountBase(m: MountInfo): string | null {
    if (m.initId) return m.initId;
    const parent = m.parent ? this.layers.get(m.parent) : null;
    return parent ? parent.cacheId : null;
  }

  /** Changes of the container layer against its image (init-layer mount points excluded). */
  async mountChanges(containerId: string): Promise<Change[]> {
    const m = this.mountOf(containerId);
    return this.driver.changes(m.mountId, this.mountBase(m));
  }

  /** The container layer's changes as a layer tar. */
  async mountDiff(containerId: string): Promise<Readable> {
    const m = this.mountOf(containerId);
    return this.driver.diff(m.mountId, this.mountBase(m));
  }

  /** Bytes the container layer adds. */
  async mountSize(containerId: string): Promise<number> {
    const m = this.mountOf(containerId);
    return this.driver.diffSize(m.mountId, this.mountBase(m));
  }

  /** Driver metadata of the container layer (GraphDriver.Data). */
  async mountMetadata(containerId: string): Promise<Record<string, string>> {
    return this.driver.metadata(this.mountOf(containerId).mountId);
  }
}
