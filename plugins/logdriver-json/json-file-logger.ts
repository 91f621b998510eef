/**
 * The json-file log driver instance of one container: writes through a
 * LogFileWriter, reads back through readLogFile.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import type { LogContext, LogDriver, LogLines, LogMessage, LogReadOptions, LogReader } from '../../core';
import { attrsJson, extraAttributes } from './log-attrs';
import { LogFileWriter, type WriterConfig, type WriterSubscriber } from './log-file-writer';
import { readLogBatches, readLogFile, type ReaderConfig } from './log-file-reader';
import { parseJsonFileOptions } from './log-options';
import { openFile, type FileOpener } from './random-access-file';

/** `<containerDir>/<id>-json.log`, Docker's place for it. */
export function jsonLogPath(ctx: Pick<LogContext, 'containerId' | 'containerDir'>): string {
  return path.join(ctx.containerDir, `${ctx.containerId}-json.log`);
}

export class JsonFileLogger implements LogDriver, LogReader {
  /** Opened at the first log() call: an instance that only reads never competes with the writing one. */
  private writer: LogFileWriter | null = null;
  private opening: Promise<LogFileWriter> | null = null;
  private closed = false;
  /** Followers that started while no writer was open: told when this instance closes. */
  private readonly writerless = new Set<WriterSubscriber>();

  private constructor(readonly path: string, private readonly config: WriterConfig) {}

  /**
   * Opens (or continues) the container's log file. Options must have been
   * validated; `opener` is how files are read (tests count bytes through it).
   */
  static async create(ctx: LogContext, opener: FileOpener = openFile): Promise<JsonFileLogger> {
    const opts = parseJsonFileOptions(ctx.options);
    const file = jsonLogPath(ctx);
    await (await fsp.open(file, 'a', 0o640)).close(); // the file exists from create on, as with Docker
    return new JsonFileLogger(file, { path: file, ...opts, attrsJson: attrsJson(extraAttributes(ctx, ctx.options)), opener });
  }

  private openWriter(): Promise<LogFileWriter> {
    this.opening ??= LogFileWriter.open(this.config).then((w) => { this.writer = w; return w; });
    return this.opening;
  }

  /** Queues one record; resolves when accepted (at once unless several MiB wait to be written). */
  log(msg: LogMessage): Promise<void> {
    if (this.writer) return this.writer.write(msg);
    return this.openWriter().then((w) => w.write(msg));
  }

  /** Queues several records in order, with one promise (used by the copier per chunk read). */
  logBatch(msgs: LogMessage[]): Promise<void> {
    if (this.writer) return this.writer.writeBatch(msgs);
    return this.openWriter().then((w) => w.writeBatch(msgs));
  }

  /** Queues the lines of one read in order, with one promise (the blocking copier's way: no object per line). */
  logLines(lines: LogLines): Promise<void> {
    if (this.writer) return this.writer.writeLines(lines);
    return this.openWriter().then((w) => w.writeLines(lines));
  }

  /** Resolves when every accepted record is written. */
  async flush(): Promise<void> {
    if (this.opening) await (await this.opening).flush();
  }

  /** Writes what is queued, closes the file, and ends followers after they read it all. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.opening) await (await this.opening).close();
    for (const s of this.writerless) s.onClose();
    this.writerless.clear();
  }

  /**
   * Streams messages back (partials joined). With `follow`, continues across
   * rotations until the stream is destroyed or this driver is closed.
   */
  read(opts: LogReadOptions): Readable {
    return readLogFile(this.readerConfig(), opts);
  }

  /** The same messages as `read`, as LogBatch items: a read block at a time, no object per line. */
  readBatches(opts: LogReadOptions): Readable {
    return readLogBatches(this.readerConfig(), opts);
  }

  /**
   * How readers of this instance read. A follower hears of writes and of
   * the close from the open writer; one that starts before the first line
   * (`docker logs -f` of a container that has printed nothing yet) or just
   * after the close polls the file, and ends when this instance closes
   * (it followed for good).
   */
  private readerConfig(): ReaderConfig {
    const writer = this.writer && !this.writer.isClosed ? this.writer : null;
    return {
      path: this.path, opener: this.config.opener, writer,
      onInstanceClose: (s) => {
        if (this.closed) { queueMicrotask(() => s.onClose()); return () => undefined; }
        this.writerless.add(s);
        return () => { this.writerless.delete(s); };
      },
    };
  }
}
