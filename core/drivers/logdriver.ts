/**
 * LogDriver — where a container's output goes.
 *
 * Vocabulary. A *message* is one line of a container's stdout or stderr (the
 * newline included when there was one), or a *partial* piece of a line longer
 * than the copier's buffer (16 KiB), which readers join again. A log driver
 * instance belongs to one container; it is created at container start by the
 * driver's factory with the container's `--log-opt` values.
 *
 * Errors: InvalidArgumentError naming the option for bad `--log-opt` values
 * (thrown by `validate`, so create fails early), NotImplementedError from
 * `read` of a driver without the read ability.
 */
import type { Readable } from 'node:stream';

export interface LogMessage {
  /** The bytes of the line, newline included when the line was complete. */
  line: Buffer;
  source: 'stdout' | 'stderr';
  /** Time the copier read the line. */
  time: Date;
  /**
   * The same instant in nanoseconds since the Unix epoch, when known. Drivers
   * that store nanosecond times (json-file) prefer it over `time`; readers set it.
   */
  timeNs?: bigint;
  /** Extra attributes stored with the message (json-file `attrs`: labels, env, tag); set by readers. */
  attrs?: Record<string, string>;
  /**
   * Set on every piece of a line split by the copier (16 KiB pieces), as
   * Docker does: ordinal counts from 1, `last` is true on the final piece
   * only (the one that carries the newline, if any).
   */
  partial?: { id: string; ordinal: number; last: boolean };
}

export interface LogReadOptions {
  /** Only messages at or after this time. */
  since?: Date;
  /** Only messages before this time. */
  until?: Date;
  /** Only the last N messages (-1 or undefined for all). */
  tail?: number;
  /** Keep reading as new messages arrive, across rotation, until the stream is destroyed. */
  follow: boolean;
}

/** Information about the container a driver instance logs for (for `tag`, `labels`, `env`). */
export interface LogContext {
  containerId: string;
  containerName: string;
  imageName: string;
  imageId: string;
  containerLabels: Record<string, string>;
  containerEnv: string[];
  /** Directory owned by the container, where file-based drivers keep their files. */
  containerDir: string;
  /** The container's `--log-opt` values. */
  options: Record<string, string>;
}

/**
 * Lines as the copier read them from one stream, without an object per line
 * (LogDriver.logLines): line i is `data[starts[i], ends[i])`, its newline
 * included when it has one, read at `timesNs[i]` (ns since the Unix epoch).
 * `complete[i]` is 0 for a partial piece that is not the last of its line
 * (a 16 KiB piece, or what ended the stream without a newline) — no partial
 * ids or ordinals: a driver that needs them implements only `log`/`logBatch`.
 */
export interface LogLines {
  readonly length: number;
  readonly source: 'stdout' | 'stderr';
  readonly data: Buffer;
  readonly starts: Uint32Array;
  readonly ends: Uint32Array;
  readonly timesNs: BigInt64Array;
  readonly complete: Uint8Array;
}

export interface LogDriver {
  /** Writes one message. Resolves when the message is accepted (written, or buffered in non-blocking mode). */
  log(msg: LogMessage): Promise<void>;
  /**
   * Optional, preferred by the blocking copier: writes the lines of one read,
   * in order, as one call (no object per line). Same promise as `log`.
   */
  logLines?(lines: LogLines): Promise<void>;
  /**
   * Optional: writes several messages, in order, as one call (the copier uses
   * it for every chunk it reads when present). Same promise as `log`.
   */
  logBatch?(msgs: LogMessage[]): Promise<void>;
  /** Flushes and closes. No log calls after this. */
  close(): Promise<void>;
}

/**
 * Messages read back a block at a time without an object per line
 * (LogReader.readBatches): message i is `data[i === 0 ? 0 : ends[i - 1], ends[i])`
 * of stream `sources[i]` (1 stdout, 2 stderr), at `sec[i]` seconds + `nsec[i]`
 * nanoseconds since the Unix epoch; `attrs[i]` when the driver stores any.
 */
export interface LogBatch {
  readonly length: number;
  readonly data: Buffer;
  readonly ends: Uint32Array;
  readonly sources: Uint8Array;
  readonly sec: Float64Array;
  readonly nsec: Uint32Array;
  readonly attrs?: ReadonlyArray<Record<string, string> | undefined>;
}

/** Optional ability: read messages back (`docker logs`). Yields whole lines, partials joined. */
export interface LogReader {
  read(opts: LogReadOptions): Readable; // object mode, LogMessage items
  /** Optional, faster: the same messages as `read`, as LogBatch items (object mode); `docker logs` prefers it. */
  readBatches?(opts: LogReadOptions): Readable;
}

/** Size at which the copier splits a line into partial messages (Docker's 16 KiB). */
export const LOG_PARTIAL_SIZE = 16 * 1024;

export interface LogDriverFactory {
  readonly name: string;
  /** Throws InvalidArgumentError naming the first bad option. */
  validate(options: Record<string, string>): void;
  create(ctx: LogContext): Promise<LogDriver & Partial<LogReader>>;
  /** The file the driver writes to, for inspect's `LogPath` ("" when none). */
  logPath?(ctx: Pick<LogContext, 'containerId' | 'containerDir'>): string;
}
