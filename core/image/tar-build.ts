/**
 * Building small tars in memory from a list of entries — for tests, test
 * helpers and synthetic layers (a config-only docker-archive, whiteout
 * layers). Not for large content: everything is held in memory.
 */
import * as tar from 'tar-stream';
import { paxFromXattrs } from './tar-pax';

/** One entry of a tar to build; defaults in buildTar. */
export interface TarEntrySpec {
  name: string;
  type?: tar.Header['type'];
  body?: string | Buffer;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: Date;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** Extended attributes, sent as PAX `SCHILY.xattr.*`. */
  xattrs?: Record<string, Buffer | string>;
}

/** The tar bytes of `entries`, in order. Directories default to 0755, files to 0644, owner 0:0. */
export async function buildTar(entries: TarEntrySpec[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => { chunks.push(Buffer.from(c as Buffer)); });
  const ended = new Promise<void>((resolve, reject) => { pack.on('end', () => resolve()); pack.on('error', reject); });
  for (const e of entries) {
    const type = e.type ?? 'file';
    const body = e.body === undefined ? Buffer.alloc(0) : Buffer.from(e.body);
    const h: tar.Header = {
      name: e.name,
      type,
      mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644),
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      mtime: e.mtime ?? new Date(1_600_000_000_000),
      size: type === 'file' ? body.length : 0,
      linkname: e.linkname ?? '',
      uname: '',
      gname: '',
      devmajor: e.devmajor ?? 0,
      devminor: e.devminor ?? 0,
    };
    if (e.xattrs) {
      h.pax = paxFromXattrs(new Map(Object.entries(e.xattrs).map(([k, v]) => [k, Buffer.from(v)])));
    }
    await new Promise<void>((resolve, reject) => pack.entry(h, type === 'file' ? body : Buffer.alloc(0), (err) => (err ? reject(err) : resolve())));
  }
  pack.finalize();
  await ended;
  return Buffer.concat(chunks);
}
