/**
 * A BlobStore in a plain directory, for the protocol tests (production pulls
 * use core/image's ContentStore): where downloads land, are verified and wait
 * to be applied. An ingest is resumable: its partial data survives a crash
 * (kill -9) and the next ingest of the same digest continues from `offset`.
 * A blob appears under `blobs/` only after its digest was verified, by
 * rename, so a crash never leaves a wrong or partial blob there.
 *
 *     <dir>/ingest/<algo>-<hex>      partial download
 *     <dir>/blobs/<algo>/<hex>       verified blob
 */
import { createHash, type Hash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError } from '../../../core';
import type { BlobStore, IngestWriter } from '../../../plugins/registry/blob-store';

export class DigestMismatchError extends InvalidArgumentError {}

function splitDigest(digest: string): [string, string] {
  const m = /^(sha256|sha512):([a-f0-9]{64}|[a-f0-9]{128})$/.exec(digest);
  if (!m) throw new InvalidArgumentError(`unsupported or malformed digest "${digest}"`);
  return [m[1], m[2]];
}

/** A BlobStore in a plain directory. */
export class StagingStore implements BlobStore {
  constructor(readonly dir: string) {
    fs.mkdirSync(path.join(dir, 'ingest'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'blobs'), { recursive: true });
  }

  /** Verified blob present? */
  async has(digest: string): Promise<boolean> {
    try { await fs.promises.access(this.path(digest)); return true; } catch { return false; }
  }

  /** Path of the verified blob. */
  path(digest: string): string {
    const [algo, hex] = splitDigest(digest);
    return path.join(this.dir, 'blobs', algo, hex);
  }

  /** Path of the partial data of an ingest. */
  partialPath(digest: string): string {
    const [algo, hex] = splitDigest(digest);
    return path.join(this.dir, 'ingest', `${algo}-${hex}`);
  }

  /** Removes a verified blob; absent is fine. */
  async remove(digest: string): Promise<void> {
    await fs.promises.rm(this.path(digest), { force: true });
  }

  /** Opens or resumes an ingest; hashes the bytes already there so verification covers the whole blob. */
  async ingest(digest: string, size: number): Promise<IngestWriter> {
    const [algo] = splitDigest(digest);
    const partial = this.partialPath(digest);
    const final = this.path(digest);
    let offset = 0;
    try { offset = (await fs.promises.stat(partial)).size; } catch { /* fresh */ }
    if (offset > size) { await fs.promises.rm(partial, { force: true }); offset = 0; }
    let hash: Hash = createHash(algo);
    if (offset > 0) {
      for await (const c of fs.createReadStream(partial, { start: 0, end: offset - 1 })) hash.update(c as Buffer);
    }
    let fh = await fs.promises.open(partial, 'a');
    let written = offset;
    return {
      get offset() { return offset; },
      file: partial,
      async write(chunk: Buffer): Promise<void> {
        hash.update(chunk);
        written += chunk.length;
        let off = 0;
        while (off < chunk.length) off += (await fh.write(chunk, off)).bytesWritten;
      },
      async restart(): Promise<void> {
        await fh.truncate(0);
        await fh.close();
        fh = await fs.promises.open(partial, 'w');
        hash = createHash(algo);
        offset = 0;
        written = 0;
      },
      async commit(onVerified?: () => void): Promise<void> {
        const got = `${algo}:${hash.digest('hex')}`;
        if (written !== size || got !== digest) {
          await fh.close();
          await fs.promises.rm(partial, { force: true });
          throw new DigestMismatchError(written !== size
            ? `blob ${digest}: expected ${size} bytes, received ${written}; nothing was stored`
            : `blob digest mismatch: expected ${digest}, received content with digest ${got}; nothing was stored`);
        }
        onVerified?.();
        try { await fh.sync(); } finally { await fh.close(); }
        await fs.promises.mkdir(path.dirname(final), { recursive: true });
        await fs.promises.rename(partial, final);
      },
      async close(): Promise<void> {
        await fh.close().catch(() => undefined);
      },
    };
  }
}
