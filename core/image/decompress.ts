/**
 * Layer blobs arrive gzip-compressed (Docker, OCI), zstd-compressed (OCI
 * `+zstd`) or plain. `decompress` sniffs the magic bytes and streams the
 * plain tar: zlib for gzip, the pure-JS `fzstd` streaming decoder for zstd.
 */
import { PassThrough, Readable, pipeline } from 'node:stream';
import * as zlib from 'node:zlib';
import { Decompress as ZstdDecompress } from 'fzstd';
import { InvalidArgumentError } from '../errors';

/** What `sniffCompression` can tell apart. */
export type Compression = 'gzip' | 'zstd' | 'none';

/** The compression of a stream by its first bytes. */
export function sniffCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

const asBuffer = (v: Uint8Array): Buffer => (Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength));

/** A stream of the uncompressed bytes of `input`, whatever of gzip/zstd/plain it is. */
export function decompress(input: Readable): Readable {
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  void (async () => {
    const it = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    let head: Buffer = Buffer.alloc(0);
    let done = false;
    while (head.length < 4) {
      const r = await it.next();
      if (r.done) { done = true; break; }
      head = head.length === 0 ? asBuffer(r.value) : Buffer.concat([head, asBuffer(r.value)]);
    }
    async function* rest(): AsyncGenerator<Buffer> {
      if (head.length) yield head;
      if (done) return;
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        yield asBuffer(r.value); // no copy: a layer is tens of MB
      }
    }
    const kind = sniffCompression(head);
    const src = Readable.from(rest(), { objectMode: false });
    if (kind === 'gzip') {
      pipeline(src, zlib.createGunzip({ chunkSize: 1 << 18 }), out, () => undefined);
    } else if (kind === 'zstd') {
      const z = new ZstdDecompress();
      const chunks: Buffer[] = [];
      z.ondata = (d: Uint8Array) => { chunks.push(Buffer.from(d.buffer, d.byteOffset, d.byteLength)); };
      const flush = async (): Promise<void> => {
        for (const c of chunks.splice(0)) {
          if (!out.write(c)) await new Promise<void>((r) => out.once('drain', () => r()));
        }
      };
      for await (const c of src) {
        try { z.push(new Uint8Array(c as Buffer)); } catch (e) {
          throw new InvalidArgumentError(`invalid zstd stream: ${(e as Error).message}`);
        }
        await flush();
      }
      z.push(new Uint8Array(0), true);
      await flush();
      out.end();
    } else {
      pipeline(src, out, () => undefined);
    }
  })().catch((err: unknown) => out.destroy(err as Error));
  return out;
}
