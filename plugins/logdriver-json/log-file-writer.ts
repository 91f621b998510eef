/**
 * The json-file writer: encodes messages into a batch, appends batches to
 * `<id>-json.log` with one write(2) each, and rotates by Docker's rule (before
 * a record, once the file has reached max-size): `log` → `log.1` → ... →
 * `log.<max-file - 1>`, gzipping `log.1` in the background when `compress` is
 * set; with max-file 1 the file is truncated instead.
 *
 * Followers (readers with `follow`) subscribe to learn of new bytes, of each
 * rotation (they get a handle on the new file, opened under the same lock as
 * the rename, so no generation is ever skipped), and of close.
 */
import { promises as fsp } from 'node:fs';
import { FailedPreconditionError, UnavailableError, type LogLines, type LogMessage } from '../../core';
import { ByteBatch, RecordLayout } from './json-encoder';
import { dateToNs, formatRfc3339Nano } from './json-time';
import { SerialLock } from './serial-lock';
import { compressRotated } from './gzip-rotated';
import type { FileOpener, RandomAccessFile } from './random-access-file';

export interface WriterConfig {
  path: string;
  /** -1: no rotation. */
  maxSize: number;
  maxFile: number;
  compress: boolean;
  attrsJson: string | null;
  opener: FileOpener;
}

/** What a follower hears from the writer. */
export interface WriterSubscriber {
  /** New bytes were appended to the current file. */
  onWrite(): void;
  /** The file was rotated; `next` is the new current file, already open for the subscriber. */
  onRotate(next: RandomAccessFile | null): void;
  /** The file was truncated in place (max-file 1). */
  onTruncate(): void;
  /** The writer closed: nothing more will be written. */
  onClose(): void;
}

/** A queue entry: rotate here; `lastTime` is the time of the last record of the file being closed. */
interface RotateMark { lastTime: string | null }
/** Seal the batch into the write queue at this size. */
const BATCH_BYTES = 256 * 1024;
/** `log` resolves at once while less than this is waiting to be written. */
const HIGH_WATER = 4 * 1024 * 1024;
const RESOLVED = Promise.resolve();

/** Rotated file names: `<path>.<i>`, `.gz` when compressed. */
export function rotatedName(path: string, i: number, gz: boolean): string {
  return `${path}.${i}${gz ? '.gz' : ''}`;
}

export class LogFileWriter {
  /** Serialises rotation, compression commits and readers opening the file set. */
  readonly lock = new SerialLock();
  private fh: fsp.FileHandle;
  private logical: number;
  private batch = new ByteBatch(BATCH_BYTES + 64 * 1024);
  private queue: Array<Buffer | RotateMark> = [];
  private queuedBytes = 0;
  private flushing: Promise<void> | null = null;
  private compressing: Promise<void> = RESOLVED;
  private lastTimeNs: bigint | null = null;
  private readonly layout: RecordLayout;
  /** Records dropped because writing them failed (ENOSPC, EIO, ...). */
  droppedOnError = 0;
  /** A write failure not yet reported through write()'s promise. */
  private pendingError: Error | null = null;
  /** A failed write left a cut record at the end of the file: start the next write with a newline. */
  private cutRecord = false;
  private closed = false;
  private readonly subscribers = new Set<WriterSubscriber>();

  private constructor(private readonly cfg: WriterConfig, fh: fsp.FileHandle, size: number) {
    this.fh = fh;
    this.logical = size;
    this.layout = new RecordLayout(cfg.attrsJson);
  }

  /** Opens (creating, mode 0640) the log file for appending; continues an existing file. */
  static async open(cfg: WriterConfig): Promise<LogFileWriter> {
    const fh = await fsp.open(cfg.path, 'a', 0o640);
    const { size } = await fh.stat();
    return new LogFileWriter(cfg, fh, size);
  }

  /**
   * Encodes one message and queues it. Resolves at once while the queue is
   * short, otherwise when the queue has been written (backpressure for the
   * blocking copier). A failed write(2) drops that batch of records (as
   * Docker drops a message it cannot write), rejects the flush that hit it,
   * and later writes are tried again.
   */
  write(msg: LogMessage): Promise<void> {
    if (this.closed) return Promise.reject(new FailedPreconditionError('log driver json-file is closed'));
    this.encode(msg);
    return this.afterEncode();
  }

  /** Like write() for several messages, with a single promise. */
  writeBatch(msgs: LogMessage[]): Promise<void> {
    if (this.closed) return Promise.reject(new FailedPreconditionError('log driver json-file is closed'));
    for (let i = 0; i < msgs.length; i++) this.encode(msgs[i]);
    return this.afterEncode();
  }

  /** Like writeBatch for the lines of one read (LogLines: no object per line). */
  writeLines(lines: LogLines): Promise<void> {
    if (this.closed) return Promise.reject(new FailedPreconditionError('log driver json-file is closed'));
    const { data, starts, ends, timesNs, complete, source } = lines;
    for (let i = 0; i < lines.length; i++) this.encodeRange(data, starts[i], ends[i], complete[i] === 1, source, timesNs[i]);
    return this.afterEncode();
  }

  private encode(msg: LogMessage): void {
    this.encodeRange(msg.line, 0, msg.line.length, !msg.partial || msg.partial.last, msg.source, msg.timeNs ?? dateToNs(msg.time));
  }

  /** Encodes the line data[from, to) (a trailing newline is dropped: `newline` says whether the record gets one). */
  private encodeRange(data: Buffer, from: number, to: number, newline: boolean, source: 'stdout' | 'stderr', timeNs: bigint): void {
    if (this.cfg.maxSize > 0 && this.logical >= this.cfg.maxSize) {
      this.seal();
      this.queue.push({ lastTime: this.lastTimeNs === null ? null : formatRfc3339Nano(this.lastTimeNs) });
      this.logical = 0;
    }
    if (to > from && data[to - 1] === 0x0a) to--;
    const before = this.batch.len;
    this.layout.encodeRange(this.batch, data, from, to, newline, source, timeNs);
    this.logical += this.batch.len - before;
    this.lastTimeNs = timeNs;
    if (this.batch.len >= BATCH_BYTES) this.seal();
  }

  private afterEncode(): Promise<void> {
    const flush = this.scheduleFlush();
    if (this.pendingError) {
      const err = this.pendingError;
      this.pendingError = null;
      return Promise.reject(err);
    }
    return this.queuedBytes + this.batch.len > HIGH_WATER ? this.reported(flush) : RESOLVED;
  }

  /** Writes everything queued; resolves when it is on disk (in the page cache). */
  flush(): Promise<void> {
    return this.reported(this.scheduleFlush());
  }

  /** A flush promise handed to a caller: its failure counts as reported (not repeated by the next write). */
  private reported(flush: Promise<void>): Promise<void> {
    return flush.catch((err: Error) => {
      if (this.pendingError === err) this.pendingError = null;
      throw err;
    });
  }

  /** Flushes, waits for background compression, closes the file and tells followers. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush().catch(() => undefined);
    this.closed = true;
    await this.compressing.catch(() => undefined);
    await this.fh.close();
    for (const s of this.subscribers) s.onClose();
    this.subscribers.clear();
  }

  /** Whether close() has been called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Registers a follower; returns its unsubscribe function. Call under `lock` to not miss a rotation. */
  subscribe(s: WriterSubscriber): () => void {
    if (this.closed) {
      queueMicrotask(() => s.onClose());
      return () => undefined;
    }
    this.subscribers.add(s);
    return () => { this.subscribers.delete(s); };
  }

  private seal(): void {
    if (this.batch.len === 0) return;
    this.queue.push(this.batch.bytes());
    this.queuedBytes += this.batch.len;
    this.batch = new ByteBatch(BATCH_BYTES + 64 * 1024);
  }

  private scheduleFlush(): Promise<void> {
    if (this.flushing) return this.flushing;
    const p = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.drain())
      .catch((err: Error) => { this.pendingError = err; throw err; })
      .finally(() => {
        if (this.flushing === p) this.flushing = null;
        if (this.queue.length > 0 || this.batch.len > 0) void this.scheduleFlush().catch(() => undefined);
      });
    p.catch(() => undefined); // callers that ignore it must not cause an unhandled rejection
    this.flushing = p;
    return p;
  }

  private async drain(): Promise<void> {
    let failure: Error | null = null;
    while (this.queue.length > 0 || this.batch.len > 0) {
      if (this.queue.length === 0) this.seal();
      const item = this.queue.shift() as Buffer | RotateMark;
      if (!Buffer.isBuffer(item)) {
        try {
          await this.rotate(item.lastTime);
        } catch (err) {
          failure ??= err as Error;
        }
        continue;
      }
      try {
        if (this.cutRecord) {
          await this.fh.write('\n', null);
          this.cutRecord = false;
        }
        let off = 0;
        while (off < item.length) {
          const { bytesWritten } = await this.fh.write(item, off, item.length - off, null);
          off += bytesWritten;
        }
      } catch (err) {
        failure ??= err as Error;
        // The failure may have cut a record: the next write starts on a new line.
        this.cutRecord = true;
        let n = 0;
        for (let k = item.indexOf(0x0a); k >= 0; k = item.indexOf(0x0a, k + 1)) n++;
        this.droppedOnError += n;
      } finally {
        this.queuedBytes -= item.length;
      }
      for (const s of this.subscribers) s.onWrite();
    }
    if (failure) throw new UnavailableError(`log driver json-file: cannot write ${this.cfg.path}: ${failure.message}`, { cause: failure });
  }

  private async rotate(lastTime: string | null): Promise<void> {
    const { path, maxFile, compress } = this.cfg;
    await this.compressing.catch(() => undefined);
    await this.lock.run(async () => {
      if (maxFile < 2) {
        await this.fh.truncate(0);
        for (const s of this.subscribers) s.onTruncate();
        return;
      }
      await this.fh.close();
      try {
        await this.shiftFiles();
      } finally {
        this.fh = await fsp.open(path, 'a', 0o640); // even when a rename failed: keep logging
      }
      for (const s of this.subscribers) {
        s.onRotate(await this.cfg.opener(path).catch(() => null));
      }
    });
    if (compress) {
      const src = rotatedName(path, 1, false);
      this.compressing = compressRotated(src, lastTime, (fn) => this.lock.run(fn));
      this.compressing.catch(() => undefined);
    }
  }

  /** `log.<n-1>` → `log.<n>` ..., `log` → `log.1` (the oldest removed). */
  private async shiftFiles(): Promise<void> {
    const { path, maxFile } = this.cfg;
    const last = maxFile - 1;
    await fsp.rm(rotatedName(path, last, false), { force: true });
    await fsp.rm(rotatedName(path, last, true), { force: true });
    for (let i = last; i > 1; i--) {
      for (const gz of [false, true]) {
        await fsp.rename(rotatedName(path, i - 1, gz), rotatedName(path, i, gz)).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT') throw err;
        });
      }
    }
    await fsp.rename(path, rotatedName(path, 1, false));
  }
}
