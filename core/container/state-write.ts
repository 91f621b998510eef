/**
 * The container's own files, written atomically (temp file + rename: a
 * reader or a crash sees the old file or the new one, never half of one) with
 * the durability each needs:
 *  - `durable`: state a crash must keep (config.v2.json, hostconfig.json). The
 *    file is fsynced before the rename, as Docker's atomic file writer does;
 *    the directory is not (a crash may then keep the previous state, which
 *    restore reconciles, never a torn one).
 *  - not durable: files rebuilt at every start (hostname, hosts, resolv.conf)
 *    and states a crash may lose (see the callers).
 */
import { atomicWriteLight } from '../fs/atomic-write';

/** Writes `data` to `file` atomically; fsyncs it first when `durable`. */
export function writeAtomic(file: string, data: string | Buffer, mode: number, durable: boolean): Promise<void> {
  return atomicWriteLight(file, data, { mode, sync: durable });
}

/** JSON form (two-space indent, trailing newline), mode 0600; durable unless told. */
export function writeStateJson(file: string, value: unknown, durable = true): Promise<void> {
  return writeAtomic(file, JSON.stringify(value, null, 2) + '\n', 0o600, durable);
}
