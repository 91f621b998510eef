/**
 * The container's own files, written atomically (temp file + rename: a
 * reader or a crash sees the old file or the new one, never half of one) with
 * the durability each needs:
 *  - `durable`: state a crash must keep (config.v2.json, hostconfig.json). The
 *    file is fsynced before the rename, as Docker's atomic file writer does;
 *    the directory is not (a crash may then keep the previous state, which
 *    restore reconciles, never a torn one).
 *  - not durable: files rebuilt at every start (hostname, hosts, resolv.conf),
 *    which a crash cannot make stale.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';

/** Writes `data` to `file` atomically; fsyncs it first when `durable`. */
export async function writeAtomic(file: string, data: string | Buffer, mode: number, durable: boolean): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await fsp.open(tmp, 'wx', mode);
  try {
    await fh.writeFile(data);
    if (durable) await fh.sync();
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

/** JSON form (two-space indent, trailing newline), mode 0600. */
export function writeStateJson(file: string, value: unknown): Promise<void> {
  return writeAtomic(file, JSON.stringify(value, null, 2) + '\n', 0o600, true);
}
