/**
 * Atomic state writes: temp file in the same directory, fsync, rename, fsync
 * of the directory. A crash at any point leaves either the old file or the new
 * one, never half of one.
 *
 * The open, write, close and rename are synchronous calls and only the fsyncs
 * go to libuv's thread pool: on this class of VM a pool round trip costs ~65
 * µs (a thread wake-up and an event-loop wake-up) while each of those
 * syscalls costs a few on a local filesystem, and a container start writes a
 * dozen such files (docs/benchmarks.md, session 6). The data root is meant to
 * be a local filesystem; on a slow network one these calls block the loop.
 */
import { closeSync, fsync, fsyncSync, openSync, renameSync, rmSync, writeSync, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';

function tempName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
}

/** fsync(2) of `fd` on the thread pool (the one slow step: it waits for the disk). */
function fsyncFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve())));
}

function writeAll(fd: number, data: string | Buffer): void {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off);
}

/** Writes `data` to `file` atomically (mode 0600 unless given). */
export async function atomicWrite(file: string, data: string | Buffer, mode = 0o600): Promise<void> {
  await atomicWriteLight(file, data, { mode, sync: true });
  const dir = openSync(path.dirname(file), 'r');
  try { await fsyncFd(dir); } finally { closeSync(dir); }
}

/**
 * atomicWrite with lighter durability, for state whose loss in a crash
 * the reader tolerates: the file is fsynced before the rename only when
 * `sync` (Docker's atomic file writer), the directory never. Still temp file
 * + rename: a reader or a crash sees the old file or the new one, never half.
 */
export async function atomicWriteLight(file: string, data: string | Buffer, opts: { mode?: number; sync: boolean }): Promise<void> {
  const tmp = tempName(file);
  const fd = openSync(tmp, 'wx', opts.mode ?? 0o600);
  let written = false;
  try {
    writeAll(fd, data);
    if (opts.sync) await fsyncFd(fd);
    written = true;
  } finally {
    closeSync(fd);
    if (!written) rmSync(tmp, { force: true });
  }
  try {
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
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
    writeAll(fd, data);
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
