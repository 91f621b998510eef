/**
 * Atomic state writes: temp file in the same directory, fsync, rename, fsync
 * of the directory. A crash at any point leaves either the old file or the new
 * one, never half of one.
 */
import { promises as fsp, openSync, writeSync, fsyncSync, closeSync, renameSync } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';

function tempName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
}

/** Writes `data` to `file` atomically (mode 0600 unless given). */
export async function atomicWrite(file: string, data: string | Buffer, mode = 0o600): Promise<void> {
  await atomicWriteLight(file, data, { mode, sync: true });
  const dir = await fsp.open(path.dirname(file), 'r');
  try { await dir.sync(); } finally { await dir.close(); }
}

/**
 * atomicWrite with lighter durability, for state whose loss in a crash
 * the reader tolerates: the file is fsynced before the rename only when
 * `sync` (Docker's atomic file writer), the directory never. Still temp file
 * + rename: a reader or a crash sees the old file or the new one, never half.
 */
export async function atomicWriteLight(file: string, data: string | Buffer, opts: { mode?: number; sync: boolean }): Promise<void> {
  const tmp = tempName(file);
  const fh = await fsp.open(tmp, 'wx', opts.mode ?? 0o600);
  try {
    await fh.writeFile(data);
    if (opts.sync) await fh.sync();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await fsp.rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  try {
    await fsp.rename(tmp, file);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
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
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off);
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
