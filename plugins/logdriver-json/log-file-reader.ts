/**
 * Reading a json-file log back (`docker logs`): rotated files oldest first
 * (inflating `.gz` ones, skipping those whose LastTime is before `since`),
 * then the current file; `tail` reads backwards from the end instead;
 * `follow` keeps reading the current file as it grows and moves to the new
 * file at each rotation without losing or repeating a record.
 */
import type { Readable } from 'node:stream';
import type { LogBatch, LogMessage, LogReadOptions } from '../../core';
import { BatchAssembler } from './batch-assembler';
import { gunzipFile, gzipLastTime } from './gzip-rotated';
import { rotatedName, type LogFileWriter, type WriterSubscriber } from './log-file-writer';
import { memoryFile, type FileOpener, type RandomAccessFile } from './random-access-file';
import { recordTimeNs } from './record-decoder';
import { producerStream, type Push } from './producer-stream';
import { TAIL_BLOCK, tailRecords, type TailState } from './tail-records';

export interface ReaderConfig {
  path: string;
  opener: FileOpener;
  /** The writer of the same driver instance, when it is writing: followers then hear of writes and rotations. */
  writer: LogFileWriter | null;
  /** How often a follower without a writer looks for growth and rotation (ms). */
  pollMs?: number;
  /**
   * Without a writer: registers a follower to hear when the driver instance
   * closes (one that will write but has not yet, or has just closed), so it
   * ends then instead of following for good. Returns its unsubscribe.
   */
  onInstanceClose?: (s: WriterSubscriber) => () => void;
}

const READ_BLOCK = 1024 * 1024;

async function tryOpen(opener: FileOpener, path: string): Promise<RandomAccessFile | null> {
  try {
    return await opener(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

interface Rotated { file: RandomAccessFile; gz: boolean }

/** Opens every rotated file (oldest first) and the current one. */
async function openFileSet(cfg: ReaderConfig): Promise<{ rotated: Rotated[]; current: RandomAccessFile | null }> {
  const rotated: Rotated[] = [];
  for (let i = 1; ; i++) {
    const plain = await tryOpen(cfg.opener, rotatedName(cfg.path, i, false));
    const file = plain ?? await tryOpen(cfg.opener, rotatedName(cfg.path, i, true));
    if (!file) break;
    rotated.unshift({ file, gz: plain === null });
  }
  return { rotated, current: await tryOpen(cfg.opener, cfg.path) };
}

/**
 * Reads complete records in [from, to), handing each to `onRecord` as
 * (block, start, end); returns the offset after the last complete one (a
 * record still being written is left for the next call). `beforeBlock` is
 * told each block's size, `afterBlock` runs after its records.
 */
async function readForward(
  file: RandomAccessFile, from: number, to: number, onRecord: (b: Buffer, start: number, end: number) => boolean,
  beforeBlock: (bytes: number) => void, afterBlock: () => Promise<void>,
): Promise<{ pos: number; stopped: boolean }> {
  let pos = from;
  let carry: Buffer = Buffer.alloc(0);
  while (pos < to) {
    const chunk = await file.read(pos, Math.min(READ_BLOCK, to - pos));
    if (chunk.length === 0) break;
    pos += chunk.length;
    const data = carry.length ? Buffer.concat([carry, chunk]) : chunk;
    beforeBlock(data.length);
    let start = 0;
    for (let nl = data.indexOf(0x0a); nl >= 0; nl = data.indexOf(0x0a, start)) {
      if (!onRecord(data, start, nl + 1)) {
        await afterBlock();
        return { pos: pos - data.length + nl + 1, stopped: true };
      }
      start = nl + 1;
    }
    carry = data.subarray(start);
    await afterBlock(); // hand this block's messages to the consumer before reading on: memory stays bounded
  }
  return { pos: pos - carry.length, stopped: false };
}

/** Offset just after the last newline before `size`. */
async function lastRecordEnd(file: RandomAccessFile, size: number): Promise<number> {
  let pos = size;
  while (pos > 0) {
    const start = Math.max(0, pos - TAIL_BLOCK);
    const chunk = await file.read(start, pos - start);
    const nl = chunk.lastIndexOf(0x0a);
    if (nl >= 0) return start + nl + 1;
    pos = start;
  }
  return 0;
}

/** Events a follower receives from its writer. */
class FollowEvents implements WriterSubscriber {
  rotations: Array<{ next: RandomAccessFile | null } | 'truncate'> = [];
  closed = false;
  private waiter: (() => void) | null = null;
  private dirty = false;
  onWrite(): void { this.wake(); }
  onRotate(next: RandomAccessFile | null): void { this.rotations.push({ next }); this.wake(); }
  onTruncate(): void { this.rotations.push('truncate'); this.wake(); }
  onClose(): void { this.closed = true; this.wake(); }
  wake(): void {
    const w = this.waiter;
    this.waiter = null;
    if (w) w(); else this.dirty = true;
  }
  /** Resolves at the next event, after `ms`, or on abort. */
  wait(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (this.dirty) { this.dirty = false; resolve(); return; }
      const timer = setTimeout(done, ms);
      const onAbort = (): void => done();
      signal.addEventListener('abort', onAbort, { once: true });
      function done(): void { clearTimeout(timer); signal.removeEventListener('abort', onAbort); resolve(); }
      this.waiter = done;
    });
  }
}

/** Message `i` of `batch` as a LogMessage. */
export function batchMessage(batch: LogBatch, i: number): LogMessage {
  const sec = batch.sec[i];
  const nsec = batch.nsec[i];
  const msg: LogMessage = {
    line: batch.data.subarray(i === 0 ? 0 : batch.ends[i - 1], batch.ends[i]),
    source: batch.sources[i] === 2 ? 'stderr' : 'stdout',
    time: new Date(sec * 1000 + Math.floor(nsec / 1e6)),
    timeNs: BigInt(sec) * 1_000_000_000n + BigInt(nsec),
  };
  const attrs = batch.attrs?.[i];
  if (attrs) msg.attrs = attrs;
  return msg;
}

/** Streams a json-file log's messages (object mode LogMessage) per `opts`. */
export function readLogFile(cfg: ReaderConfig, opts: LogReadOptions): Readable {
  return producerStream<LogMessage>((push, signal) => produce(cfg, opts, async (batch) => {
    for (let i = 0; i < batch.length && !signal.aborted; i++) {
      const p = push(batchMessage(batch, i));
      if (p) await p;
    }
  }, signal));
}

/** Streams a json-file log's messages per `opts` as LogBatch items (object mode), a read block at a time. */
export function readLogBatches(cfg: ReaderConfig, opts: LogReadOptions): Readable {
  return producerStream<LogBatch>((push, signal) => produce(cfg, opts, async (batch) => { await push(batch); }, signal), 2);
}

async function produce(cfg: ReaderConfig, opts: LogReadOptions, emit: (batch: LogBatch) => Promise<void>, signal: AbortSignal): Promise<void> {
  const asm = new BatchAssembler(opts);
  let stopped = false;
  const onRecord = (b: Buffer, start: number, end: number): boolean => {
    if (!asm.push(b, start, end)) stopped = true;
    return !stopped;
  };
  const reserve = (bytes: number): void => asm.reserve(bytes);
  const drain = async (): Promise<void> => {
    const batch = asm.take();
    if (batch && !signal.aborted) await emit(batch);
  };

  const events = new FollowEvents();
  let unsubscribe: () => void = () => undefined;
  const openAll = async (): ReturnType<typeof openFileSet> => {
    const set = await openFileSet(cfg);
    if (opts.follow && cfg.writer) unsubscribe = cfg.writer.subscribe(events);
    else if (opts.follow && cfg.onInstanceClose) unsubscribe = cfg.onInstanceClose(events);
    return set;
  };
  const { rotated, current } = cfg.writer ? await cfg.writer.lock.run(openAll) : await openAll();
  let file = current;
  const toClose: RandomAccessFile[] = rotated.map((r) => r.file);
  try {
    const size = file ? (await file.stat()).size : 0;
    let pos = 0;
    const tail = opts.tail === undefined || opts.tail < 0 ? -1 : opts.tail;
    if (tail >= 0) {
      const state: TailState = { need: tail, leading: false, done: tail === 0 };
      const parts: Buffer[][] = [];
      if (file) {
        pos = await lastRecordEnd(file, size);
        parts.unshift(await tailRecords(file, pos, state));
      }
      for (let i = rotated.length - 1; i >= 0 && !state.done; i--) {
        const mem = await inflate(rotated[i]);
        parts.unshift(await tailRecords(memoryFile(mem), mem.length, state));
      }
      for (const recs of parts) for (const rec of recs) if (!stopped) onRecord(rec, 0, rec.length);
    } else {
      const sinceNs = opts.since ? BigInt(opts.since.getTime()) * 1_000_000n : null;
      for (const r of rotated) {
        if (stopped || signal.aborted) break;
        let mem: Buffer | null = null;
        if (r.gz) {
          const gz = await r.file.read(0, (await r.file.stat()).size);
          const last = gzipLastTime(gz);
          if (sinceNs !== null && last !== null && recordTimeNs(last) < sinceNs) continue;
          mem = await gunzipFile(gz);
        }
        const f = mem ? memoryFile(mem) : r.file;
        await readForward(f, 0, (await f.stat()).size, onRecord, reserve, drain);
        await drain();
      }
      if (file && !stopped) pos = (await readForward(file, 0, size, onRecord, reserve, drain)).pos;
    }
    await drain();
    if (!opts.follow || stopped || signal.aborted) {
      if (!stopped) asm.flush();
      await drain();
      return;
    }

    // Follow.
    const pollMs = cfg.pollMs ?? 200;
    for (;;) {
      if (signal.aborted || stopped) return;
      while (events.rotations.length > 0 && !stopped) {
        const ev = events.rotations.shift() as { next: RandomAccessFile | null } | 'truncate';
        if (ev === 'truncate') { pos = 0; continue; }
        if (file) {
          pos = (await readForward(file, pos, (await file.stat()).size, onRecord, reserve, drain)).pos;
          await file.close();
        }
        file = ev.next;
        pos = 0;
        await drain();
      }
      if (!cfg.writer && !events.closed) {
        const moved = await pathMoved(cfg, file);
        if (moved) {
          if (file) {
            pos = (await readForward(file, pos, (await file.stat()).size, onRecord, reserve, drain)).pos;
            await file.close();
          }
          file = await tryOpen(cfg.opener, cfg.path);
          pos = 0;
        }
      }
      const wasClosed = events.closed;
      if (file && !stopped) {
        const st = await file.stat();
        if (st.size < pos) pos = 0;
        if (st.size > pos) pos = (await readForward(file, pos, st.size, onRecord, reserve, drain)).pos;
      }
      await drain();
      if (wasClosed && events.rotations.length === 0) {
        if (!stopped) asm.flush();
        await drain();
        return;
      }
      if (events.rotations.length === 0) await events.wait(pollMs, signal);
    }
  } finally {
    unsubscribe();
    for (const f of toClose) await f.close().catch(() => undefined);
    if (file) await file.close().catch(() => undefined);
    for (const ev of events.rotations) if (ev !== 'truncate' && ev.next && ev.next !== file) await ev.next.close().catch(() => undefined);
  }
}

async function inflate(r: Rotated): Promise<Buffer> {
  const data = await r.file.read(0, (await r.file.stat()).size);
  return r.gz ? gunzipFile(data) : data;
}

/** For followers without a writer: whether the path now names another file (rotated by another process/instance). */
async function pathMoved(cfg: ReaderConfig, file: RandomAccessFile | null): Promise<boolean> {
  const now = await tryOpen(cfg.opener, cfg.path);
  if (!now) return false;
  try {
    if (!file) return true;
    return (await now.stat()).ino !== (await file.stat()).ino;
  } finally {
    await now.close();
  }
}
