/**
 * The overlay2 graph driver (Docker's layout). Per layer `<home>/<id>/`:
 *   diff/    the layer's own files (the overlay upper dir)
 *   link     its short id; `<home>/l/<short>` is a symlink to `../<id>/diff`
 *   lower    `l/<short>:l/<short>:…` of its parents, nearest first
 *   work/    overlay's work dir;  merged/  the mount point
 * Mounts run with the driver home as working directory and relative
 * `l/<short>` lower paths, so the option string of a 125-layer image stays
 * under the page size. Whiteouts are 0/0 character devices and opaque dirs
 * carry `trusted.overlay.opaque=y`; the native differ converts them to and
 * from the `.wh.` tar form.
 *
 * A layer's metadata (stat, the link and lower files, its directories) is
 * read and made with synchronous calls: 5-60 µs each in the kernel, while a
 * round trip through libuv's thread pool costs ~65 µs on this class of VM
 * (docs/benchmarks.md, session 6). Mounts, removals (an unlink or a rename
 * over a file frees an inode in the call) and extraction stay asynchronous.
 */
import { execFile } from 'node:child_process';
import {
  promises as fsp, mkdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync,
} from 'node:fs';
import * as path from 'node:path';
import { randomBytes, randomInt } from 'node:crypto';
import { promisify } from 'node:util';
import type { Readable } from 'node:stream';
import {
  AlreadyExistsError, InternalError, InvalidArgumentError, NotFoundError,
  extractLayer, loadAddon, getXattrsTree, isWhiteoutDevice, packTree, walkTree,
  type Change, type CreateLayerOpts, type GraphDriverWithDiff, type PackItem,
} from '../../core';
import { checkOverlaySupport } from './overlay-support';

const run = promisify(execFile);
const PAGE_SIZE = 4096;

interface MountAddon {
  mount(source: string, target: string, fstype: string, flags: number, data: string): Promise<void>;
  umount(target: string, flags: number): Promise<void>;
}

let mountAddon: MountAddon | null | undefined;
/** mount(2)/umount2(2) from the exec addon, on the thread pool (null: an addon without them; then /bin/mount). */
function syscalls(): MountAddon | null {
  if (mountAddon === undefined) {
    try {
      const a = loadAddon<Partial<MountAddon>>('berth_exec');
      mountAddon = typeof a.mount === 'function' && typeof a.umount === 'function' ? a as MountAddon : null;
    } catch {
      mountAddon = null;
    }
  }
  return mountAddon;
}
/**
 * Marks the home as the top of directory hierarchies (ext2/3/4's `T`
 * attribute, FS_TOPDIR_FL): each layer directory made in it is placed like a
 * top-level directory, in a block group of its own with room to spare,
 * instead of next to its siblings. On this host's ext4 (no journal) every
 * inode creation scans its group's free inodes and skips those deleted in the
 * last minutes, one buffer-cache lookup each; where containers and layers come
 * and go, creating a layer's ~1,500 files cost ~0.5 ms each in that scan
 * (half of a 60 MB pull's CPU). In an unused group they cost microseconds
 * (docs/registry.md). Best effort: other filesystems have no such attribute.
 */
async function markTopDir(home: string): Promise<void> {
  await run('chattr', ['+T', home]).catch(() => undefined);
}

/** Docker's limit: more lower layers than this cannot be mounted. */
export const MAX_DEPTH = 128;

function shortId(): string {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let s = '';
  for (let i = 0; i < 26; i++) s += abc[randomInt(abc.length)];
  return s;
}

/** The overlay2 driver (layout above); open with Overlay2Driver.open. */
export class Overlay2Driver implements GraphDriverWithDiff {
  readonly name = 'overlay2';
  private readonly refs = new Map<string, number>();
  private readonly mounted = new Set<string>();
  /** Serialises mount/unmount per layer. */
  private readonly locks = new Map<string, Promise<unknown>>();

  private readonly home: string;

  private constructor(home: string, private readonly fsName: string, private readonly extraOptions: string) {
    this.home = path.resolve(home);
  }

  /**
   * Checks overlay support (FailedPreconditionError when missing), opens the
   * home and cleans up after a crash: stale mounts under it, half-created
   * layers (`.tmp-*`) and dangling `l/` links.
   */
  static async open(home: string, options: Record<string, string>, procFilesystems?: string): Promise<Overlay2Driver> {
    for (const k of Object.keys(options)) {
      if (k !== 'overlay2.override_kernel_check') throw new InvalidArgumentError(`overlay2: unknown storage option "${k}"`);
    }
    await fsp.mkdir(path.join(home, 'l'), { recursive: true, mode: 0o700 });
    await markTopDir(home);
    const support = await checkOverlaySupport(home, procFilesystems);
    const d = new Overlay2Driver(home, support.fsName, support.extraOptions);
    await d.recover();
    return d;
  }

  private async recover(): Promise<void> {
    const prefix = this.home.endsWith('/') ? this.home : this.home + '/';
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
      .map((l) => l.split(' ')[4]).filter((m): m is string => !!m && m.startsWith(prefix));
    for (const m of mounts.reverse()) await run('umount', ['-l', m]).catch(() => undefined);
    for (const n of await fsp.readdir(this.home)) {
      if (n.startsWith('.tmp-')) await fsp.rm(path.join(this.home, n), { recursive: true, force: true });
    }
    for (const n of await fsp.readdir(path.join(this.home, 'l'))) {
      const link = path.join(this.home, 'l', n);
      try { await fsp.stat(link); } catch { await fsp.rm(link, { force: true }); }
    }
  }

  private dir(id: string): string {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(id) || id === 'l') throw new InvalidArgumentError(`overlay2: invalid layer id "${id}"`);
    return `${this.home}/${id}`; // home is resolved (see the constructor), id one clean name
  }

  private async withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(id) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    this.locks.set(id, next.catch(() => undefined));
    return next;
  }

  /** `Backing Filesystem`, `Supports d_type`, `Native Overlay Diff`. */
  status(): Array<[string, string]> {
    return [['Backing Filesystem', this.fsName], ['Supports d_type', 'true'], ['Native Overlay Diff', 'true']];
  }

  private readLower(id: string): string | null {
    try { return readFileSync(path.join(this.dir(id), 'lower'), 'utf8').trim() || null; } catch { return null; }
  }

  /** Builds the layer under a temp name and renames it into place (never half a layer under `id`). */
  async create(id: string, parent: string | null, opts?: CreateLayerOpts): Promise<void> {
    for (const k of Object.keys(opts?.storageOpt ?? {})) throw new InvalidArgumentError(`overlay2: storage option "${k}" is not supported`);
    const dst = this.dir(id);
    if (this.existsNow(id)) throw new AlreadyExistsError(`overlay2: layer ${id} already exists`);
    let lower: string | null = null;
    if (parent) {
      if (!this.existsNow(parent)) throw new NotFoundError(`overlay2: parent layer ${parent} not found`);
      const plink = readFileSync(path.join(this.dir(parent), 'link'), 'utf8').trim();
      const plower = this.readLower(parent);
      lower = plower ? `l/${plink}:${plower}` : `l/${plink}`;
      if (lower.split(':').length > MAX_DEPTH) throw new InvalidArgumentError(`overlay2: more than ${MAX_DEPTH} layers`);
    }
    const tmp = path.join(this.home, `.tmp-${id}-${randomBytes(4).toString('hex')}`);
    const link = shortId();
    try {
      mkdirSync(tmp, { mode: 0o700 });
      mkdirSync(path.join(tmp, 'diff'), { mode: 0o755 });
      mkdirSync(path.join(tmp, 'work'), { mode: 0o700 });
      mkdirSync(path.join(tmp, 'merged'), { mode: 0o700 });
      writeFileSync(path.join(tmp, 'link'), link);
      if (lower) writeFileSync(path.join(tmp, 'lower'), lower);
      symlinkSync(`../${id}/diff`, path.join(this.home, 'l', link));
      renameSync(tmp, dst);
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      rmSync(path.join(this.home, 'l', link), { force: true });
      throw err;
    }
  }

  /** Same layout as create; the layer is used as a container's upper dir. */
  createReadWrite(id: string, parent: string | null, opts?: CreateLayerOpts): Promise<void> {
    return this.create(id, parent, opts);
  }

  /** Unmounts if needed, drops the short link, and deletes the layer (renamed away first). */
  async remove(id: string): Promise<void> {
    const dst = this.dir(id);
    await this.withLock(id, async () => {
      if (this.mounted.has(id)) await this.unmount(id);
      this.refs.delete(id);
    });
    let link: string | null = null;
    try { link = readFileSync(path.join(dst, 'link'), 'utf8').trim(); } catch { /* absent */ }
    const trash = path.join(this.home, `.tmp-rm-${id}-${randomBytes(4).toString('hex')}`);
    try { await fsp.rename(dst, trash); } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    if (link) await fsp.rm(path.join(this.home, 'l', link), { force: true });
    await fsp.rm(trash, { recursive: true, force: true });
  }

  /** Mounts the layer at `<id>/merged` on the first reference (a base layer is its diff dir). */
  async get(id: string): Promise<string> {
    const dst = this.dir(id);
    return this.withLock(id, async () => {
      if (!this.existsNow(id)) throw new NotFoundError(`overlay2: layer ${id} not found`);
      const lower = this.readLower(id);
      const n = this.refs.get(id) ?? 0;
      if (!lower) {
        this.refs.set(id, n + 1);
        return path.join(dst, 'diff');
      }
      const merged = path.join(dst, 'merged');
      if (!this.mounted.has(id)) {
        // the same options with home-relative paths (for /bin/mount run in the home) or absolute ones
        const options = (at: (p: string) => string): string =>
          `lowerdir=${lower.split(':').map(at).join(':')},upperdir=${at(`${id}/diff`)},workdir=${at(`${id}/work`)}${this.extraOptions ? `,${this.extraOptions}` : ''}`;
        const opts = options((p) => p);
        if (opts.length >= PAGE_SIZE) throw new InternalError(`overlay2: mount options of ${id} exceed the page size (${opts.length} bytes)`);
        // the syscall needs absolute paths (the daemon's cwd is not the home); they fit a page for
        // the usual depths, the short relative l/ links of a deep chain go through /bin/mount with cwd
        const abs = options((p) => path.join(this.home, p));
        const sys = abs.length < PAGE_SIZE ? syscalls() : null;
        try {
          if (sys) await sys.mount('overlay', merged, 'overlay', 0, abs);
          else await run('mount', ['-t', 'overlay', 'overlay', '-o', opts, merged], { cwd: this.home });
        } catch (e) {
          throw new InternalError(`overlay2: mounting layer ${id} failed: ${(e as { stderr?: string }).stderr?.trim() ?? (e as Error).message}`, { cause: e });
        }
        this.mounted.add(id);
      }
      this.refs.set(id, n + 1);
      return merged;
    });
  }

  private async unmount(id: string): Promise<void> {
    const merged = path.join(this.dir(id), 'merged');
    try {
      const sys = syscalls();
      if (sys) await sys.umount(merged, 0);
      else await run('umount', [merged]);
    } catch (e) {
      // EINVAL: not a mount point (already unmounted)
      const err = (e as { stderr?: string }).stderr ?? ((e as { errno?: number }).errno === 22 ? 'not mounted' : String((e as Error).message));
      if (!/not mounted/.test(err)) throw new InternalError(`overlay2: unmounting layer ${id} failed: ${err.trim()}`, { cause: e });
    }
    this.mounted.delete(id);
  }

  /** Drops a reference; unmounts when it was the last. */
  async put(id: string): Promise<void> {
    await this.withLock(id, async () => {
      const n = (this.refs.get(id) ?? 0) - 1;
      if (n > 0) { this.refs.set(id, n); return; }
      this.refs.delete(id);
      if (this.mounted.has(id)) await this.unmount(id);
    });
  }

  /** Whether `<home>/<id>/diff` exists. */
  async exists(id: string): Promise<boolean> {
    return this.existsNow(id);
  }

  private existsNow(id: string): boolean {
    return statSync(path.join(this.dir(id), 'diff'), { throwIfNoEntry: false })?.isDirectory() ?? false;
  }

  private lowerDirs(id: string): string[] {
    const lower = this.readLower(id);
    if (!lower) return [];
    return lower.split(':').map((l) => path.resolve(this.home, 'l', readlinkSync(path.join(this.home, l))));
  }

  /** `LowerDir` (when it has parents), `UpperDir`, `WorkDir`, `MergedDir`. */
  async metadata(id: string): Promise<Record<string, string>> {
    if (!this.existsNow(id)) throw new NotFoundError(`overlay2: layer ${id} not found`);
    const dst = this.dir(id);
    const md: Record<string, string> = {};
    const lowers = this.lowerDirs(id);
    if (lowers.length) md.LowerDir = lowers.join(':');
    md.MergedDir = path.join(dst, 'merged');
    md.UpperDir = path.join(dst, 'diff');
    md.WorkDir = path.join(dst, 'work');
    return md;
  }

  /** Unmounts every layer this driver mounted. */
  async cleanup(): Promise<void> {
    for (const id of [...this.mounted]) await this.withLock(id, () => this.unmount(id)).catch(() => undefined);
    this.refs.clear();
  }

  /** Each layer's diff is its own directory: the layers of a pull can be applied at once. */
  readonly independentDiffs = true;

  /** Extracts straight into `diff/`, whiteouts as 0/0 char devices and opaque xattrs. */
  async applyDiff(id: string, _parent: string | null, tar: Readable): Promise<number> {
    if (!this.existsNow(id)) throw new NotFoundError(`overlay2: layer ${id} not found`);
    return (await extractLayer(tar, path.join(this.dir(id), 'diff'), { whiteouts: 'overlay' })).size;
  }

  /** applyDiff as data: extraction into `diff/` with overlay whiteouts (core may run it on a worker thread). */
  async extractTarget(id: string, _parent: string | null): Promise<{ root: string; whiteouts: 'overlay' }> {
    if (!this.existsNow(id)) throw new NotFoundError(`overlay2: layer ${id} not found`);
    return { root: path.join(this.dir(id), 'diff'), whiteouts: 'overlay' };
  }

  private async packItems(id: string): Promise<PackItem[]> {
    const diff = path.join(this.dir(id), 'diff');
    const xattrs = await getXattrsTree(diff);
    const items: PackItem[] = [];
    for (const { rel, st } of await walkTree(diff)) {
      if (isWhiteoutDevice({ isCharacterDevice: () => st.isCharacterDevice(), rdev: Number(st.rdev) })) items.push({ rel, kind: 'whiteout' });
      else if (st.isDirectory() && xattrs.get(path.join(diff, rel))?.get('trusted.overlay.opaque')?.toString() === 'y') items.push({ rel, kind: 'opaque' });
      else items.push({ rel, kind: 'entry' });
    }
    return items;
  }

  /** The upper dir as a tar, whiteouts turned back into `.wh.` entries. */
  async diff(id: string, _parent: string | null): Promise<Readable> {
    if (!this.existsNow(id)) throw new NotFoundError(`overlay2: layer ${id} not found`);
    return packTree(path.join(this.dir(id), 'diff'), await this.packItems(id));
  }

  /** Changes read from the upper dir; a path is modified when a lower layer has it. */
  async changes(id: string, _parent: string | null): Promise<Change[]> {
    if (!this.existsNow(id)) throw new NotFoundError(`overlay2: layer ${id} not found`);
    const lowers = this.lowerDirs(id);
    const inLower = async (rel: string): Promise<boolean> => {
      for (const l of lowers) {
        try {
          const st = await fsp.lstat(path.join(l, rel));
          return !isWhiteoutDevice(st);
        } catch { /* not in this one */ }
      }
      return false;
    };
    const out: Change[] = [];
    const added = new Set<string>();
    const upper = path.join(this.dir(id), 'diff');
    for (const item of await this.packItems(id)) {
      const parentDir = path.posix.dirname(item.rel);
      if (item.kind === 'whiteout') { out.push({ path: `/${item.rel}`, kind: 2 }); continue; }
      const isNew = added.has(parentDir) || !(await inLower(item.rel));
      if (isNew) added.add(item.rel);
      out.push({ path: `/${item.rel}`, kind: isNew ? 1 : 0 });
      if (item.kind === 'opaque' && !isNew) {
        // An opaque dir hides everything the lower layers had in it.
        const mine = new Set(await fsp.readdir(path.join(upper, item.rel)));
        const hidden = new Set<string>();
        for (const l of lowers) {
          for (const n of await fsp.readdir(path.join(l, item.rel)).catch(() => [] as string[])) {
            const st = await fsp.lstat(path.join(l, item.rel, n)).catch(() => null);
            if (st && !isWhiteoutDevice(st) && !mine.has(n)) hidden.add(n);
          }
        }
        for (const n of hidden) out.push({ path: `/${item.rel}/${n}`, kind: 2 });
      }
    }
    return out.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
  }

  /** Bytes of regular files in the upper dir. */
  async diffSize(id: string, _parent: string | null): Promise<number> {
    if (!this.existsNow(id)) throw new NotFoundError(`overlay2: layer ${id} not found`);
    let size = 0;
    for (const { st } of await walkTree(path.join(this.dir(id), 'diff'))) if (st.isFile()) size += Number(st.size);
    return size;
  }
}
