/**
 * GraphDriver — how berth stores layers.
 *
 * Vocabulary. A *layer* is a directory tree identified by an opaque `id`
 * (berth uses the layer's cache id, a random 64-hex string). A layer may have a
 * *parent*; its content is the parent's content plus its own changes. *Image
 * layers* are created read-only once their diff has been applied; a
 * *read-write layer* (`createReadWrite`) sits on top of an image for one
 * container. *get* makes a layer's full content visible at a path (a mount for
 * overlay2, the directory itself for vfs) and counts references; *put* drops one
 * reference and unmounts when none remain.
 *
 * Lifecycle: create(L1, null) → applyDiff(L1, tar) → create(L2, L1) →
 * applyDiff(L2, tar) → createReadWrite(C, L2) → get(C) → … → put(C) → remove(C).
 *
 * Errors: NotFoundError for an unknown id, AlreadyExistsError for create of an
 * existing id, FailedPreconditionError where the kernel or backing filesystem
 * cannot support the driver (init only), InternalError for anything else.
 * A driver never leaves a half-created layer behind: create either completes or
 * removes what it made.
 */
import type { Readable } from 'node:stream';

/** Options of create/createReadWrite. */
export interface CreateLayerOpts {
  /** Mount label (SELinux); ignored where unsupported. */
  mountLabel?: string;
  /** Driver-specific options, e.g. `{ size: '10G' }`. Unknown keys are InvalidArgument. */
  storageOpt?: Record<string, string>;
}

/** One entry of a filesystem change list, as `docker diff` shows it. */
export interface Change {
  /** Path inside the layer, absolute (`/etc/passwd`). */
  path: string;
  /** 0 = modified, 1 = added, 2 = deleted (Docker's numbering). */
  kind: 0 | 1 | 2;
}

export interface GraphDriver {
  /** The driver's name, as in `"storage-driver"` (`overlay2`, `vfs`). */
  readonly name: string;

  /** Key/value pairs describing the driver's state, for `info` (`Backing Filesystem`, ...). */
  status(): Array<[string, string]>;

  /** Creates an empty read-only layer on top of `parent` (null for a base layer). */
  create(id: string, parent: string | null, opts?: CreateLayerOpts): Promise<void>;

  /** Creates the writable layer of a container on top of `parent`. */
  createReadWrite(id: string, parent: string | null, opts?: CreateLayerOpts): Promise<void>;

  /** Removes a layer. Unmounts it first if mounted. Removing an unknown id is a no-op. */
  remove(id: string): Promise<void>;

  /**
   * Makes the layer's full content visible and returns the absolute path of its
   * root. Reference counted: each get needs one put.
   */
  get(id: string, mountLabel?: string): Promise<string>;

  /** Releases one reference taken by get; unmounts when it was the last one. */
  put(id: string): Promise<void>;

  /** Whether a layer with this id exists. */
  exists(id: string): Promise<boolean>;

  /** Driver data for `GraphDriver.Data` in inspect (`LowerDir`, `UpperDir`, `MergedDir`, `WorkDir`). */
  metadata(id: string): Promise<Record<string, string>>;

  /** Unmounts everything this driver mounted; called on daemon shutdown. */
  cleanup(): Promise<void>;
}

/**
 * Optional ability: produce and apply layer diffs. Drivers without a native
 * one get the naive differ from core (a tree walk against the parent).
 */
export interface GraphDiffer {
  /** A tar stream of the changes of `id` against its parent, whiteouts as `.wh.` entries. */
  diff(id: string, parent: string | null): Promise<Readable>;
  /** The change list of `id` against its parent. */
  changes(id: string, parent: string | null): Promise<Change[]>;
  /**
   * Extracts an uncompressed layer tar into layer `id`, converting `.wh.`
   * whiteouts to the driver's representation, and returns the bytes applied.
   * Hostile input is refused (see docs/security.md): nothing escapes the layer.
   */
  applyDiff(id: string, parent: string | null, tar: Readable): Promise<number>;
  /** Size in bytes of the changes of `id` against its parent. */
  diffSize(id: string, parent: string | null): Promise<number>;
  /**
   * Optional: what applyDiff of `id` does, as data — it extracts into `root`
   * with extractLayer's `whiteouts` mode and nothing else — so core may run
   * that extraction on a worker thread. Absent: core calls applyDiff.
   */
  extractTarget?(id: string, parent: string | null): Promise<{ root: string; whiteouts: 'overlay' | 'delete' }>;
  /**
   * True when applyDiff of a layer neither reads nor changes its parent's
   * content (each layer is its own directory, as in overlay2), so the layers
   * of an image can be applied at once once they are all created. Absent:
   * applied one after the other (vfs copies the parent at create).
   */
  readonly independentDiffs?: boolean;
}

/** Both abilities together: what core works with after wrapping with the naive differ. */
export type GraphDriverWithDiff = GraphDriver & GraphDiffer;

/** Whether a driver brings its own differ. */
export function hasDiffer(d: GraphDriver): d is GraphDriverWithDiff {
  const x = d as Partial<GraphDiffer>;
  return typeof x.diff === 'function' && typeof x.applyDiff === 'function'
    && typeof x.changes === 'function' && typeof x.diffSize === 'function';
}

/**
 * What a graphdriver plugin provides under `graphdriver:<name>`: a factory the
 * kernel calls once with the driver's home directory (`<data-root>/<name>`) and
 * its options. It throws FailedPreconditionError when the driver cannot work
 * here, and the kernel then tries the next driver in priority order.
 */
export interface GraphDriverFactory {
  readonly name: string;
  /** Lower is preferred when no `storage-driver` is configured (overlay2: 10, vfs: 100). */
  readonly priority: number;
  create(home: string, options: Record<string, string>): Promise<GraphDriver>;
}

/**
 * Tools for driver authors (safe extraction, tar packing, tree comparison,
 * the naive differ, xattrs and device nodes): see core/image/layer-tools.ts.
 */
export * from '../image/layer-tools';
