/**
 * Cuts one output stream into messages the way Docker's copier does: one
 * message per line (newline kept), a line longer than 16 KiB sent as 16 KiB
 * partial pieces sharing one id and timestamp (ordinal from 1, `last` on the
 * piece that ends the line). What remains at end of stream without a newline
 * is sent as a partial piece that is *not* last — exactly what dockerd's
 * copier does, so json-file stores it without a newline and `docker logs`
 * prints it without one (checked against a real dockerd in the tests).
 */
import { randomBytes } from 'node:crypto';
import { LOG_PARTIAL_SIZE, type LogLines, type LogMessage } from '../drivers/logdriver';

export class LineSplitter {
  private carry: Buffer = Buffer.alloc(0);
  private partialId: string | null = null;
  private ordinal = 0;
  private partialNs = 0n;

  constructor(
    private readonly source: 'stdout' | 'stderr',
    private readonly emit: (msg: LogMessage) => void,
    private readonly clock: () => bigint,
    private readonly maxSize = LOG_PARTIAL_SIZE,
  ) {}

  /** Splits a chunk of output; emits every complete line and every full 16 KiB piece. */
  push(chunk: Buffer): void {
    const data = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    let p = 0;
    const n = data.length;
    while (p < n) {
      const limit = Math.min(n, p + this.maxSize);
      const nl = data.indexOf(0x0a, p);
      if (nl >= 0 && nl < limit) {
        this.line(data.subarray(p, nl + 1), true);
        p = nl + 1;
      } else if (n - p >= this.maxSize) {
        this.line(data.subarray(p, p + this.maxSize), false);
        p += this.maxSize;
      } else {
        break;
      }
    }
    this.carry = p < n ? Buffer.from(data.subarray(p)) : Buffer.alloc(0);
  }

  /**
   * Like push, but returns the lines (and full 16 KiB pieces) as LogLines —
   * no object per line — instead of emitting messages; null when the chunk
   * completed none. Pieces of one line share its first piece's time.
   */
  pushLines(chunk: Buffer): LogLines | null {
    const data = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    const n = data.length;
    let cap = 0;
    for (let i = data.indexOf(0x0a); i >= 0; i = data.indexOf(0x0a, i + 1)) cap++;
    cap += Math.floor(n / this.maxSize) + 1;
    const out = newLines(this.source, data, cap);
    let p = 0;
    while (p < n) {
      const limit = Math.min(n, p + this.maxSize);
      const nl = data.indexOf(0x0a, p);
      if (nl >= 0 && nl < limit) {
        this.mark(out, p, nl + 1, true);
        p = nl + 1;
      } else if (n - p >= this.maxSize) {
        this.mark(out, p, p + this.maxSize, false);
        p += this.maxSize;
      } else {
        break;
      }
    }
    this.carry = p < n ? Buffer.from(data.subarray(p)) : Buffer.alloc(0);
    return out.length ? out : null;
  }

  /** End of stream for pushLines: what is left goes out as a partial piece (not last). */
  endLines(): LogLines | null {
    if (this.carry.length === 0) return null;
    const out = newLines(this.source, this.carry, 1);
    this.mark(out, 0, this.carry.length, false);
    this.carry = Buffer.alloc(0);
    return out;
  }

  private mark(out: MutableLines, start: number, end: number, complete: boolean): void {
    let timeNs: bigint;
    if (!complete) {
      if (this.partialId === null) { this.partialId = ''; this.partialNs = this.clock(); }
      timeNs = this.partialNs;
    } else if (this.partialId !== null) {
      timeNs = this.partialNs;
      this.partialId = null;
    } else {
      timeNs = this.clock();
    }
    const i = out.length++;
    out.starts[i] = start;
    out.ends[i] = end;
    out.timesNs[i] = timeNs;
    out.complete[i] = complete ? 1 : 0;
  }

  /** End of stream: what is left (a line without newline) goes out as a partial piece, as Docker does. */
  end(): void {
    if (this.carry.length > 0) this.line(this.carry, false);
    this.carry = Buffer.alloc(0);
  }

  private line(bytes: Buffer, complete: boolean): void {
    let timeNs: bigint;
    const msg: LogMessage = { line: bytes, source: this.source, time: new Date(0) };
    if (!complete) {
      if (this.partialId === null || this.partialId === '') {
        this.partialId = randomBytes(32).toString('hex');
        this.ordinal = 1;
        this.partialNs = this.clock();
      }
      timeNs = this.partialNs;
      msg.partial = { id: this.partialId, ordinal: this.ordinal++, last: false };
    } else if (this.partialId !== null) {
      timeNs = this.partialNs;
      msg.partial = { id: this.partialId, ordinal: this.ordinal, last: true };
      this.partialId = null;
    } else {
      timeNs = this.clock();
    }
    msg.timeNs = timeNs;
    msg.time = new Date(Math.floor(Number(timeNs) / 1e6));
    this.emit(msg);
  }
}

interface MutableLines { length: number; source: 'stdout' | 'stderr'; data: Buffer; starts: Uint32Array; ends: Uint32Array; timesNs: BigInt64Array; complete: Uint8Array }

function newLines(source: 'stdout' | 'stderr', data: Buffer, cap: number): MutableLines {
  return { length: 0, source, data, starts: new Uint32Array(cap), ends: new Uint32Array(cap), timesNs: new BigInt64Array(cap), complete: new Uint8Array(cap) };
}
