/**
 * The naive differ: diffs for drivers that have none of their own (vfs), by
 * comparing a layer's full tree with its parent's — early Docker's
 * NaiveDiffDriver. `withDiffer(driver)` returns the driver itself when it has
 * a native differ, otherwise a wrapper adding one.
 */
import { promises as fsp, type BigIntStats } from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import type { Change, CreateLayerOpts, GraphDriver, GraphDriverWithDiff } from '../drivers/graphdriver';
import { hasDiffer } from '../drivers/graphdriver';
import { extractLayer } from './extract';
import { packTree, type PackItem } from './tar-pack';
import { walkTree } from './tree-walk';

function sameMeta(a: BigIntStats, b: BigIntStats): boolean {
  if (a.mode !== b.mode || a.uid !== b.uid || a.gid !== b.gid || a.rdev !== b.rdev) return false;
  if (a.isDirectory()) return true;
  return a.size === b.size && a.mtimeNs === b.mtimeNs;
}

/**
 * The changes of tree `layer` against tree `parent` (null: everything is
 * added), Docker-style: added/modified paths, deleted paths (topmost only),
 * and every existing ancestor of a change reported as modified. Sorted by path.
 */
export async function compareTrees(layer: string, parent: string | null): Promise<Change[]> {
  const now = await walkTree(layer);
  const before = new Map(parent ? (await walkTree(parent)).map((e) => [e.rel, e.st] as const) : []);
  const changes = new Map<string, Change['kind']>();
  const present = new Set<string>();
  for (const { rel, st } of now) {
    present.add(rel);
    const old = before.get(rel);
    if (!old) { changes.set(rel, 1); continue; }
    let modified = !sameMeta(old, st) || ((old.mode & 0o170000n) !== (st.mode & 0o170000n));
    if (!modified && st.isSymbolicLink()) {
      modified = (await fsp.readlink(path.join(layer, rel))) !== (await fsp.readlink(path.join(parent as string, rel)));
    }
    if (modified) changes.set(rel, 0);
  }
  for (const rel of before.keys()) {
    if (present.has(rel)) continue;
    const dir = path.posix.dirname(rel);
    if (dir !== '.' && !present.has(dir)) continue;
    changes.set(rel, 2);
  }
  for (const rel of [...changes.keys()]) {
    for (let d = path.posix.dirname(rel); d !== '.'; d = path.posix.dirname(d)) {
      if (!changes.has(d) && present.has(d) && before.has(d)) changes.set(d, 0);
    }
  }
  return [...changes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([rel, kind]) => ({ path: `/${rel}`, kind }));
}

/** Tar items for a change list: entries for added/modified paths, whiteouts for deletions. */
export function packItemsFor(changes: Change[]): PackItem[] {
  return changes.map((c) => ({ rel: c.path.slice(1), kind: c.kind === 2 ? 'whiteout' : 'entry' }));
}

/** Size of the added/modified regular files of a change list under `root`. */
export async function changesSize(root: string, changes: Change[]): Promise<number> {
  let size = 0;
  for (const c of changes) {
    if (c.kind === 2) continue;
    const st = await fsp.lstat(path.join(root, c.path));
    if (st.isFile()) size += st.size;
  }
  return size;
}

/** A GraphDriver given diffs by tree comparison (see file comment). */
export class NaiveDiffDriver implements GraphDriverWithDiff {
  constructor(private readonly inner: GraphDriver) {}

  // The GraphDriver methods delegate to the wrapped driver unchanged.
  get name(): string { return this.inner.name; }
  /** The wrapped driver, unchanged. */
  get driver(): GraphDriver { return this.inner; }
  status(): Array<[string, string]> { return this.inner.status(); }
  create(id: string, parent: string | null, opts?: CreateLayerOpts): Promise<void> { return this.inner.create(id, parent, opts); }
  createReadWrite(id: string, parent: string | null, opts?: CreateLayerOpts): Promise<void> { return this.inner.createReadWrite(id, parent, opts); }
  remove(id: string): Promise<void> { return this.inner.remove(id); }
  get(id: string, mountLabel?: string): Promise<string> { return this.inner.get(id, mountLabel); }
  put(id: string): Promise<void> { return this.inner.put(id); }
  exists(id: string): Promise<boolean> { return this.inner.exists(id); }
  metadata(id: string): Promise<Record<string, string>> { return this.inner.metadata(id); }
  cleanup(): Promise<void> { return this.inner.cleanup(); }

  /** Runs `fn` with both trees visible, releasing them afterwards. */
  private async withTrees<T>(id: string, parent: string | null, fn: (layer: string, parent: string | null) => Promise<T>): Promise<T> {
    const layer = await this.inner.get(id);
    try {
      const p = parent ? await this.inner.get(parent) : null;
      try { return await fn(layer, p); } finally { if (parent) await this.inner.put(parent); }
    } finally {
      await this.inner.put(id);
    }
  }

  /** Changes of `id` against `parent` by tree comparison. */
  changes(id: string, parent: string | null): Promise<Change[]> {
    return this.withTrees(id, parent, (l, p) => compareTrees(l, p));
  }

  /** A tar of the changes; the layer stays referenced until the stream ends. */
  async diff(id: string, parent: string | null): Promise<Readable> {
    const layer = await this.inner.get(id);
    let stream: Readable;
    try {
      const p = parent ? await this.inner.get(parent) : null;
      try {
        const changes = await compareTrees(layer, p);
        stream = packTree(layer, packItemsFor(changes));
      } finally { if (parent) await this.inner.put(parent); }
    } catch (err) {
      await this.inner.put(id);
      throw err;
    }
    let released = false;
    const release = (): void => { if (!released) { released = true; void this.inner.put(id); } };
    stream.once('end', release);
    stream.once('close', release);
    stream.once('error', release);
    return stream;
  }

  /** Extracts the tar into the layer's tree, applying whiteouts by deletion. */
  async applyDiff(id: string, _parent: string | null, tarStream: Readable): Promise<number> {
    const root = await this.inner.get(id);
    try {
      return (await extractLayer(tarStream, root, { whiteouts: 'delete' })).size;
    } finally {
      await this.inner.put(id);
    }
  }

  /** Bytes of added/modified regular files. */
  diffSize(id: string, parent: string | null): Promise<number> {
    return this.withTrees(id, parent, async (l, p) => changesSize(l, await compareTrees(l, p)));
  }
}

/** The driver itself when it has a differ, else the driver wrapped in NaiveDiffDriver. */
export function withDiffer(d: GraphDriver): GraphDriverWithDiff {
  return hasDiffer(d) ? d : new NaiveDiffDriver(d);
}
