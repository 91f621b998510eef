/**
 * Producing layer tars from a directory: regular entries with owners, modes,
 * mtimes and xattrs (PAX `SCHILY.xattr.*`), hardlinks detected by inode,
 * device nodes, and `.wh.` whiteouts / `.wh..wh..opq` opaque markers.
 */
import { constants as C, promises as fsp, type BigIntStats } from 'node:fs';
import { ForbiddenError } from '../errors';
import { isInside } from './secure-path';
import * as path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { getXattrsTree } from './fs-ops';
import { paxFromXattrs } from './tar-pax';
import { WHITEOUT_OPAQUE, WHITEOUT_PREFIX } from './extract';
import { devNumbers } from '../fs/dev-numbers';

/** What to put in the tar for one path relative to the packed root. */
export interface PackItem {
  rel: string;
  /** `entry`: the file as it is; `whiteout`: a `.wh.` marker deleting `rel`; `opaque`: the dir plus its opaque marker. */
  kind: 'entry' | 'whiteout' | 'opaque';
}

/** Xattrs never exported into a layer tar (overlay's own bookkeeping). */
function exported(name: string): boolean {
  return !name.startsWith('trusted.overlay.') && !name.startsWith('system.');
}

function typeOf(st: BigIntStats): tar.Header['type'] | null {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'directory';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'character-device';
  if (st.isBlockDevice()) return 'block-device';
  if (st.isFIFO()) return 'fifo';
  return null;
}

/**
 * A tar stream of `items` read from `root`. Entries are written in the
 * order given (callers give parents before children). Sockets are skipped.
 */
export function packTree(root: string, items: PackItem[]): Readable {
  const pack = tar.pack();
  // A plain Node stream for callers (streamx streams pipe to one destination only).
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  pack.on('error', (e: Error) => out.destroy(e));
  (pack as unknown as Readable).pipe(out);
  void (async () => {
    const xattrs = await getXattrsTree(root);
    const realRoot = await fsp.realpath(root);
    const inodes = new Map<bigint, string>();
    const add = (h: tar.Header | Partial<tar.Header> & { name: string }, body?: Buffer): Promise<void> =>
      new Promise((resolve, reject) => {
        pack.entry(h, body ?? Buffer.alloc(0), (err) => (err ? reject(err) : resolve()));
      });
    for (const item of items) {
      const abs = path.join(root, item.rel);
      if (item.kind === 'whiteout') {
        const name = path.posix.join(path.posix.dirname(item.rel), WHITEOUT_PREFIX + path.posix.basename(item.rel));
        await add({ name, type: 'file', mode: 0o600, uid: 0, gid: 0, size: 0, mtime: new Date(0) });
        continue;
      }
      const st = await fsp.lstat(abs, { bigint: true });
      const type = typeOf(st);
      if (!type) continue;
      const xa = new Map([...(xattrs.get(abs) ?? new Map<string, Buffer>())].filter(([k]) => exported(k)));
      const h: Partial<tar.Header> & { name: string } = {
        name: type === 'directory' ? `${item.rel}/` : item.rel,
        type,
        mode: Number(st.mode & 0o7777n),
        uid: Number(st.uid),
        gid: Number(st.gid),
        mtime: new Date(Number(st.mtimeMs)),
        size: 0,
      };
      if (xa.size) h.pax = paxFromXattrs(xa);
      if (type === 'file' && st.nlink > 1n) {
        const first = inodes.get(st.ino);
        if (first !== undefined) {
          await add({ ...h, type: 'link', linkname: first, size: 0 });
          continue;
        }
        inodes.set(st.ino, item.rel);
      }
      if (type === 'symlink') h.linkname = await fsp.readlink(abs);
      if (type === 'character-device' || type === 'block-device') {
        const { major, minor } = devNumbers(st.rdev);
        h.devmajor = major;
        h.devminor = minor;
      }
      if (type === 'file') {
        h.size = Number(st.size);
        // The tree may belong to a running container that swaps a file or a
        // parent dir for a symlink between lstat and open: open without
        // following the last component, then check where the fd really is.
        const fh = await fsp.open(abs, C.O_RDONLY | C.O_NOFOLLOW);
        try {
          const real = await fsp.readlink(`/proc/self/fd/${fh.fd}`);
          const fst = await fh.stat({ bigint: true });
          if (!isInside(realRoot, real) || fst.ino !== st.ino || fst.dev !== st.dev) {
            throw new ForbiddenError(`${item.rel} changed while being archived (now ${real}); refusing to read it`);
          }
          await new Promise<void>((resolve, reject) => {
            const sink = pack.entry(h, (err) => (err ? reject(err) : resolve()));
            const src = fh.createReadStream({ autoClose: false });
            src.on('error', reject);
            // The entry errors when the pack is destroyed (client went away mid-export): no crash.
            (sink as unknown as NodeJS.EventEmitter).on('error', reject);
            src.pipe(sink as unknown as NodeJS.WritableStream);
          });
        } finally {
          await fh.close();
        }
      } else {
        await add(h);
      }
      if (item.kind === 'opaque') {
        await add({ name: path.posix.join(item.rel, WHITEOUT_OPAQUE), type: 'file', mode: 0o600, uid: 0, gid: 0, size: 0, mtime: new Date(0) });
      }
    }
    pack.finalize();
  })().catch((err: unknown) => pack.destroy(err as Error));
  return out;
}
