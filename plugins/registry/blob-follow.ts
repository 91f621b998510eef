/**
 * Extraction while downloading. A BlobFollower reads a blob's ingest file as
 * the download appends to it (like `tail -f`), so a layer is decompressed and
 * extracted while its bytes still arrive, without holding the download back:
 * the download writes to its file at network speed, the reader follows at
 * extraction speed, and the page cache hands the bytes over.
 *
 * The follow stream ends only once the download's digest was verified and the
 * blob committed; a failed download (wrong digest, too many bytes, given up
 * after retries) makes the stream fail, so whatever consumed it is thrown away
 * (a layer is committed only after its stream ended). Resumes and retries
 * need nothing special: the reader starts at byte 0 of the ingest file, which
 * holds the bytes of earlier attempts too, and only ever reads bytes the
 * download reported as written.
 */
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';

export class BlobFollower {
  private ingestFile: string | null = null;
  private finalFile: string | null = null;
  private written = 0;
  private complete = false;
  private error: Error | null = null;
  private waiters: Array<() => void> = [];
  /** Bumped by every notify(): a reader that saw an older value must look again instead of waiting. */
  private version = 0;

  /** The download (re)opened its ingest at `file`, which holds `written` bytes. */
  attach(file: string, written: number): void {
    this.ingestFile ??= file;
    this.written = written;
    this.notify();
  }

  /** The ingest file now holds `written` bytes (fewer after the download started over). */
  grew(written: number): void {
    this.written = written;
    this.notify();
  }

  /** The blob's digest matched; it has `size` bytes and is (or is about to be) stored at `file`. */
  finish(file: string, size: number): void {
    this.finalFile = file;
    this.written = size;
    this.complete = true;
    this.notify();
  }

  /** The download failed for good: followers fail with `err`. */
  fail(err: unknown): void {
    this.error ??= err instanceof Error ? err : new Error(String(err));
    this.notify();
  }

  private notify(): void {
    this.version++;
    for (const w of this.waiters.splice(0)) w();
  }

  private changed(): Promise<void> {
    return new Promise((r) => this.waiters.push(r));
  }

  /** Opens the file to read: the ingest, or the blob it was renamed to (null: not there yet). */
  private async open(): Promise<FileHandle | null> {
    const complete = this.complete;
    for (const f of [this.ingestFile, this.finalFile, this.ingestFile]) {
      if (!f) continue;
      try { return await fsp.open(f, 'r'); } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    if (complete) throw new Error(`blob file ${this.finalFile ?? ''} is gone`);
    return null;
  }

  /** A stream of the blob's bytes from the start; ends after verification, fails when the download does. */
  stream(): Readable {
    let fh: FileHandle | null = null;
    let pos = 0;
    const pump = async (): Promise<void> => {
      try {
        for (;;) {
          // changes made while this pass awaited (open, read) must not be slept through
          const seen = this.version;
          if (this.error) throw this.error;
          if (pos < this.written) {
            const settled = this.complete;
            if (!fh) {
              const h = await this.open();
              if (out.destroyed) { await h?.close(); return; }
              fh = h;
            }
            if (fh) {
              const buf = Buffer.allocUnsafe(Math.min(this.written - pos, 1 << 20));
              const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
              if (bytesRead > 0) {
                pos += bytesRead;
                out.push(buf.subarray(0, bytesRead));
                return;
              }
              // A short read: the download truncated its file to start over. Wait for it.
              if (settled) throw new Error(`blob file ended at ${pos} of ${this.written} bytes`);
            }
          } else if (this.complete) {
            out.push(null);
            return;
          }
          if (this.version === seen) await this.changed();
          if (out.destroyed) return;
        }
      } catch (err) {
        out.destroy(err as Error);
      }
    };
    const out = new Readable({
      highWaterMark: 1 << 20,
      read: () => { void pump(); },
      destroy: (err, cb) => {
        const h = fh;
        fh = null;
        if (h) h.close().then(() => cb(err), () => cb(err)); else cb(err);
      },
    });
    return out;
  }
}
