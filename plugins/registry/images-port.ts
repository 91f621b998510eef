/**
 * The part of the kernel's image service (`kernel:images`, core/image) the
 * registry plugin uses, typed structurally so the plugin depends on the
 * public shape only. Resolved lazily at use time.
 */
import type { Readable } from 'node:stream';
import type { Reference } from '../../core';
import type { BlobStore } from './blob-store';

export interface ContentPort extends BlobStore {
  size(digest: string): Promise<number>;
  read(digest: string): Promise<Buffer>;
  stream(digest: string): Promise<Readable>;
  /** Stores a stream, hashing it; resolves with its digest. */
  put(data: Buffer | Readable, expected?: string): Promise<string>;
}

export interface LayerInfoPort {
  chainId: string;
  diffId: string;
  /** Digest of the layer blob kept in the content store (as received), if any. */
  blob: string | null;
}

/** A layer tar for applyLayers: opened when applied; `blob` is its digest in the content store (kept, not copied). */
export interface LayerSourcePort {
  open(): Readable;
  blob?: string;
  onApplied?(): void;
  /** Compressed size (the descriptor's): lets the graph extract big layers on worker threads. */
  size?: number;
}

export interface ImagesPort {
  content: ContentPort;
  layers: {
    get(chainId: string): LayerInfoPort | undefined;
    /** The uncompressed layer tar (its sha256 is the diff_id). */
    layerTar(chainId: string): Promise<Readable>;
  };
  images: { get(id: string): { id: string; raw: Buffer } | undefined };
  refs: {
    add(ref: Reference, id: string, force?: boolean): Promise<void>;
    /** Every reference as [full string, image id]. */
    all(): Array<[string, string]>;
  };
  /** Image id for a name[:tag], name@digest or id; undefined when unknown. */
  lookupId(ref: string): string | undefined;
  /** How many leading layers of the chain exist. */
  existingLayers(diffIds: string[]): number;
  /**
   * Applies layers in order (paths, stream factories, or sources naming the
   * verified blob kept as the layer's blob), verifying diff_ids; the chain
   * stays held until released.
   */
  applyLayers(diffIds: string[], sources: Array<string | Readable | (() => Readable) | LayerSourcePort>): Promise<string[]>;
  releaseLayers(chain: string[]): Promise<void>;
  /** Records an image from its config bytes (all layers present) and tags it `ref`. */
  recordImage(raw: Buffer, opts?: { ref?: string }): Promise<string>;
}
