/**
 * ImageService: the graph's one entry point for the rest of berth — names →
 * images, images → layers, container read-write layers, commit, import, and
 * the ingest side the registry plugin uses. Built by `setupImages` and
 * registered under `Tokens.ImageService` and `kernel:images`.
 *
 * Layout under `<data-root>/image/`: `content/` (blobs by digest, shared by
 * drivers) and `<driver>/{layerdb,imagedb,repositories.json}` (Docker's).
 */
import 'reflect-metadata';
import { createReadStream, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { inject, injectable } from 'tsyringe';
import { ConflictError, InvalidArgumentError, NotFoundError } from '../errors';
import type { Change, GraphDriverWithDiff } from '../drivers/graphdriver';
import { type Kernel, Tokens } from '../daemon/kernel';
import { applyChanges } from './changes';
import { ContentStore } from './content-store';
import { chainIds, isDigest, sha256Digest } from './digest';
import { configBytes, EMPTY_LAYER_DIFF_ID, hostArchitecture, parseImageConfig, type ImageRunConfig, type OciImageConfigFile } from './image-config';
import { ImageStore, type StoredImage } from './image-store';
import type { CommitOptions, ImageDeleteResponseItem, ImagePruneResponse, ImageRecord } from './image-types';
import { LayerStore, type LayerSource } from './layer-store';
import { familiarString, parseReference, referenceString, withDefaultTag, type Reference } from './reference';
import { ReferenceStore } from './reference-store';
import { packTree } from './tar-pack';
import { walkTree } from './tree-walk';

/** Given an image id, the ids of containers using it (set by the container service). */
export type UsageCheck = (imageId: string) => string[];

const shortId = (id: string): string => id.replace(/^sha256:/, '').slice(0, 12);

/** dockerd's not-found error for an image reference: a name without tag or digest is shown with `:latest`. */
function noSuchImage(ref: string): NotFoundError {
  let shown = ref;
  try {
    const p = parseReference(ref);
    if (!p.digest && !/^(sha256:)?[0-9a-f]{12,64}$/.test(ref)) shown = familiarString(withDefaultTag(p));
  } catch { /* not a reference: shown as given */ }
  return new NotFoundError(`No such image: ${shown}`);
}

@injectable()
export class ImageService {
  /** Blobs by digest; also the registry plugin's download area (`ingest`). */
  content!: ContentStore;
  layers!: LayerStore;
  images!: ImageStore;
  refs!: ReferenceStore;
  private usageCheck: UsageCheck = () => [];
  private containerResolver: (nameOrId: string) => string = (x) => x;
  private containerConfig: (containerId: string) => Partial<ImageRunConfig> | undefined = () => undefined;

  constructor(
    @inject(Tokens.Kernel) private readonly kernel: Kernel,
    @inject(Tokens.GraphDriver) readonly driver: GraphDriverWithDiff,
  ) {}

  /** Opens the stores, cleans up after a crash (unfinished layers, unreferenced layers). */
  async init(): Promise<void> {
    const root = path.join(this.kernel.config['data-root'], 'image');
    const home = path.join(root, this.driver.name);
    // Staging dirs of loads interrupted by a crash.
    await fsp.rm(path.join(root, 'tmp'), { recursive: true, force: true });
    this.content = await ContentStore.open(path.join(root, 'content'));
    this.layers = await LayerStore.open(path.join(home, 'layerdb'), this.driver, this.content, this.kernel.log);
    this.images = await ImageStore.open(path.join(home, 'imagedb'), this.layers, this.kernel.log);
    this.refs = await ReferenceStore.open(home);
    const removed = await this.layers.gc();
    if (removed) this.kernel.log.info({ removed }, 'removed layers no image or container uses (left by an interrupted pull, load or commit)');
  }

  /** The graph driver's name (`overlay2`, `vfs`). */
  get driverName(): string {
    return this.driver.name;
  }

  /** Sets the check that lists the containers using an image (409 on remove). */
  setUsageCheck(fn: UsageCheck): void {
    this.usageCheck = fn;
  }

  /** Containers using an image: those the usage check names plus those with a layer on it. */
  private usage(id: string): string[] {
    return [...new Set([...this.usageCheck(id), ...this.layers.mountsOf(id)])];
  }

  /** Sets how `image.commit` turns a container name or short id into the full id. */
  setContainerResolver(fn: (nameOrId: string) => string): void {
    this.containerResolver = fn;
  }

  /**
   * Sets where `commit` reads a container's current config (Cmd, Env, ... as
   * the container runs), which becomes the new image's config before the
   * caller's `changes` — as `docker commit` does. Without it the image's
   * config is the base.
   */
  setContainerConfigSource(fn: (containerId: string) => Partial<ImageRunConfig> | undefined): void {
    this.containerConfig = fn;
  }

  /** Container id for a name/short id, via the resolver the container service set. */
  resolveContainer(nameOrId: string): string {
    return this.containerResolver(nameOrId);
  }

  // ---- lookup -------------------------------------------------------------

  private stored(id: string): StoredImage {
    const img = this.images.get(id);
    if (!img) throw new NotFoundError(`No such image: ${id}`);
    return img;
  }

  /** The image id `ref` names, or undefined: full/short id, name[:tag], name@digest. */
  lookupId(ref: string): string | undefined {
    if (isDigest(ref)) return this.images.get(ref) ? ref : undefined;
    if (/^[a-f0-9]{64}$/.test(ref)) return this.images.get(`sha256:${ref}`) ? `sha256:${ref}` : undefined;
    let parsed: Reference | null = null;
    try { parsed = withDefaultTag(parseReference(ref)); } catch { /* maybe a short id */ }
    if (parsed) {
      const id = this.refs.get(parsed);
      if (id && this.images.get(id)) return id;
    }
    const m = /^(?:sha256:)?([a-f0-9]{1,63})$/.exec(ref);
    if (m) {
      const hits = this.images.list().filter((i) => i.id.slice(7).startsWith(m[1]));
      if (hits.length === 1) return hits[0].id;
      if (hits.length > 1) throw new InvalidArgumentError(`short image id ${ref} is ambiguous (${hits.length} images)`);
    }
    return undefined;
  }

  /** The image `ref` names; NotFoundError `No such image: <ref>` (a bare name gets `:latest`, as dockerd says it). */
  async resolve(ref: string): Promise<ImageRecord> {
    const id = this.lookupId(ref);
    if (!id) throw noSuchImage(ref);
    return this.record(id);
  }

  /** The ImageRecord of an image id. */
  record(id: string): ImageRecord {
    const img = this.stored(id);
    const { tags, digests } = this.namesOf(id);
    return {
      id,
      config: img.config,
      repoTags: tags,
      repoDigests: digests,
      topLayer: img.topChain ? this.layers.get(img.topChain)?.cacheId ?? null : null,
      size: this.layers.chainSize(img.topChain),
    };
  }

  /** Familiar tags and digests pointing at an image. */
  namesOf(id: string): { tags: string[]; digests: string[] } {
    const tags: string[] = [];
    const digests: string[] = [];
    for (const r of this.refs.refsOf(id)) {
      const p = parseReference(r);
      (p.digest ? digests : tags).push(familiarString(p));
    }
    return { tags, digests };
  }

  /** Containers using an image (by the usage check). */
  usedBy(id: string): string[] {
    return this.usage(id);
  }

  // ---- naming ---------------------------------------------------------------

  /** Tags image `source` as `repo[:tag]` (tag defaults to latest; moves an existing tag). */
  async tag(source: string, repo: string, tag?: string, opts: { announce?: boolean } = {}): Promise<void> {
    const id = (await this.resolve(source)).id;
    const ref = withDefaultTag(parseReference(tag ? `${repo}:${tag}` : repo));
    if (ref.digest) throw new InvalidArgumentError(`refusing to create a tag with a digest reference: ${repo}`);
    await this.refs.add(ref, id, true);
    await this.images.touch(id);
    if (opts.announce !== false) await this.kernel.hooks.image.tagged.promise(familiarString(ref), id);
  }

  /**
   * Removes a name or an image, Docker's way: by name it untags, and deletes
   * the image when that was its last name; by id it deletes the image with all
   * its names. Conflicts (409): the image is used by a container (unless
   * `force`), it has several names and was named by id (unless `force`), it
   * has dependent child images. Parent images left untagged and unused are
   * deleted too unless `noprune`.
   */
  async remove(ref: string, opts: { force?: boolean; noprune?: boolean } = {}): Promise<ImageDeleteResponseItem[]> {
    const id = this.lookupId(ref);
    if (!id) throw noSuchImage(ref);
    const out: ImageDeleteResponseItem[] = [];
    let named: Reference | null = null;
    try {
      const p = withDefaultTag(parseReference(ref));
      if (this.refs.get(p) === id) named = p;
    } catch { /* an id */ }
    const users = this.usage(id);
    const all = this.refs.refsOf(id).map((r) => parseReference(r));
    if (named) {
      const others = all.filter((r) => referenceString(r) !== referenceString(named as Reference) && !r.digest);
      if (others.length === 0 && users.length && !opts.force) {
        throw new ConflictError(`conflict: unable to remove repository reference "${ref}" (must force) - container ${shortId(users[0])} is using its referenced image ${shortId(id)}`);
      }
      await this.untag(named, id, out);
      if (others.length > 0) return out;
      for (const r of all.filter((x) => x.digest)) await this.untag(r, id, out);
      if (users.length) return out; // forced untag of an image in use: keep the image
    } else {
      const tags = all.filter((r) => !r.digest);
      if (tags.length > 1 && !opts.force) {
        throw new ConflictError(`conflict: unable to delete ${shortId(id)} (must be forced) - image is referenced in multiple repositories`);
      }
      if (users.length && !opts.force) {
        throw new ConflictError(`conflict: unable to delete ${shortId(id)} (must be forced) - image is being used by container ${shortId(users[0])}`);
      }
      if (this.images.children(id).length) {
        throw new ConflictError(`conflict: unable to delete ${shortId(id)} (cannot be forced) - image has dependent child images`);
      }
      for (const r of all) await this.untag(r, id, out);
      if (users.length) return out;
    }
    await this.deleteImage(id, out, !opts.noprune);
    return out;
  }

  /** Fires the image hook of a docker-archive load or save (the `load` / `save` events). */
  async announce(what: 'loaded' | 'saved', id: string): Promise<void> {
    await this.kernel.hooks.image[what].promise(id);
  }

  /** Removes one name of image `id`, records it in `out` and fires `untagged`. */
  private async untag(ref: Reference, id: string, out: ImageDeleteResponseItem[]): Promise<void> {
    await this.refs.delete(ref);
    out.push({ Untagged: familiarString(ref) });
    await this.kernel.hooks.image.untagged.promise(familiarString(ref), id);
  }

  private async deleteImage(id: string, out: ImageDeleteResponseItem[], pruneParents: boolean): Promise<void> {
    if (this.images.children(id).length) return;
    const parent = this.images.parent(id);
    const layers = await this.images.delete(id);
    await this.content.remove(id); // its config blob
    out.push({ Deleted: id });
    // dockerd lists the layers that went with the image too (their chain ids)
    for (const chainId of layers) out.push({ Deleted: chainId });
    await this.kernel.hooks.image.deleted.promise(id);
    if (pruneParents && parent && this.images.get(parent) && this.refs.refsOf(parent).length === 0
      && this.usage(parent).length === 0 && this.images.children(parent).length === 0) {
      await this.deleteImage(parent, out, true);
    }
  }

  /**
   * Deletes dangling images (untagged, unused, childless); with `all`, every
   * unused image; with `match`, only those it accepts (prune's until/label filters).
   */
  async prune(opts: { all?: boolean; match?: (img: StoredImage) => boolean } = {}): Promise<ImagePruneResponse> {
    const deleted: ImageDeleteResponseItem[] = [];
    let reclaimed = 0;
    for (let again = true; again;) {
      again = false;
      for (const img of this.images.list()) {
        if (this.usage(img.id).length || this.images.children(img.id).length) continue;
        const names = this.refs.refsOf(img.id);
        if (names.length && !opts.all) continue;
        if (opts.match && !opts.match(img)) continue;
        const before = this.layers.list().reduce((s, l) => s + l.size, 0);
        for (const r of names) await this.untag(parseReference(r), img.id, deleted);
        await this.deleteImage(img.id, deleted, false);
        reclaimed += before - this.layers.list().reduce((s, l) => s + l.size, 0);
        again = true;
      }
    }
    return { ImagesDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed };
  }

  // ---- creating images --------------------------------------------------------

  /**
   * Records an image from config bytes whose layers are all present, keeps
   * the config blob in the content store, and points `ref` (if any) at it.
   */
  async recordImage(raw: Buffer, opts: { parent?: string; ref?: string } = {}): Promise<string> {
    await this.content.put(raw);
    const img = await this.images.create(raw, opts.parent);
    if (opts.ref) {
      const r = withDefaultTag(parseReference(opts.ref));
      await this.refs.add(r, img.id, true);
      await this.images.touch(img.id);
      await this.kernel.hooks.image.tagged.promise(familiarString(r), img.id);
    }
    return img.id;
  }

  /**
   * Applies layer tars (paths of blobs, streams, stream factories or
   * LayerSources; any of gzip/zstd/plain) in order for `diffIds`, reusing
   * layers already present, verifying every diff_id. On drivers whose layers
   * are independent directories (overlay2) the layers are applied at once.
   * Resolves with the chain ids; the caller holds one reference on each and
   * must `releaseLayers` them once the image is recorded (or given up).
   */
  async applyLayers(diffIds: string[], sources: Array<string | Readable | (() => Readable) | LayerSource>): Promise<string[]> {
    if (diffIds.length !== sources.length) throw new InvalidArgumentError(`${diffIds.length} diff_ids but ${sources.length} layers`);
    const srcs = sources.map((src): LayerSource => {
      if (typeof src === 'string') return { open: () => createReadStream(src, { highWaterMark: 1 << 20 }) };
      if (typeof src === 'function') return { open: src };
      if (src instanceof Readable) return { open: () => src };
      return src;
    });
    return this.layers.applyChain(diffIds, srcs, this.driver.independentDiffs === true);
  }

  /** Drops the references `applyLayers` handed out. */
  async releaseLayers(chain: string[]): Promise<void> {
    for (const c of [...chain].reverse()) await this.layers.release(c);
  }

  /** How many leading layers of `diffIds` are already present (for pulls). */
  existingLayers(diffIds: string[]): number {
    const chain = chainIds(diffIds);
    let n = 0;
    while (n < chain.length && this.layers.get(chain[n])) n++;
    return n;
  }

  /**
   * For the registry plugin: applies the pulled layers in order (verified
   * compressed blobs, as paths or digests in the content store), then records
   * the image atomically at the very end and points `reference`'s tag and
   * `name@manifestDigest` at it. Resolves with the image id. A crash midway
   * leaves no image; the applied layers are collected at the next start.
   */
  async registerPulled(manifestDigest: string, configBlob: Buffer, layerBlobs: string[], reference: string): Promise<string> {
    const cfg = parseImageConfig(configBlob);
    const sources = layerBlobs.map((b): string | LayerSource => (isDigest(b)
      ? { open: () => createReadStream(this.content.path(b), { highWaterMark: 1 << 20 }), blob: b } : b));
    const held = await this.applyLayers(cfg.rootfs.diff_ids, sources);
    try {
      const ref = parseReference(reference);
      const id = await this.recordImage(configBlob);
      if (ref.tag !== undefined || ref.digest === undefined) {
        await this.refs.add(withDefaultTag({ ...ref, digest: undefined }), id, true);
        await this.images.touch(id);
      }
      if (isDigest(manifestDigest)) await this.refs.add({ ...ref, tag: undefined, digest: manifestDigest }, id, true).catch(() => undefined);
      await this.kernel.hooks.image.pulled.promise(familiarString(ref), id);
      return id;
    } finally {
      await this.releaseLayers(held);
    }
  }

  /**
   * `docker import`: a tar (plain, gzip or zstd) becomes a one-layer image
   * with `changes` applied; tagged `repo:tag` when repo is given.
   */
  async importTar(tar: Readable, opts: { repo?: string; tag?: string; changes?: string[]; message?: string; platform?: string } = {}): Promise<string> {
    const ref = opts.repo ? withDefaultTag(parseReference(opts.tag ? `${opts.repo}:${opts.tag}` : opts.repo)) : null;
    const runConfig = applyChanges({}, opts.changes ?? []);
    const info = await this.layers.register(tar, null);
    try {
      const created = new Date().toISOString();
      const cfg: OciImageConfigFile = {
        architecture: hostArchitecture(),
        os: 'linux',
        created,
        config: runConfig,
        rootfs: { type: 'layers', diff_ids: [info.diffId] },
        history: [{ created, created_by: '', comment: opts.message || 'Imported from -' }],
      };
      if (opts.message) cfg.comment = opts.message;
      const id = await this.recordImage(configBytes(cfg), { ref: ref ? referenceString(ref) : undefined });
      await this.kernel.hooks.image.imported.promise(id);
      return id;
    } finally {
      await this.layers.release(info.chainId);
    }
  }

  // ---- container layers ---------------------------------------------------------

  /** Creates the read-write layer of a container on an image's top layer. */
  async createContainerLayer(containerId: string, imageId: string): Promise<void> {
    const img = this.stored((await this.resolve(imageId)).id);
    await this.layers.createMount(containerId, img.topChain, img.id);
  }

  /** Mounts the container's filesystem and returns its root (one reference per call). */
  mountContainerLayer(containerId: string): Promise<string> {
    return this.layers.mount(containerId);
  }

  /** Releases one mount of the container's filesystem. */
  unmountContainerLayer(containerId: string): Promise<void> {
    return this.layers.unmount(containerId);
  }

  /** Removes the container's layer (idempotent); its image layers are kept while images use them. */
  removeContainerLayer(containerId: string): Promise<void> {
    return this.layers.removeMount(containerId);
  }

  /**
   * Removes the container's layer from the store at once (a crash from then
   * on finishes the deletion at the next start); `deleted` settles when the
   * driver's files are gone. No-op when the container has no layer.
   */
  detachContainerLayer(containerId: string): Promise<{ deleted: Promise<void> }> {
    return this.layers.detachMount(containerId);
  }

  /** `docker diff`: the container layer's changes against its image. */
  containerChanges(containerId: string): Promise<Change[]> {
    return this.layers.mountChanges(containerId);
  }

  /** Bytes the container layer adds (SizeRw). */
  containerLayerSize(containerId: string): Promise<number> {
    return this.layers.mountSize(containerId);
  }

  /** GraphDriver {Name, Data} for container inspect. */
  async containerGraphDriver(containerId: string): Promise<{ Name: string; Data: Record<string, string> }> {
    return { Name: this.driver.name, Data: await this.layers.mountMetadata(containerId) };
  }

  /** `docker export`: the container's whole filesystem as a tar (mounted until the stream ends). */
  async exportContainer(containerId: string): Promise<Readable> {
    const root = await this.layers.mount(containerId);
    let stream: Readable;
    try {
      const entries = await walkTree(root);
      stream = packTree(root, entries.map((e) => ({ rel: e.rel, kind: 'entry' as const })));
    } catch (err) {
      await this.layers.unmount(containerId);
      throw err;
    }
    let done = false;
    const release = (): void => { if (!done) { done = true; void this.layers.unmount(containerId).catch(() => undefined); } };
    stream.once('end', release);
    stream.once('close', release);
    stream.once('error', release);
    return stream;
  }

  /**
   * `docker commit`: the container layer's changes become a new layer on top
   * of the container's image, with the image's config updated by `changes`
   * and `changeInstructions`; tagged `repo:tag` when repo is given. Resolves
   * with the new image id. Crash-safe: an interrupted commit leaves no image.
   */
  async commit(containerId: string, opts: CommitOptions = {}): Promise<string> {
    const m = this.layers.getMount(containerId);
    if (!m) throw new NotFoundError(`No such container: ${containerId}`);
    const ref = opts.repo ? withDefaultTag(parseReference(opts.tag ? `${opts.repo}:${opts.tag}` : opts.repo)) : null;
    const base = m.imageId ? this.images.get(m.imageId) : undefined;
    const baseCfg: OciImageConfigFile = base
      ? (JSON.parse(base.raw.toString()) as OciImageConfigFile)
      : { architecture: hostArchitecture(), os: 'linux', rootfs: { type: 'layers', diff_ids: [] } };
    const set = (o: Partial<ImageRunConfig> | undefined): Partial<ImageRunConfig> => Object.fromEntries(Object.entries(o ?? {})
      .filter(([, v]) => v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0)
        && !(typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0)));
    const containerCfg = this.containerConfig(containerId);
    const runConfig = applyChanges(
      { ...(baseCfg.config ?? {}), ...set(containerCfg), ...set(opts.changes) },
      opts.changeInstructions ?? []);
    const info = await this.layers.register(await this.layers.mountDiff(containerId), m.parent);
    try {
      const created = new Date().toISOString();
      // as dockerd: a container without changes adds no layer, only a history entry marked empty
      const empty = info.diffId === EMPTY_LAYER_DIFF_ID;
      const cmd = containerCfg?.Cmd;
      const cfg: OciImageConfigFile = {
        ...baseCfg,
        created,
        author: opts.author ?? '',
        comment: opts.comment ?? '',
        container: containerId,
        config: runConfig,
        // dockerd's image inspect shows the committed container's config as ContainerConfig
        ...(containerCfg ? { container_config: containerCfg } : {}),
        rootfs: { type: 'layers', diff_ids: empty ? [...baseCfg.rootfs.diff_ids] : [...baseCfg.rootfs.diff_ids, info.diffId] },
        history: [...(baseCfg.history ?? []), {
          created, author: opts.author || undefined, comment: opts.comment || undefined,
          created_by: Array.isArray(cmd) ? cmd.join(' ') : '', empty_layer: empty || undefined,
        }],
      };
      for (const k of ['author', 'comment'] as const) if (!cfg[k]) delete cfg[k];
      const id = await this.recordImage(configBytes(cfg), { parent: m.imageId ?? undefined, ref: ref ? referenceString(ref) : undefined });
      await this.kernel.hooks.image.committed.promise(containerId, id, ref ? familiarString(ref) : '', opts.comment ?? '');
      return id;
    } finally {
      await this.layers.release(info.chainId);
    }
  }

  /** Graph driver data of an image's top layer (inspect's GraphDriver.Data). */
  async graphDriverData(id: string): Promise<Record<string, string> | null> {
    const img = this.stored(id);
    const top = img.topChain ? this.layers.get(img.topChain) : undefined;
    return top ? this.driver.metadata(top.cacheId) : null;
  }

  /** Image id of a config (sha256 of its bytes). */
  static idOf(raw: Buffer): string {
    return sha256Digest(raw);
  }

  /** Unmounts what the driver mounted (shutdown). */
  async close(): Promise<void> {
    await this.driver.cleanup();
  }
}
