/**
 * The json-file log driver instance of one container: writes through a
 * LogFileWriter, reads back through readLogFile.
 */
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import type { LogContext, LogDriver, LogMessage, LogReadOptions, LogReader } from '../../core';
import { attrsJson, extraAttributes } from './log-attrs';
import { LogFileWriter } from './log-file-writer';
import { readLogFile } from './log-file-reader';
import { parseJsonFileOptions } from './log-options';
import { openFile, type FileOpener } from './random-access-file';

/** `<containerDir>/<id>-json.log`, Docker's place for it. */
export function jsonLogPath(ctx: Pick<LogContext, 'containerId' | 'containerDir'>): string {
  return path.join(ctx.containerDir, `${ctx.containerId}-json.log`);
}

export class JsonFileLogger implements LogDriver, LogReader {
  private constructor(readonly path: string, private readonly writer: LogFileWriter, private readonly opener: FileOpener) {}

  /**
   * Opens (or continues) the container's log file. Options must have been
   * validated; `opener` is how files are read (tests count bytes through it).
   */
  static async create(ctx: LogContext, opener: FileOpener = openFile): Promise<JsonFileLogger> {
    const opts = parseJsonFileOptions(ctx.options);
    const file = jsonLogPath(ctx);
    const writer = await LogFileWriter.open({
      path: file, ...opts, attrsJson: attrsJson(extraAttributes(ctx, ctx.options)), opener,
    });
    return new JsonFileLogger(file, writer, opener);
  }

  /** Queues one record; resolves when accepted (at once unless several MiB wait to be written). */
  log(msg: LogMessage): Promise<void> {
    return this.writer.write(msg);
  }

  /** Resolves when every accepted record is written. */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  /** Writes what is queued, closes the file, and ends followers after they read it all. */
  close(): Promise<void> {
    return this.writer.close();
  }

  /**
   * Streams messages back (partials joined). With `follow`, continues across
   * rotations until the stream is destroyed or this driver is closed.
   */
  read(opts: LogReadOptions): Readable {
    return readLogFile({ path: this.path, opener: this.opener, writer: this.writer.isClosed ? null : this.writer }, opts);
  }
}
