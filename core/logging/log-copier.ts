/**
 * The daemon's log copier (shim → copier → driver), like Docker's
 * `logger.Copier`: reads a container's stdout and stderr, cuts them into
 * messages (LineSplitter), stamps each with the time it was read, and hands
 * them to the container's log driver.
 *
 * - `blocking` (default): a stream is not read further until the driver has
 *   accepted its previous messages, so nothing is lost; the container is
 *   slowed down by a slow driver (through the pipe), exactly as in Docker.
 * - `non-blocking`: streams are read as fast as they come into a ring buffer
 *   of `maxBufferSize` bytes (default 1 MB, Docker's); when the driver is
 *   slower than the container the oldest messages are dropped and counted.
 *
 * Order is kept per stream. A copier is restartable: after `stop()` (or the
 * end of the streams), `startLogCopier` on a new ProcessIO with the same
 * driver continues appending to the same log.
 */
import type { Readable } from 'node:stream';
import type { LogDriver, LogLines, LogMessage } from '../drivers/logdriver';
import type { ProcessIO } from '../drivers/execdriver';
import { InvalidArgumentError } from '../errors';
import { LineSplitter } from './line-splitter';
import { MessageRing } from './message-ring';
import { nowNs } from './log-clock';

/** Bytes of a chunk split into messages at a time in blocking mode (see feed). */
const SLICE_BYTES = 8 * 1024;

/** Docker's default `max-buffer-size` for non-blocking mode (1 MB). */
export const DEFAULT_MAX_BUFFER_SIZE = 1_000_000;

export interface LogCopierOptions {
  mode?: 'blocking' | 'non-blocking';
  /** Bytes of message text the non-blocking ring holds. */
  maxBufferSize?: number;
  /** Clock in ns since the epoch (tests); defaults to the monotonic wall clock. */
  clock?: () => bigint;
  /** Called with errors from the driver or the streams (the copier keeps going). */
  onError?: (err: Error) => void;
}

export interface LogCopier {
  /** Resolves when both streams have ended (or stop() was called) and every kept message was handed to the driver. */
  wait(): Promise<void>;
  /**
   * Stops reading (for a daemon restart or detach): what the streams already
   * hold is still delivered, nothing more is read; resolves like wait(). Does
   * not close the driver. For a lossless handoff, close the source first
   * (the shim connection) and use wait(): stop() cannot save what is still
   * in flight below the stream (socket buffers).
   */
  stop(): Promise<void>;
  /** Messages dropped by the non-blocking ring so far. */
  readonly dropped: number;
  /** Messages handed to the driver so far. */
  readonly copied: number;
  /** Errors the driver reported so far (json-file: failed writes; what could not be written is dropped, as in Docker). */
  readonly errors: number;
}

interface Pump { done: Promise<void>; detach(): void }

/**
 * Feeds a stream's chunks to `onChunk`, pausing the stream while the promise
 * it returns is pending. `done` resolves after the stream ended and EVERY
 * promise `onChunk` returned has settled — not only the last one: the stream
 * may flow again while one is pending, because someone else resumed it
 * (child_process resumes its stdio streams when the process exits), and then
 * several are pending at once.
 */
function pump(stream: Readable, onChunk: (chunk: Buffer) => Promise<void> | undefined, onError: (e: Error) => void): Pump {
  let detach = (): void => undefined;
  const done = new Promise<void>((resolve) => {
    let chain: Promise<void> = Promise.resolve();
    let inFlight = 0;
    let finished = false;
    let detached = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      stream.off('data', onData);
      stream.off('end', finish);
      stream.off('close', finish);
      stream.off('error', onErr);
      void chain.then(resolve);
    };
    const onData = (chunk: Buffer | string): void => {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      const p = onChunk(buf);
      if (p) {
        stream.pause();
        inFlight++;
        const before = chain;
        chain = p.then(() => before).then(() => { if (--inFlight === 0 && !detached && !finished) stream.resume(); });
      }
    };
    const onErr = (e: Error): void => { onError(e); finish(); };
    stream.on('data', onData);
    stream.once('end', finish);
    stream.once('close', finish);
    stream.once('error', onErr);
    detach = (): void => {
      if (finished) return;
      detached = true;
      stream.pause();
      stream.off('data', onData);
      // What the stream already holds was taken from the process: deliver it too, in order.
      for (let c = stream.read() as Buffer | string | null; c !== null; c = stream.read() as Buffer | string | null) {
        const buf = typeof c === 'string' ? Buffer.from(c) : c;
        chain = chain.then(() => onChunk(buf));
      }
      finish();
    };
  });
  return { done, detach };
}

/**
 * Starts copying `io.stdout` and `io.stderr` (null with a terminal) to
 * `driver`. InvalidArgumentError for a bad mode or buffer size.
 */
export function startLogCopier(io: ProcessIO, driver: LogDriver, opts: LogCopierOptions = {}): LogCopier {
  const mode = opts.mode ?? 'blocking';
  if (mode !== 'blocking' && mode !== 'non-blocking') throw new InvalidArgumentError(`logger: logging mode not supported: ${String(mode)}`);
  const maxBufferSize = opts.maxBufferSize ?? DEFAULT_MAX_BUFFER_SIZE;
  if (!(maxBufferSize > 0)) throw new InvalidArgumentError(`logger: max-buffer-size must be positive, got ${maxBufferSize}`);
  const clock = opts.clock ?? nowNs;
  let reportedErr = false;
  const onError = (err: Error): void => {
    if (opts.onError) opts.onError(err);
    else if (!reportedErr) { reportedErr = true; process.emitWarning(`log copier: ${err.message}`); }
  };
  const stats = { copied: 0, errors: 0 };

  const deliver = async (m: LogMessage): Promise<void> => {
    try {
      await driver.log(m);
      stats.copied++;
    } catch (err) {
      stats.errors++;
      onError(err as Error);
    }
  };

  const streams: Array<[Readable, 'stdout' | 'stderr']> = [[io.stdout, 'stdout']];
  if (io.stderr) streams.push([io.stderr, 'stderr']);

  let ring: MessageRing | null = null;
  let pumps: Pump[];
  let finished: Promise<void>;

  if (mode === 'blocking') {
    pumps = streams.map(([stream, source]) => {
      const pending: LogMessage[] = [];
      const splitter = new LineSplitter(source, (m) => pending.push(m), clock);
      const flush = async (): Promise<void> => {
        const batch = pending.splice(0);
        if (batch.length === 0) return;
        if (driver.logBatch) {
          try {
            await driver.logBatch(batch);
            stats.copied += batch.length;
          } catch (err) {
            stats.errors += batch.length;
            onError(err as Error);
          }
          return;
        }
        for (const m of batch) await deliver(m);
      };
      const deliverLines = async (lines: LogLines | null): Promise<void> => {
        if (!lines) return;
        try {
          await driver.logLines!(lines);
          stats.copied += lines.length;
        } catch (err) {
          stats.errors += lines.length;
          onError(err as Error);
        }
      };
      const feed = async (chunk: Buffer): Promise<void> => {
        if (driver.logLines) { await deliverLines(splitter.pushLines(chunk)); return; }
        // Messages: a chunk (up to 64 KiB, ~9,000 short lines) is cut into
        // slices of about 8 KiB at line ends, each handed to the driver before
        // the next is split, so its messages die young (a small young generation).
        for (let off = 0; off < chunk.length;) {
          let end = Math.min(chunk.length, off + SLICE_BYTES);
          if (end < chunk.length) {
            const nl = chunk.lastIndexOf(0x0a, end - 1);
            if (nl >= off) end = nl + 1;
          }
          splitter.push(chunk.subarray(off, end));
          off = end;
          await flush();
        }
      };
      // One chunk at a time, in order: a chunk that arrives while the previous
      // one is still being delivered (the stream was resumed by someone else)
      // must not overtake it.
      let feeding: Promise<void> = Promise.resolve();
      const p = pump(stream, (chunk) => (feeding = feeding.then(() => feed(chunk))), onError);
      const end = async (): Promise<void> => {
        await feeding;
        if (driver.logLines) { await deliverLines(splitter.endLines()); return; }
        splitter.end();
        await flush();
      };
      return { done: p.done.then(end), detach: p.detach };
    });
    finished = Promise.all(pumps.map((p) => p.done)).then(() => undefined);
  } else {
    const r = new MessageRing(maxBufferSize);
    ring = r;
    let wake: (() => void) | null = null;
    let ended = false;
    const kick = (): void => { const w = wake; wake = null; w?.(); };
    pumps = streams.map(([stream, source]) => {
      const splitter = new LineSplitter(source, (m) => { r.push(m); kick(); }, clock);
      const p = pump(stream, (chunk) => { splitter.push(chunk); return undefined; }, onError);
      return { done: p.done.then(() => { splitter.end(); kick(); }), detach: p.detach };
    });
    const consumer = (async () => {
      for (;;) {
        if (driver.logBatch && r.length > 1) {
          const batch = r.shiftMany(256);
          try {
            await driver.logBatch(batch);
            stats.copied += batch.length;
          } catch (err) {
            stats.errors += 1;
            onError(err as Error);
          }
          continue;
        }
        const m = r.shift();
        if (m) { await deliver(m); continue; }
        if (ended) return;
        await new Promise<void>((resolve) => { wake = resolve; });
      }
    })();
    finished = Promise.all(pumps.map((p) => p.done)).then(() => { ended = true; kick(); return consumer; });
  }

  return {
    wait: () => finished,
    stop: () => { for (const p of pumps) p.detach(); return finished; },
    get dropped() { return ring ? ring.dropped : 0; },
    get copied() { return stats.copied; },
    get errors() { return stats.errors; },
  };
}
