/**
 * Safe layer extraction. A layer tar is hostile until proven otherwise: it is
 * parsed with tar-stream while it streams, and every entry is confined to the
 * layer root —
 *   - absolute names and `..` components are refused (InvalidArgumentError);
 *   - parent directories are resolved with `resolveInRoot`, so a symlink
 *     inside the layer (`link -> /etc`) followed by `link/passwd` writes
 *     `<root>/etc/passwd`, never the host's;
 *   - the final component is never followed: an existing symlink there is
 *     replaced, files are opened O_NOFOLLOW|O_EXCL;
 *   - hardlink targets are resolved the same way and must exist inside the layer.
 * Ownership, modes (setuid/setgid/sticky included), mtimes, xattrs (PAX
 * `SCHILY.xattr.*`, e.g. `security.capability`), symlinks, hardlinks, device
 * nodes and fifos are reproduced. Whiteouts (`.wh.name`, `.wh..wh..opq`) are
 * either turned into overlay's representation (0/0 character device,
 * `trusted.overlay.opaque=y`) or applied by deleting (copy-based drivers).
 * See docs/security.md.
 */
import * as fs from 'node:fs';
import { constants as C, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { BerthError, InvalidArgumentError } from '../errors';
import { mknod, setXattrs, type XattrWrite } from './fs-ops';
import { cleanEntryName, resolveInRoot, resolveInRootSync } from './secure-path';
import { xattrsFromPax } from './tar-pax';

/** Whiteout markers of the layer tar format (OCI / AUFS style). */
export const WHITEOUT_PREFIX = '.wh.';
export const WHITEOUT_META_PREFIX = '.wh..wh.';
export const WHITEOUT_OPAQUE = '.wh..wh..opq';

/** How extractLayer writes whiteouts and owners. */
export interface ExtractOptions {
  /** `overlay`: whiteouts become 0/0 char devices and opaque xattrs; `delete`: they remove what they hide. */
  whiteouts: 'overlay' | 'delete';
  /** Set owners from the tar (default true; false when not running as root). */
  chown?: boolean;
  /**
   * Every filesystem call synchronous (default false: calls that create an
   * inode go through the thread pool). For a worker thread (apply-pool.ts),
   * whose blocking stalls nobody, where a thread-pool round trip per entry
   * only waits behind other I/O.
   */
  sync?: boolean;
}

/** What extractLayer did. */
export interface ExtractResult {
  /** Bytes of regular-file content written. */
  size: number;
  /** Entries processed. */
  entries: number;
  /** Extended attributes skipped because the filesystem does not support or permit them. */
  warnings: string[];
}

type Header = Omit<tar.Header, 'type' | 'pax'> & { type?: tar.Header['type'] | null; pax?: Record<string, string> | null };

const openFd = promisify(fs.open);

/** The calls extraction makes that may block, each synchronous or on the thread pool. */
interface FsCalls {
  rm(p: string): void | Promise<void>;
  unlink(p: string): void | Promise<void>;
  mkdir(p: string, opts: fs.MakeDirectoryOptions): unknown;
  open(p: string, flags: number, mode: number): number | Promise<number>;
  symlink(target: string, p: string): void | Promise<void>;
  link(src: string, dst: string): void | Promise<void>;
  lstat(p: string): fs.Stats | Promise<fs.Stats>;
  resolve(root: string, rel: string): string | Promise<string>;
  lutimes(p: string, t: Date): void | Promise<void>;
}

const rmOpts = { recursive: true, force: true };

async function removeAny(p: string): Promise<void> {
  await fsp.rm(p, rmOpts);
}

const asyncCalls: FsCalls = {
  rm: removeAny, unlink: (p) => fsp.unlink(p), mkdir: (p, o) => fsp.mkdir(p, o), open: openFd,
  symlink: (t, p) => fsp.symlink(t, p), link: (a, b) => fsp.link(a, b), lstat: (p) => fsp.lstat(p), resolve: resolveInRoot,
  lutimes: (p, t) => fsp.lutimes(p, t, t),
};
const syncCalls: FsCalls = {
  rm: (p) => fs.rmSync(p, rmOpts), unlink: (p) => fs.unlinkSync(p), mkdir: (p, o) => fs.mkdirSync(p, o), open: (p, f, m) => fs.openSync(p, f, m),
  symlink: (t, p) => fs.symlinkSync(t, p), link: (a, b) => fs.linkSync(a, b), lstat: (p) => fs.lstatSync(p), resolve: resolveInRootSync,
  lutimes: (p, t) => fs.lutimesSync(p, t, t),
};

/**
 * Extracts the (uncompressed) tar `input` into `root`, which must exist.
 * Resolves with the bytes written; rejects with InvalidArgumentError on a
 * hostile or malformed entry (what was written so far stays: callers extract
 * into a layer they throw away on failure).
 */
export async function extractLayer(input: Readable, root: string, opts: ExtractOptions): Promise<ExtractResult> {
  const chown = opts.chown ?? process.getuid?.() === 0;
  const io = opts.sync ? syncCalls : asyncCalls;
  const ex = tar.extract();
  /** Deferred work is keyed by path relative to the root and re-resolved at the end (see finalPath). */
  const xattrs: Array<{ rel: string; name: string; value: Buffer }> = [];
  const dirTimes: Array<{ rel: string; t: Date }> = [];
  const opaque: string[] = [];
  const written = new Set<string>();
  const madeDirs = new Set<string>([root]);
  const parentCache = new Map<string, string>();
  let size = 0;
  let entries = 0;

  /** Removes whatever sits at `p` unless it is a directory and `keepDir`. Returns whether a dir stays. */
  const clearTarget = async (p: string, keepDir: boolean): Promise<boolean> => {
    const st = fs.lstatSync(p, { throwIfNoEntry: false });
    if (!st) return false;
    if (st.isDirectory() && keepDir) return true;
    if (st.isDirectory()) await io.rm(p); else await io.unlink(p);
    parentCache.clear();
    madeDirs.clear();
    madeDirs.add(root);
    return false;
  };

  const parentOf = async (rel: string): Promise<string> => {
    const dir = path.posix.dirname(rel);
    const key = dir === '.' ? '' : dir;
    let abs = parentCache.get(key);
    if (abs === undefined) {
      abs = await io.resolve(root, key);
      parentCache.set(key, abs);
    }
    if (!madeDirs.has(abs)) {
      await io.mkdir(abs, { recursive: true, mode: 0o755 });
      madeDirs.add(abs);
    }
    return abs;
  };

  // Calls that create an inode (open O_CREAT, symlink, mkdir) go through
  // libuv's thread pool: they cost the kernel up to half a millisecond each on
  // a busy ext4, time the event loop spends hashing and parsing meanwhile.
  // The calls after them (writes to the page cache, owner, mode, times) are
  // synchronous: microseconds each, where a thread-pool round trip per call
  // (four or five per entry) made extraction latency-bound (docs/graph.md).
  const applyMeta = (p: string, rel: string, h: Header, isLink: boolean): void => {
    if (chown) fs.lchownSync(p, h.uid ?? 0, h.gid ?? 0);
    if (!isLink) fs.chmodSync(p, (h.mode ?? 0o644) & 0o7777);
    for (const [name, value] of xattrsFromPax(h.pax)) xattrs.push({ rel, name, value });
    const t = h.mtime ?? new Date(0);
    if (h.type === 'directory') dirTimes.push({ rel, t });
    else fs.lutimesSync(p, t, t);
  };

  /** Writes a regular file entry through one descriptor: create (never following), data, owner, mode, times. */
  const writeFile = async (target: string, rel: string, h: Header, entry: AsyncIterable<unknown>): Promise<void> => {
    const flags = C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW;
    let fd: number;
    try { fd = await io.open(target, flags, 0o600); } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      await clearTarget(target, false);
      fd = await io.open(target, flags, 0o600);
    }
    try {
      for await (const c of entry) {
        const b = c as Buffer;
        for (let off = 0; off < b.length;) off += fs.writeSync(fd, b, off, b.length - off);
      }
      if (chown) fs.fchownSync(fd, h.uid ?? 0, h.gid ?? 0);
      fs.fchmodSync(fd, (h.mode ?? 0o644) & 0o7777);
      const t = h.mtime ?? new Date(0);
      fs.futimesSync(fd, t, t);
    } finally {
      fs.closeSync(fd);
    }
    for (const [name, value] of xattrsFromPax(h.pax)) xattrs.push({ rel, name, value });
  };

  const done = pipeline(input, ex);
  try {
    for await (const entry of ex) {
      const h = entry.header as Header;
      entries++;
      try {
        const rel = cleanEntryName(h.name);
        if (rel === '') { entry.resume(); continue; }
        const parent = await parentOf(rel);
        const base = path.posix.basename(rel);
        const target = path.join(parent, base);

        if (base.startsWith(WHITEOUT_PREFIX)) {
          entry.resume();
          if (base === WHITEOUT_OPAQUE) {
            const dirRel = path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel);
            if (opts.whiteouts === 'overlay') xattrs.push({ rel: dirRel, name: 'trusted.overlay.opaque', value: Buffer.from('y') });
            else opaque.push(dirRel);
          } else if (!base.startsWith(WHITEOUT_META_PREFIX)) {
            const hiddenName = base.slice(WHITEOUT_PREFIX.length);
            if (hiddenName === '' || hiddenName === '.' || hiddenName === '..') {
              throw new InvalidArgumentError(`layer entry "${h.name}": whiteout of "${hiddenName}" refused`);
            }
            const hidden = path.join(parent, hiddenName);
            await io.rm(hidden);
            parentCache.clear();
            madeDirs.clear();
            madeDirs.add(root);
            if (opts.whiteouts === 'overlay') {
              await mknod(hidden, 'c', 0, 0, 0);
              written.add(hidden);
            }
          }
          continue;
        }

        written.add(target);
        switch (h.type) {
          case 'directory': {
            const kept = await clearTarget(target, true);
            if (!kept) await io.mkdir(target, { mode: 0o700 });
            madeDirs.add(target);
            entry.resume();
            applyMeta(target, rel, h, false);
            break;
          }
          case 'file':
          case 'contiguous-file':
          case undefined:
          case null: {
            await writeFile(target, rel, h, entry);
            size += h.size ?? 0;
            break;
          }
          case 'symlink': {
            entry.resume();
            await clearTarget(target, false);
            await io.symlink(h.linkname ?? '', target);
            parentCache.clear();
            applyMeta(target, rel, h, true);
            break;
          }
          case 'link': {
            entry.resume();
            const lrel = cleanEntryName(h.linkname ?? '');
            if (lrel === '') throw new InvalidArgumentError(`layer entry "${h.name}": hardlink to the layer root refused`);
            const lparent = await io.resolve(root, path.posix.dirname(lrel));
            const src = path.join(lparent, path.posix.basename(lrel));
            let st;
            try { st = await io.lstat(src); } catch {
              throw new InvalidArgumentError(`layer entry "${h.name}": hardlink target "${h.linkname}" is not in the layer`);
            }
            if (st.isDirectory()) throw new InvalidArgumentError(`layer entry "${h.name}": hardlink to a directory refused`);
            if (src === target) break;
            await clearTarget(target, false);
            await io.link(src, target);
            break;
          }
          case 'character-device':
          case 'block-device':
          case 'fifo': {
            entry.resume();
            await clearTarget(target, false);
            const t = h.type === 'fifo' ? 'p' : h.type === 'character-device' ? 'c' : 'b';
            await mknod(target, t, h.mode ?? 0o600, h.devmajor ?? 0, h.devminor ?? 0);
            applyMeta(target, rel, h, false);
            break;
          }
          default:
            entry.resume();
        }
      } catch (err) {
        entry.resume();
        throw err;
      }
    }
    await done;
  } catch (err) {
    ex.destroy();
    await done.catch(() => undefined);
    if (err instanceof BerthError) throw err;
    if (/^E[A-Z]+$/.test(String((err as NodeJS.ErrnoException).code ?? ''))) throw err;
    throw new InvalidArgumentError(`invalid layer tar: ${(err as Error).message}`, { cause: err });
  }

  // Later entries may have replaced a directory on a deferred path with a
  // symlink: resolve every deferred path again, confined to the root, and
  // never follow the last component.
  const finalPath = async (rel: string): Promise<string> =>
    rel === '' ? root : path.join(await io.resolve(root, path.posix.dirname(rel)), path.posix.basename(rel));
  for (const rel of opaque) {
    const dir = await finalPath(rel);
    const st = await fsp.lstat(dir).catch(() => null);
    if (st?.isDirectory()) await removeUnwritten(dir, written);
  }
  const writes: XattrWrite[] = [];
  for (const x of xattrs) {
    const p = await finalPath(x.rel);
    if (await Promise.resolve().then(() => io.lstat(p)).then(() => true, () => false)) writes.push({ path: p, name: x.name, value: x.value });
  }
  const warnings = await setXattrs(writes);
  for (const { rel, t } of dirTimes.reverse()) {
    try { await io.lutimes(await finalPath(rel), t); } catch { /* gone or replaced meanwhile */ }
  }
  return { size, entries, warnings };
}

/** Deletes everything under `dir` this layer did not write (an opaque dir in delete mode). */
async function removeUnwritten(dir: string, written: Set<string>): Promise<void> {
  let names: string[];
  try { names = await fsp.readdir(dir); } catch { return; }
  for (const n of names) {
    const p = path.join(dir, n);
    if (!written.has(p)) { await removeAny(p); continue; }
    const st = await fsp.lstat(p);
    if (st.isDirectory()) await removeUnwritten(p, written);
  }
}
