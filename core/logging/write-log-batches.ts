/**
 * `docker logs` output from LogBatch blocks (LogReader.readBatches): the
 * lines of a block go out as one write per run of consecutive lines of the
 * same stream — no object and no write per line — with `--timestamps`
 * (Docker's RFC3339NanoFixed, nine fraction digits, then a space) put in
 * front of every line. Bytes and order are those of one write per message.
 */
import type { Readable, Writable } from 'node:stream';
import type { LogBatch } from '../drivers/logdriver';

export interface LogOutputOptions {
  stdout?: boolean;
  stderr?: boolean;
  timestamps?: boolean;
}

/** Length of `2006-01-02T15:04:05.000000000Z ` (with its space). */
const STAMP = 31;

let stampSec = NaN;
let stampHead = '';

/** Writes the fixed-width timestamp of (sec, nsec) and a space at `off`. */
function putStamp(out: Buffer, off: number, sec: number, nsec: number): void {
  if (sec !== stampSec) {
    stampSec = sec;
    stampHead = `${new Date(sec * 1000).toISOString().slice(0, 19)}.`;
  }
  out.write(stampHead, off, 20, 'latin1');
  for (let k = 8, v = nsec; k >= 0; k--, v = Math.floor(v / 10)) out[off + 20 + k] = 0x30 + (v % 10);
  out[off + 29] = 0x5a; // Z
  out[off + 30] = 0x20;
}

/**
 * Writes the wanted messages of `batch` to `out.stdout` / `out.stderr`.
 * Returns a stream whose write asked to wait (wait for its 'drain'), or null.
 */
export function writeLogBatch(batch: LogBatch, out: { stdout: Writable; stderr: Writable }, opts: LogOutputOptions): Writable | null {
  let full: Writable | null = null;
  const { data, ends, sources, sec, nsec } = batch;
  const n = batch.length;
  let i = 0;
  while (i < n) {
    const source = sources[i];
    const first = i;
    while (i < n && sources[i] === source) i++;
    if (!(source === 2 ? opts.stderr : opts.stdout)) continue;
    const start = first === 0 ? 0 : ends[first - 1];
    const end = ends[i - 1];
    let chunk: Buffer;
    if (!opts.timestamps) chunk = data.subarray(start, end);
    else {
      chunk = Buffer.allocUnsafe(end - start + (i - first) * STAMP);
      let off = 0;
      for (let k = first; k < i; k++) {
        putStamp(chunk, off, sec[k], nsec[k]);
        off += STAMP;
        const s = k === 0 ? 0 : ends[k - 1];
        off += data.copy(chunk, off, s, ends[k]);
      }
    }
    const w = source === 2 ? out.stderr : out.stdout;
    if (!w.write(chunk)) full = w;
  }
  return full;
}

/**
 * Writes every batch of `batches` (a readBatches stream) per `opts`, with
 * backpressure, until it ends; stops (destroying it) when `signal` aborts.
 */
export async function writeLogBatches(batches: Readable, out: { stdout: Writable; stderr: Writable }, opts: LogOutputOptions, signal: AbortSignal): Promise<void> {
  const onAbort = (): void => { batches.destroy(); };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const batch of batches as AsyncIterable<LogBatch>) {
      const full = writeLogBatch(batch, out, opts);
      if (full && !signal.aborted) await drained(full, signal);
    }
  } catch (err) {
    if (!signal.aborted) throw err;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

function drained(w: Writable, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => { w.off('drain', done); w.off('close', done); signal.removeEventListener('abort', done); resolve(); };
    w.on('drain', done);
    w.on('close', done);
    signal.addEventListener('abort', done, { once: true });
  });
}
