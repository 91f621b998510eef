/**
 * Where a pull puts what it fetched. The puller speaks the protocol; the
 * target owns the local side: the blob store downloads land in, whether the
 * image or some of its layers are already there, applying layers in order,
 * and recording the image atomically at the very end.
 */
import type { Readable } from 'node:stream';
import type { Descriptor, ImageManifest } from './manifest';
import type { RemoteReference } from './reference';
import type { BlobStore } from './blob-store';

/** The image config fields the puller reads (`rootfs.diff_ids`). */
export interface PulledConfig {
  architecture?: string;
  os?: string;
  variant?: string;
  rootfs?: { type: string; diff_ids: string[] };
  [k: string]: unknown;
}

export interface PulledImage {
  ref: RemoteReference;
  /** Digest of the manifest (or index) the tag points to: the RepoDigest. */
  manifestDigest: string;
  manifest: ImageManifest;
  /** Raw bytes of the platform manifest, as fetched. */
  manifestBytes: Buffer;
  configDigest: string;
  configBytes: Buffer;
  config: PulledConfig;
}

export interface PullTarget {
  /** Where blobs are downloaded to (resumable ingests). */
  readonly blobs: BlobStore;
  /**
   * `up-to-date` when the image (config digest) exists and `ref` already points
   * to it; `present` when the image exists but the tag does not point to it.
   */
  lookup(ref: RemoteReference, imageId: string): Promise<'up-to-date' | 'present' | 'absent'>;
  /** How many leading layers (by diff_id chain) are already applied locally. */
  existingLayers(diffIds: string[]): Promise<number>;
  /**
   * Applies every layer of the image, in order, reusing the first `have`
   * ones that already exist. Each feed's blob becomes available when its
   * download is verified (`ready`), so extraction of layer i overlaps the
   * downloads of later layers. Resolves when all are applied; the layers stay
   * held (not collectable) until `record` or `abort`.
   */
  applyLayers(img: PulledImage, have: number, feeds: LayerFeed[]): Promise<void>;
  /** Records the image (config, layers, tag, repo digest) atomically; resolves with its id. */
  record(img: PulledImage): Promise<string>;
  /** Undoes what applyLayer did for an image that will not be recorded. */
  abort(img: PulledImage): Promise<void>;
}

/** One layer of a pull as the target applies it. */
export interface LayerFeed {
  desc: Descriptor;
  diffId: string;
  /** Resolves with the verified blob's path once downloaded (rejects if the download failed). */
  ready: Promise<string>;
  /**
   * The blob's bytes as they download (from byte 0): lets the target extract
   * while the download runs. The stream ends only after the digest was
   * verified and fails when the download does; absent for layers not
   * downloaded by this pull.
   */
  stream?(): Readable;
  /** Extraction of this layer started / progressed (compressed bytes read) / finished. */
  onStart(): void;
  onProgress(current: number, total: number): void;
  onDone(): void;
}
