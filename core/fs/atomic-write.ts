/**
 * Atomic state writes: temp file in the same directory, fsync, rename, fsync
 * of the directory. A crash at any point leaves either the old file or the new
 * one, never half of one.
 *
 * With the native addon built, a write is one thread-pool job
 * (berth_exec writeAtomic: open, write, fsync, close, rename, directory
 * fsync). On this class of VM each pool round trip costs 40-70 µs of
 * event-loop time (a thread wake-up and an event-loop wake-up, then the
 * callback), and a container start writes a dozen such files: three round
 * trips each through node's fs cost ~2 ms of the loop per `docker run`
 * (docs/benchmarks.md, session 6). Without the addon, node's fs does the same
 * steps: open, write and close inline, fsync and rename on the pool.
 */
import { closeSync, fsync, fsyncSync, openSync, rename, renameSync, rmSync, writeSync, promises as fsp } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { addonFunction } from '../native/loader';

/** This process's part of temp names: its pid and random bytes drawn once (a pid comes back after a reboot; a crash's temp files may still be there). */
const token = `${process.pid}-${randomBytes(4).toString('hex')}`;
let seq = 0;
/** `<dir>/.<name>.<token>-<n>.tmp` beside `file`: unique without drawing random bytes per write. */
function tempName(file: string): string {
  const slash = file.lastIndexOf('/');
  return `${file.slice(0, slash + 1)}.${file.slice(slash + 1)}.${token}-${++seq}.tmp`;
}

type NativeWrite = (entries: Array<[file: string, tmp: string, data: Buffer, mode: number, sync: boolean, syncDir: boolean]>) => Promise<void>;
let nativeWrite: NativeWrite | null | undefined;

/** The addon's writeAtomic, or null (not built, or `BERTH_NATIVE_WRITES=0`). */
function nativeWriter(): NativeWrite | null {
  if (nativeWrite === undefined) {
    nativeWrite = process.env.BERTH_NATIVE_WRITES === '0' ? null : addonFunction<NativeWrite>('berth_exec', 'writeAtomic') ?? null;
  }
  return nativeWrite;
}

/** Which implementation writes: the addon's one pool job, or node's fs steps. */
export function atomicWriteImpl(): 'native' | 'node' {
  return nativeWriter() ? 'native' : 'node';
}

function onPool<T extends unknown[]>(fn: (...args: [...T, (err: NodeJS.ErrnoException | null) => void]) => void, ...args: T): Promise<void> {
  return new Promise((resolve, reject) => fn(...args, (err) => (err ? reject(err) : resolve())));
}

const toBuffer = (d: string | Buffer): Buffer => (typeof d === 'string' ? Buffer.from(d) : d);

function writeAll(fd: number, data: Buffer): void {
  let off = 0;
  while (off < data.length) off += writeSync(fd, data, off);
}

async function writeWithNode(file: string, tmp: string, data: Buffer, mode: number, sync: boolean, syncDir: boolean): Promise<void> {
  const fd = openSync(tmp, 'wx', mode);
  let written = false;
  try {
    writeAll(fd, data);
    if (sync) await onPool(fsync, fd);
    written = true;
  } finally {
    closeSync(fd);
    if (!written) rmSync(tmp, { force: true });
  }
  try {
    await onPool(rename, tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  if (syncDir) {
    const slash = file.lastIndexOf('/');
    const dir = openSync(slash > 0 ? file.slice(0, slash) : slash === 0 ? '/' : '.', 'r');
    try { await onPool(fsync, dir); } finally { closeSync(dir); }
  }
}

async function write(file: string, data: string | Buffer, mode: number, sync: boolean, syncDir: boolean): Promise<void> {
  const buf = toBuffer(data);
  const native = nativeWriter();
  return native ? native([[file, tempName(file), buf, mode, sync, syncDir]]) : writeWithNode(file, tempName(file), buf, mode, sync, syncDir);
}

/** One file of atomicWriteAll. */
export interface AtomicFile {
  file: string;
  data: string | Buffer;
  /** 0600 unless given. */
  mode?: number;
  /** fsync before the rename (atomicWriteLight's `sync`). */
  sync: boolean;
}

/**
 * atomicWriteLight of several files at once (with the addon, one pool job
 * for all: the fsyncs after the writes, so one journal commit carries
 * them). Each file is atomic on its own; when one fails, the call rejects
 * and any of the others may or may not have been written.
 */
export async function atomicWriteAll(files: readonly AtomicFile[]): Promise<void> {
  const native = nativeWriter();
  if (native) return native(files.map((f) => [f.file, tempName(f.file), toBuffer(f.data), f.mode ?? 0o600, f.sync, false]));
  await Promise.all(files.map((f) => writeWithNode(f.file, tempName(f.file), toBuffer(f.data), f.mode ?? 0o600, f.sync, false)));
}

/** Writes `data` to `file` atomically (mode 0600 unless given). */
export function atomicWrite(file: string, data: string | Buffer, mode = 0o600): Promise<void> {
  return write(file, data, mode, true, true);
}

/**
 * atomicWrite with lighter durability, for state whose loss in a crash
 * the reader tolerates: the file is fsynced before the rename only when
 * `sync` (Docker's atomic file writer), the directory never. Still temp file
 * + rename: a reader or a crash sees the old file or the new one, never half.
 */
export function atomicWriteLight(file: string, data: string | Buffer, opts: { mode?: number; sync: boolean }): Promise<void> {
  return write(file, data, opts.mode ?? 0o600, opts.sync, false);
}

/** JSON form of atomicWrite (two-space indent, trailing newline). */
export async function atomicWriteJson(file: string, value: unknown, mode = 0o600): Promise<void> {
  await atomicWrite(file, JSON.stringify(value, null, 2) + '\n', mode);
}

/** Synchronous atomicWrite, for exit paths where the event loop is gone. */
export function atomicWriteSync(file: string, data: string | Buffer, mode = 0o600): void {
  const tmp = tempName(file);
  const fd = openSync(tmp, 'wx', mode);
  try {
    writeAll(fd, toBuffer(data));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/** Reads and parses a JSON file; undefined when it does not exist. */
export async function readJsonIfExists<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fsp.readFile(file, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
