/**
 * The image store: image configs by ID (sha256 of the config bytes) under
 * `<root>/content/sha256/<hex>`, with per-image metadata (parent image, last
 * tag time) under `<root>/metadata/sha256/<hex>/`. Each image holds one
 * reference on its top layer in the layer store. Writes are atomic; the
 * config file is written last, so an image exists only once complete.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Logger } from 'pino';
import { NotFoundError } from '../errors';
import { atomicWrite, atomicWriteJson, readJsonIfExists } from '../fs/atomic-write';
import { chainIds, digestHex, sha256Digest } from './digest';
import { parseImageConfig, type OciImageConfigFile } from './image-config';
import type { LayerStore } from './layer-store';

/** An image as stored: its config, parsed and raw. */
export interface StoredImage {
  id: string;
  config: OciImageConfigFile;
  /** The raw config bytes (their sha256 is the id). */
  raw: Buffer;
  /** Chain id of the top layer, null for an image without layers. */
  topChain: string | null;
}

interface ImageMeta { parent?: string; lastUpdated?: string }

/** Image configs by id (see file comment); open with ImageStore.open. */
export class ImageStore {
  private readonly images = new Map<string, StoredImage>();
  private readonly meta = new Map<string, ImageMeta>();

  private constructor(private readonly root: string, private readonly layers: LayerStore) {}

  /** Loads every image whose layers exist, taking its top-layer reference; others are logged and skipped. */
  static async open(root: string, layers: LayerStore, log: Logger): Promise<ImageStore> {
    await fsp.mkdir(path.join(root, 'content', 'sha256'), { recursive: true, mode: 0o700 });
    await fsp.mkdir(path.join(root, 'metadata', 'sha256'), { recursive: true, mode: 0o700 });
    const s = new ImageStore(root, layers);
    for (const hex of await fsp.readdir(path.join(root, 'content', 'sha256'))) {
      if (!/^[a-f0-9]{64}$/.test(hex)) continue;
      try {
        const raw = await fsp.readFile(path.join(root, 'content', 'sha256', hex));
        const id = sha256Digest(raw);
        if (id !== `sha256:${hex}`) { log.warn({ image: hex }, 'image config does not match its id; ignoring it'); continue; }
        const config = parseImageConfig(raw);
        const chain = chainIds(config.rootfs.diff_ids);
        const topChain = chain.length ? chain[chain.length - 1] : null;
        if (topChain) layers.acquire(topChain);
        s.images.set(id, { id, config, raw, topChain });
        s.meta.set(id, (await readJsonIfExists<ImageMeta>(path.join(root, 'metadata', 'sha256', hex, 'meta.json'))) ?? {});
      } catch (err) {
        log.warn({ image: hex, err: (err as Error).message }, 'image cannot be loaded; ignoring it');
      }
    }
    // Metadata of images whose config was never written (a crash inside create).
    for (const hex of await fsp.readdir(path.join(root, 'metadata', 'sha256'))) {
      if (!s.images.has(`sha256:${hex}`)) await fsp.rm(path.join(root, 'metadata', 'sha256', hex), { recursive: true, force: true });
    }
    return s;
  }

  /**
   * Records an image from its config bytes. Every layer of `rootfs.diff_ids`
   * must be in the layer store (NotFoundError otherwise). Takes the image's
   * reference on its top layer; creating an existing image is a no-op.
   */
  async create(raw: Buffer, parent?: string): Promise<StoredImage> {
    const id = sha256Digest(raw);
    const have = this.images.get(id);
    if (have) return have;
    const config = parseImageConfig(raw);
    const chain = chainIds(config.rootfs.diff_ids);
    for (const c of chain) if (!this.layers.get(c)) throw new NotFoundError(`image ${id}: layer ${c} is not in the layer store`);
    const topChain = chain.length ? chain[chain.length - 1] : null;
    const hex = digestHex(id);
    const meta: ImageMeta = parent ? { parent } : {};
    await fsp.mkdir(path.join(this.root, 'metadata', 'sha256', hex), { recursive: true });
    await atomicWriteJson(path.join(this.root, 'metadata', 'sha256', hex, 'meta.json'), meta);
    await atomicWrite(path.join(this.root, 'content', 'sha256', hex), raw);
    if (topChain) this.layers.acquire(topChain);
    const img: StoredImage = { id, config, raw, topChain };
    this.images.set(id, img);
    this.meta.set(id, meta);
    return img;
  }

  /** An image by full id, or undefined. */
  get(id: string): StoredImage | undefined {
    return this.images.get(id);
  }

  /** All images. */
  list(): StoredImage[] {
    return [...this.images.values()];
  }

  /** The parent image id recorded at commit/build, if any. */
  parent(id: string): string | undefined {
    return this.meta.get(id)?.parent;
  }

  /** Images whose recorded parent is `id`. */
  children(id: string): string[] {
    return [...this.meta].filter(([, m]) => m.parent === id).map(([k]) => k);
  }

  /** When a tag last moved onto the image (ISO time), if ever. */
  lastUpdated(id: string): string | undefined {
    return this.meta.get(id)?.lastUpdated;
  }

  /** Records the time a tag moved onto the image. */
  async touch(id: string): Promise<void> {
    const m = { ...(this.meta.get(id) ?? {}), lastUpdated: new Date().toISOString() };
    this.meta.set(id, m);
    await atomicWriteJson(path.join(this.root, 'metadata', 'sha256', digestHex(id), 'meta.json'), m);
  }

  /**
   * Deletes an image (config first, so it is gone even if the rest fails) and
   * releases its top layer; resolves with the chain ids of the layers that
   * went with it.
   */
  async delete(id: string): Promise<string[]> {
    const img = this.images.get(id);
    if (!img) throw new NotFoundError(`No such image: ${id}`);
    const hex = digestHex(id);
    await fsp.rm(path.join(this.root, 'content', 'sha256', hex), { force: true });
    await fsp.rm(path.join(this.root, 'metadata', 'sha256', hex), { recursive: true, force: true });
    this.images.delete(id);
    this.meta.delete(id);
    return img.topChain ? this.layers.release(img.topChain) : [];
  }
}
