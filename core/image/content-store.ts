/**
 * The content store: blobs by sha256 digest under `<root>/blobs/sha256/<hex>`.
 * A blob becomes visible only by rename after its digest was verified while
 * it streamed in, so a crash never leaves a wrong or partial blob there.
 * Ingests (`ingest(digest, size)`) are resumable: partial data stays in
 * `<root>/ingest/sha256-<hex>` across restarts, and `offset` says where to
 * resume (an HTTP `Range: bytes=<offset>-`). The shape matches the registry
 * plugin's BlobStore.
 */
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { InvalidArgumentError, NotFoundError } from '../errors';
import { checkDigest, digestHex } from './digest';

/** A resumable writer for one expected blob. */
export interface IngestWriter {
  /** Bytes already present from an earlier, interrupted ingest. */
  readonly offset: number;
  /** The file the data is appended to (readable while the ingest runs; renamed into place by commit). */
  readonly file: string;
  /** Appends data (after `offset`). */
  write(chunk: Buffer): Promise<void>;
  /** Appends several chunks in one system call. */
  writev(chunks: Buffer[]): Promise<void>;
  /** Discards the partial data (the server ignored our Range) and starts at 0. */
  restart(): Promise<void>;
  /**
   * Verifies size and digest, then makes the blob visible (durable first); on
   * mismatch deletes the partial data and throws InvalidArgumentError naming
   * both digests. `onVerified` is called as soon as the digest matched.
   */
  commit(onVerified?: () => void): Promise<void>;
  /** Stops writing, keeping the partial data for a later resume. */
  close(): Promise<void>;
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, 'r');
  try { await fh.sync(); } finally { await fh.close(); }
}

/** Blobs by digest (see file comment); open with ContentStore.open. */
export class ContentStore {
  /** Digests (hex) with an open ingest, and a promise settled when it ends. */
  private readonly active = new Map<string, Promise<void>>();

  private constructor(readonly root: string) {}

  /** Opens (creating) the store and removes stray temp files. Partial ingests are kept for resuming. */
  static async open(root: string): Promise<ContentStore> {
    await fsp.mkdir(path.join(root, 'blobs', 'sha256'), { recursive: true, mode: 0o700 });
    await fsp.mkdir(path.join(root, 'ingest'), { recursive: true, mode: 0o700 });
    for (const n of await fsp.readdir(path.join(root, 'ingest'))) {
      if (n.startsWith('tmp-')) await fsp.rm(path.join(root, 'ingest', n), { force: true });
    }
    return new ContentStore(root);
  }

  /** Path of a verified blob (whether or not it exists). */
  path(digest: string): string {
    return path.join(this.root, 'blobs', 'sha256', digestHex(digest));
  }

  /** Whether a verified blob is present. */
  async has(digest: string): Promise<boolean> {
    try { await fsp.access(this.path(digest)); return true; } catch { return false; }
  }

  /** Size of a blob; NotFoundError when absent. */
  async size(digest: string): Promise<number> {
    try { return (await fsp.stat(this.path(digest))).size; } catch {
      throw new NotFoundError(`blob ${digest} not found`);
    }
  }

  /** The blob's bytes; NotFoundError when absent. */
  async read(digest: string): Promise<Buffer> {
    try { return await fsp.readFile(this.path(digest)); } catch {
      throw new NotFoundError(`blob ${digest} not found`);
    }
  }

  /** A stream of the blob; NotFoundError when absent. */
  async stream(digest: string): Promise<Readable> {
    if (!(await this.has(digest))) throw new NotFoundError(`blob ${digest} not found`);
    return createReadStream(this.path(digest));
  }

  /** Digests of all blobs. */
  async list(): Promise<string[]> {
    return (await fsp.readdir(path.join(this.root, 'blobs', 'sha256'))).filter((n) => /^[a-f0-9]{64}$/.test(n)).map((n) => `sha256:${n}`);
  }

  /** Removes a blob (no-op when absent). */
  async remove(digest: string): Promise<void> {
    await fsp.rm(this.path(digest), { force: true });
  }

  /**
   * Writes a blob from bytes or a stream, hashing while it streams, and
   * renames it into place. With `expected`, a different digest is an
   * InvalidArgumentError and nothing is stored. Resolves with the digest.
   */
  async put(data: Buffer | Readable, expected?: string): Promise<string> {
    if (expected) checkDigest(expected);
    const tmp = path.join(this.root, 'ingest', `tmp-${randomBytes(8).toString('hex')}`);
    const hash = createHash('sha256');
    try {
      const fh = await fsp.open(tmp, 'wx', 0o600);
      try {
        const src = Buffer.isBuffer(data) ? Readable.from([data]) : data;
        for await (const c of src) {
          const b = Buffer.isBuffer(c) ? c : Buffer.from(c as Uint8Array);
          hash.update(b);
          let off = 0;
          while (off < b.length) off += (await fh.write(b, off)).bytesWritten;
        }
        await fh.sync();
      } finally { await fh.close(); }
      const digest = `sha256:${hash.digest('hex')}`;
      if (expected && digest !== expected) {
        throw new InvalidArgumentError(`content digest mismatch: expected ${expected}, got ${digest}`);
      }
      await fsp.rename(tmp, this.path(digest));
      await fsyncDir(path.dirname(this.path(digest)));
      return digest;
    } finally {
      await fsp.rm(tmp, { force: true });
    }
  }

  /**
   * Opens (or resumes) the ingest of `digest` of `size` bytes (-1: unknown).
   * The bytes already there are hashed first, so verification covers the
   * whole blob.
   */
  async ingest(digest: string, size: number): Promise<IngestWriter> {
    const hex = digestHex(digest);
    // One writer per digest at a time (an image may list the same blob twice):
    // a second ingest waits until the first commits or closes.
    while (this.active.has(hex)) await this.active.get(hex);
    let release!: () => void;
    this.active.set(hex, new Promise<void>((r) => { release = () => { this.active.delete(hex); r(); }; }));
    try {
      return await this.openIngest(digest, hex, size, () => release());
    } catch (err) {
      release();
      throw err;
    }
  }

  private async openIngest(digest: string, hex: string, size: number, release: () => void): Promise<IngestWriter> {
    const file = path.join(this.root, 'ingest', `sha256-${hex}`);
    const final = this.path(digest);
    let hash: Hash = createHash('sha256');
    let offset = 0;
    try {
      const st = await fsp.stat(file);
      if (size >= 0 && st.size > size) await fsp.truncate(file, 0);
      else {
        for await (const c of createReadStream(file)) hash.update(c as Buffer);
        offset = st.size;
      }
    } catch { /* fresh ingest */ }
    let fh = await fsp.open(file, 'a', 0o600);
    let written = offset;
    let closed = false;
    return {
      get offset() { return offset; },
      file,
      async write(chunk: Buffer): Promise<void> {
        if (closed) throw new InvalidArgumentError(`ingest of ${digest} is closed`);
        await fh.write(chunk);
        hash.update(chunk);
        written += chunk.length;
        if (size >= 0 && written > size) throw new InvalidArgumentError(`blob ${digest} is larger than the announced ${size} bytes`);
      },
      async writev(chunks: Buffer[]): Promise<void> {
        if (closed) throw new InvalidArgumentError(`ingest of ${digest} is closed`);
        const total = chunks.reduce((n, c) => n + c.length, 0);
        const { bytesWritten } = await fh.writev(chunks);
        if (bytesWritten < total) await fh.write(Buffer.concat(chunks).subarray(bytesWritten)); // a short writev: the rest
        for (const c of chunks) hash.update(c);
        written += total;
        if (size >= 0 && written > size) throw new InvalidArgumentError(`blob ${digest} is larger than the announced ${size} bytes`);
      },
      async restart(): Promise<void> {
        await fh.close();
        await fsp.truncate(file, 0);
        fh = await fsp.open(file, 'a', 0o600);
        hash = createHash('sha256');
        offset = 0;
        written = 0;
      },
      async commit(onVerified?: () => void): Promise<void> {
        closed = true;
        try {
          const got = `sha256:${hash.digest('hex')}`;
          if (got !== digest || (size >= 0 && written !== size)) {
            await fh.close();
            await fsp.rm(file, { force: true });
            throw new InvalidArgumentError(`blob verification failed: expected ${digest} (${size} bytes), got ${got} (${written} bytes)`);
          }
          onVerified?.();
          try { await fh.sync(); } finally { await fh.close(); }
          await fsp.rename(file, final);
          await fsyncDir(path.dirname(final));
        } finally {
          release();
        }
      },
      async close(): Promise<void> {
        if (closed) return;
        closed = true;
        try {
          await fh.sync().catch(() => undefined);
          await fh.close();
        } finally {
          release();
        }
      },
    };
  }
}
