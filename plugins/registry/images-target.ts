/**
 * The PullTarget of a real pull: blobs land in the image service's content
 * store (resumable ingests), layers are applied by the graph in order while
 * later ones still download (each layer's source is a stream that opens when
 * its blob is verified), and the image is recorded — config, tag, repo
 * digest — only at the end. A crash before that leaves layers no image uses,
 * which the graph collects at the next start: no partial image is ever listed.
 */
import { createReadStream } from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import type { Hooks, Reference } from '../../core';
import type { ImagesPort } from './images-port';
import type { LayerMetadata } from './layer-metadata';
import type { LayerFeed, PulledImage, PullTarget } from './pull-target';
import type { RemoteReference } from './reference';

function coreRef(r: RemoteReference, part: { tag?: string; digest?: string }): Reference {
  const ref: Reference = { domain: r.registry, path: r.repository, name: r.name };
  if (part.tag !== undefined) ref.tag = part.tag;
  if (part.digest !== undefined) ref.digest = part.digest;
  return ref;
}

export class ImagesTarget implements PullTarget {
  private readonly held = new Map<string, string[]>();

  constructor(private readonly images: ImagesPort, private readonly meta: LayerMetadata, private readonly hooks: Hooks) {}

  get blobs(): ImagesPort['content'] { return this.images.content; }

  /** `up-to-date` when `ref` already names `imageId`; `present` when the image exists under other names. */
  async lookup(ref: RemoteReference, imageId: string): Promise<'up-to-date' | 'present' | 'absent'> {
    let current: string | undefined;
    try { current = this.images.lookupId(ref.familiar); } catch { current = undefined; }
    if (current === imageId) return 'up-to-date';
    return this.images.images.get(imageId) ? 'present' : 'absent';
  }

  /** Leading layers of the chain already in the graph. */
  async existingLayers(diffIds: string[]): Promise<number> {
    return this.images.existingLayers(diffIds);
  }

  /**
   * Applies the chain through the graph. Each layer streams from its blob as
   * it downloads (extraction while downloading; the layer is kept only if the
   * download verifies), else from the verified blob once it is ready. The
   * downloaded blob itself becomes the layer's kept blob (no copy).
   */
  async applyLayers(img: PulledImage, have: number, feeds: LayerFeed[]): Promise<void> {
    // Layers may finish out of order (overlay2 applies them at once); `Pull complete` is said in order, as Docker does.
    const applied = feeds.map((_, i) => i < have);
    let said = have;
    const onApplied = (i: number): void => {
      applied[i] = true;
      while (said < feeds.length && applied[said]) feeds[said++].onDone();
    };
    const sources = feeds.map((f, i) => ({
      blob: f.desc.digest,
      size: f.desc.size,
      onApplied: () => onApplied(i),
      open: (): Readable => {
        let n = 0;
        let last = 0;
        const counted = new Transform({
          highWaterMark: 1 << 20,
          transform(c: Buffer, _enc, cb): void {
            n += c.length;
            if (n - last >= 512 * 1024 || n === f.desc.size) { last = n; f.onProgress(n, f.desc.size); }
            cb(null, c);
          },
        });
        const attach = (src: Readable): void => {
          src.on('error', (e) => counted.destroy(e));
          counted.on('close', () => src.destroy());
          src.pipe(counted);
        };
        f.onStart();
        if (f.stream) attach(f.stream());
        else {
          f.ready.then((file) => { if (!counted.destroyed) attach(createReadStream(file, { highWaterMark: 1 << 20 })); },
            (e: unknown) => counted.destroy(e instanceof Error ? e : new Error(String(e))));
        }
        return counted;
      },
    }));
    const chain = await this.images.applyLayers(feeds.map((f) => f.diffId), sources);
    while (said < feeds.length) feeds[said++].onDone(); // layers another pull made meanwhile
    this.held.set(img.configDigest, chain);
  }

  /** Records the image, points the tag and `name@manifestDigest` at it, notes the layer blobs, fires `image.pulled`. */
  async record(img: PulledImage): Promise<string> {
    const { ref } = img;
    try {
      const id = await this.images.recordImage(img.configBytes, ref.tag ? { ref: `${ref.name}:${ref.tag}` } : {});
      await this.images.refs.add(coreRef(ref, { digest: img.manifestDigest }), id, true);
      const repo = ref.name;
      const diffIds = img.config.rootfs?.diff_ids ?? [];
      for (const [i, l] of img.manifest.layers.entries()) {
        await this.meta.note(diffIds[i], { digest: l.digest, size: l.size, mediaType: l.mediaType }, repo);
      }
      await this.hooks.image.pulled.promise(ref.familiar, id);
      return id;
    } finally {
      await this.release(img);
    }
  }

  /** Lets go of the layers applied for an image that will not be recorded (the graph collects them). */
  async abort(img: PulledImage): Promise<void> {
    await this.release(img);
  }

  private async release(img: PulledImage): Promise<void> {
    const chain = this.held.get(img.configDigest);
    this.held.delete(img.configDigest);
    if (chain) await this.images.releaseLayers(chain);
  }
}
