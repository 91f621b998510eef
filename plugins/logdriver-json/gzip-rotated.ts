/**
 * Compression of rotated json-file logs, as Docker does it: gzip, with the
 * time of the file's last record in the gzip header's Extra field as Go's
 * `json.Marshal(rotateFileMetadata{LastTime})` (`{"lastTime":"...Z"}`, the
 * field's json tag, as seen in dockerd's files), so a
 * reader with `since` can skip whole files without inflating them.
 */
import { promises as fsp } from 'node:fs';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';

const deflateRaw = promisify(zlib.deflateRaw);
const gunzip = promisify(zlib.gunzip);

/** A gzip member with FEXTRA set, as Go's gzip.Writer writes it (mtime 0, OS 255). */
export async function gzipWithExtra(data: Buffer, extra: Buffer): Promise<Buffer> {
  const header = Buffer.alloc(12);
  header[0] = 0x1f; header[1] = 0x8b; header[2] = 8; header[3] = 0x04; // FEXTRA
  header.writeUInt32LE(0, 4); // mtime
  header[8] = 0; header[9] = 255;
  header.writeUInt16LE(extra.length, 10);
  const body = await deflateRaw(data);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(zlib.crc32(data) >>> 0, 0);
  trailer.writeUInt32LE(data.length >>> 0, 4);
  return Buffer.concat([header, extra, body, trailer]);
}

/** The LastTime text from a gzip header written by gzipWithExtra, or null. */
export function gzipLastTime(gz: Buffer): string | null {
  if (gz.length < 12 || gz[0] !== 0x1f || gz[1] !== 0x8b || (gz[3] & 0x04) === 0) return null;
  const xlen = gz.readUInt16LE(10);
  try {
    const meta = JSON.parse(gz.subarray(12, 12 + xlen).toString('utf8')) as { lastTime?: unknown; LastTime?: unknown };
    const t = meta.lastTime ?? meta.LastTime;
    return typeof t === 'string' ? t : null;
  } catch {
    return null;
  }
}

/** Inflates a rotated file. */
export function gunzipFile(gz: Buffer): Promise<Buffer> {
  return gunzip(gz);
}

/**
 * Compresses `src` to `src.gz`: writes `src.gz.tmp`, then `commit` (run under
 * the writer's lock) renames it into place and removes `src`, so readers see
 * either the plain file or the whole compressed one.
 */
export async function compressRotated(
  src: string, lastTime: string | null, commit: (fn: () => Promise<void>) => Promise<void>,
): Promise<void> {
  const data = await fsp.readFile(src);
  const extra = Buffer.from(lastTime ? `{"lastTime":"${lastTime}"}` : '{"lastTime":"0001-01-01T00:00:00Z"}');
  const gz = await gzipWithExtra(data, extra);
  const tmp = `${src}.gz.tmp`;
  try {
    await fsp.writeFile(tmp, gz, { mode: 0o640 });
    await commit(async () => {
      await fsp.rename(tmp, `${src}.gz`);
      await fsp.rm(src, { force: true });
    });
  } catch (err) {
    await fsp.rm(tmp, { force: true }); // the plain rotated file stays, and is read as such
    throw err;
  }
}
