/**
 * Turns json-file records into LogBatch blocks without an object per line:
 * each record's log text is unescaped straight into the batch's byte buffer
 * (record-scanner's scanRecordInto), its stream and time into typed arrays.
 * Partial pieces (a log text without the final newline) are joined per
 * stream, and `since`/`until` are applied the way Docker does (since: skip
 * earlier; until: stop at the first later message) — what MessageAssembler
 * did one object at a time.
 */
import type { LogBatch } from '../../core';
import { parseRecord, recordTimeNs } from './record-decoder';
import { scanRecordInto, type ScanInto } from './record-scanner';

interface Pending { parts: Buffer[]; sec: number; nsec: number; attrs?: Record<string, string> }

const EMPTY = Buffer.alloc(0);
const scan: ScanInto = { stream: 1, pos: 0, timeOk: false, sec: 0, nsec: 0, timeStart: 0, timeEnd: 0, attrsStart: -1, attrsEnd: 0 };

/** (sec, nsec) of a bigint ns time. */
function split(ns: bigint): [number, number] {
  const sec = ns / 1_000_000_000n;
  return [Number(sec), Number(ns - sec * 1_000_000_000n)];
}

/** Whether (s1, n1) is before (s2, n2). */
function before(s1: number, n1: number, s2: number, n2: number): boolean {
  return s1 < s2 || (s1 === s2 && n1 < n2);
}

/** Collects messages into a LogBatch; `take()` hands it over and starts the next. */
export class BatchAssembler {
  private data: Buffer;
  private pos = 0;
  private n = 0;
  private ends: Uint32Array;
  private sources: Uint8Array;
  private sec: Float64Array;
  private nsec: Uint32Array;
  private attrs: Array<Record<string, string> | undefined> | null = null;
  private readonly pending: [Pending | null, Pending | null, Pending | null] = [null, null, null];
  private readonly since: [number, number] | null;
  private readonly until: [number, number] | null;

  constructor(opts: { since?: Date; until?: Date }) {
    this.since = opts.since ? split(BigInt(opts.since.getTime()) * 1_000_000n) : null;
    this.until = opts.until ? split(BigInt(opts.until.getTime()) * 1_000_000n) : null;
    this.data = EMPTY;
    this.ends = new Uint32Array(0);
    this.sources = new Uint8Array(0);
    this.sec = new Float64Array(0);
    this.nsec = new Uint32Array(0);
  }

  /** Makes room for the records of a block of `bytes` bytes (a hint: it grows as needed anyway). */
  reserve(bytes: number): void {
    this.room(bytes);
    const lines = Math.min(65536, Math.max(64, bytes >> 6));
    if (this.ends.length - this.n < lines) this.grow(this.n + lines);
  }

  /** Messages collected since the last take. */
  get length(): number { return this.n; }

  /** Feeds the record b[start, end) (newline included or not). Returns false when reading should stop (past `until`). */
  push(b: Buffer, start: number, end: number): boolean {
    this.room(end - start);
    const r = scan;
    let stream: 1 | 2;
    let sec: number;
    let nsec: number;
    let attrs: Record<string, string> | undefined;
    let lineEnd: number;
    if (scanRecordInto(b, start, end, this.data, this.pos, r)) {
      stream = r.stream;
      lineEnd = r.pos;
      if (r.timeOk) { sec = r.sec; nsec = r.nsec; } else [sec, nsec] = split(recordTimeNs(b.toString('latin1', r.timeStart, r.timeEnd)));
      if (r.attrsStart >= 0) {
        try { attrs = JSON.parse(b.toString('utf8', r.attrsStart, r.attrsEnd)) as Record<string, string>; } catch { /* keep the message, drop bad attrs */ }
      }
    } else {
      const rec = parseRecord(b.subarray(start, end));
      if (rec === null) return true; // corrupt or foreign line: skipped
      const line = Buffer.from(rec.log, 'utf8');
      this.room(line.length);
      stream = rec.stream === 'stderr' ? 2 : 1;
      lineEnd = this.pos + line.copy(this.data, this.pos);
      [sec, nsec] = split(recordTimeNs(rec.time));
      attrs = rec.attrs;
    }
    const complete = lineEnd > this.pos && this.data[lineEnd - 1] === 0x0a;
    const p = this.pending[stream];
    if (!complete) {
      const piece = Buffer.from(this.data.subarray(this.pos, lineEnd));
      if (p) p.parts.push(piece);
      else this.pending[stream] = { parts: [piece], sec, nsec, attrs };
      return true;
    }
    if (p) {
      // The last piece is at [pos, lineEnd): put the earlier ones in front of it.
      this.pending[stream] = null;
      const joined = Buffer.concat([...p.parts, this.data.subarray(this.pos, lineEnd)]);
      this.room(joined.length);
      return this.deliver(this.pos + joined.copy(this.data, this.pos), stream, p.sec, p.nsec, p.attrs);
    }
    return this.deliver(lineEnd, stream, sec, nsec, attrs);
  }

  /** Delivers pieces still waiting for their end (at the end of a read that does not follow). */
  flush(): boolean {
    for (const s of [1, 2] as const) {
      const p = this.pending[s];
      this.pending[s] = null;
      if (!p) continue;
      const joined = Buffer.concat(p.parts);
      this.room(joined.length);
      if (!this.deliver(this.pos + joined.copy(this.data, this.pos), s, p.sec, p.nsec, p.attrs)) return false;
    }
    return true;
  }

  /** The messages collected so far (null when none); the next ones go to a new batch. */
  take(): LogBatch | null {
    if (this.n === 0) return null;
    const n = this.n;
    const batch: LogBatch = {
      length: n,
      data: this.data.subarray(0, this.pos),
      ends: this.ends.subarray(0, n),
      sources: this.sources.subarray(0, n),
      sec: this.sec.subarray(0, n),
      nsec: this.nsec.subarray(0, n),
      ...(this.attrs ? { attrs: this.attrs } : {}),
    };
    this.data = EMPTY;
    this.pos = 0;
    this.n = 0;
    this.ends = new Uint32Array(0);
    this.sources = new Uint8Array(0);
    this.sec = new Float64Array(0);
    this.nsec = new Uint32Array(0);
    this.attrs = null;
    return batch;
  }

  private deliver(lineEnd: number, stream: 1 | 2, sec: number, nsec: number, attrs: Record<string, string> | undefined): boolean {
    if (this.until && before(this.until[0], this.until[1], sec, nsec)) return false;
    if (this.since && before(sec, nsec, this.since[0], this.since[1])) return true;
    if (this.n === this.ends.length) this.grow(Math.max(64, this.n * 2));
    const i = this.n++;
    this.ends[i] = lineEnd;
    this.sources[i] = stream;
    this.sec[i] = sec;
    this.nsec[i] = nsec;
    if (attrs) {
      this.attrs ??= [];
      this.attrs[i] = attrs;
    }
    this.pos = lineEnd;
    return true;
  }

  /** Makes room for `more` bytes after pos. */
  private room(more: number): void {
    if (this.pos + more <= this.data.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.data.length * 2, this.pos + more, 4096));
    this.data.copy(next, 0, 0, this.pos);
    this.data = next;
  }

  /** Makes the per-message arrays hold `cap` messages. */
  private grow(cap: number): void {
    const ends = new Uint32Array(cap); ends.set(this.ends.subarray(0, this.n)); this.ends = ends;
    const sources = new Uint8Array(cap); sources.set(this.sources.subarray(0, this.n)); this.sources = sources;
    const sec = new Float64Array(cap); sec.set(this.sec.subarray(0, this.n)); this.sec = sec;
    const nsec = new Uint32Array(cap); nsec.set(this.nsec.subarray(0, this.n)); this.nsec = nsec;
  }
}
