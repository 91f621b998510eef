/**
 * `tail`: finds the last N messages of a log by reading it backwards from the
 * end in 64 KiB blocks, so the cost depends on N, not on the file's size.
 * A message is one complete record or the partial pieces before one; pieces
 * leading into the N-th message are included so it can be joined.
 */
import type { RandomAccessFile } from './random-access-file';
import { decodeRecord } from './record-decoder';

/** Block size of the backwards scan. */
export const TAIL_BLOCK = 64 * 1024;

/** Progress of a tail across files (newest first). */
export interface TailState {
  /** Complete messages still wanted. */
  need: number;
  /** N messages found; still taking the partial pieces that lead into the earliest one. */
  leading: boolean;
  /** The stream of the earliest message, whose leading pieces are still wanted. */
  leadingStream?: string;
  done: boolean;
}

/**
 * Collects records from the end of `file` (bytes before `end`) backwards.
 * Returns them in file order. A last line without its newline (a write in
 * progress) is ignored.
 */
export async function tailRecords(file: RandomAccessFile, end: number, state: TailState): Promise<Buffer[]> {
  const found: Buffer[] = [];
  if (state.done || end <= 0) return found;
  const take = (rec: Buffer): void => {
    const r = decodeRecord(rec);
    if (r === null) return; // a corrupt or empty line (after a failed write) is not a message
    const complete = r.line.length > 0 && r.line[r.line.length - 1] === 0x0a;
    const stream = r.stream;
    if (state.leading) {
      if (stream !== state.leadingStream) return; // another stream's line, older than the tail
      if (complete) { state.done = true; return; }
      found.push(rec);
      return;
    }
    found.push(rec);
    if (complete && --state.need === 0) {
      state.leading = true;
      state.leadingStream = stream;
    }
  };
  if (state.need <= 0 && !state.leading) { state.done = true; return found; }
  let pos = end;
  let carry: Buffer = Buffer.alloc(0);
  let first = true;
  while (pos > 0 && !state.done) {
    const start = Math.max(0, pos - TAIL_BLOCK);
    const chunk = await file.read(start, pos - start);
    pos = start;
    let data = carry.length ? Buffer.concat([chunk, carry]) : chunk;
    if (first) {
      const lastNl = data.lastIndexOf(0x0a);
      if (lastNl < 0) { carry = Buffer.alloc(0); continue; }
      first = false;
      data = data.subarray(0, lastNl + 1);
    }
    let recEnd = data.length;
    while (recEnd >= 2 && !state.done) {
      const i = data.lastIndexOf(0x0a, recEnd - 2);
      if (i < 0) break;
      take(data.subarray(i + 1, recEnd));
      recEnd = i + 1;
    }
    carry = data.subarray(0, recEnd);
  }
  if (!state.done && pos === 0 && carry.length > 0 && carry[carry.length - 1] === 0x0a) take(carry);
  return found.reverse();
}
