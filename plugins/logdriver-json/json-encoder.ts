/**
 * Byte-exact encoder of json-file records, as moby's
 * `jsonlog.JSONLogs.MarshalJSONBuf` writes them:
 *
 *     {"log":"hello\n","stream":"stdout","attrs":{...},"time":"2026-...Z"}\n
 *
 * The log text is escaped like moby's `ffjsonWriteJSONBytesAsString`: `\\` and
 * `"` backslashed, `\n` and `\r` as such, every other byte below 0x20 and
 * `<`, `>`, `&` as `\u00XX`, U+2028/U+2029 as `\u2028`/`\u2029`, and each
 * byte that Go's utf8.DecodeRune rejects (size-1 RuneError) as `\ufffd`.
 */

/** 0: copy as is; 1: escape; 2: start of a multi-byte sequence (or invalid byte). */
const CLASS = new Uint8Array(256);
for (let b = 0; b < 256; b++) {
  if (b >= 0x80) CLASS[b] = 2;
  else if (b < 0x20 || b === 0x5c || b === 0x22 || b === 0x3c || b === 0x3e || b === 0x26) CLASS[b] = 1;
}
const HEX = '0123456789abcdef';
import { writeRfc3339Nano } from './json-time';

/** A growable byte buffer that records are appended to before one write(2). */
export class ByteBatch {
  buf: Buffer;
  len = 0;
  constructor(capacity = 256 * 1024) {
    this.buf = Buffer.allocUnsafe(capacity);
  }
  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
  /** Appends ASCII text (room must have been ensured). */
  ascii(s: string): void {
    this.len += this.buf.write(s, this.len, 'latin1');
  }
  /** The bytes written so far (a view, valid until the next write). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}

/**
 * Size of the valid UTF-8 sequence starting at `i` (2–4), or 0 when Go's
 * utf8.DecodeRune would return RuneError with size 1 there.
 */
function utf8SeqLen(s: Buffer, i: number, n: number): number {
  const b0 = s[i];
  const cont = (j: number, lo = 0x80, hi = 0xbf): boolean => j < n && s[j] >= lo && s[j] <= hi;
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(i + 1) ? 2 : 0;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const lo = b0 === 0xe0 ? 0xa0 : 0x80;
    const hi = b0 === 0xed ? 0x9f : 0xbf;
    return cont(i + 1, lo, hi) && cont(i + 2) ? 3 : 0;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const lo = b0 === 0xf0 ? 0x90 : 0x80;
    const hi = b0 === 0xf4 ? 0x8f : 0xbf;
    return cont(i + 1, lo, hi) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  }
  return 0;
}

/** Appends `s[from, to)` escaped as a JSON string body (no quotes) the way moby does. */
export function writeEscaped(out: ByteBatch, s: Buffer, from = 0, to = s.length): void {
  out.ensure((to - from) * 6);
  const dst = out.buf;
  let pos = out.len;
  let start = from;
  let i = from;
  const n = to;
  while (i < n) {
    const b = s[i];
    const c = CLASS[b];
    if (c === 0) { i++; continue; }
    if (c === 1) {
      if (start < i) pos += s.copy(dst, pos, start, i);
      dst[pos++] = 0x5c;
      if (b === 0x5c || b === 0x22) dst[pos++] = b;
      else if (b === 0x0a) dst[pos++] = 0x6e;
      else if (b === 0x0d) dst[pos++] = 0x72;
      else {
        pos += dst.write('u00', pos, 'latin1');
        dst[pos++] = HEX.charCodeAt(b >> 4);
        dst[pos++] = HEX.charCodeAt(b & 0xf);
      }
      i++;
      start = i;
      continue;
    }
    const size = utf8SeqLen(s, i, n);
    if (size === 0) {
      if (start < i) pos += s.copy(dst, pos, start, i);
      pos += dst.write('\\ufffd', pos, 'latin1');
      i++;
      start = i;
      continue;
    }
    if (size === 3 && b === 0xe2 && s[i + 1] === 0x80 && (s[i + 2] === 0xa8 || s[i + 2] === 0xa9)) {
      if (start < i) pos += s.copy(dst, pos, start, i);
      pos += dst.write(s[i + 2] === 0xa8 ? '\\u2028' : '\\u2029', pos, 'latin1');
      i += 3;
      start = i;
      continue;
    }
    i += size;
  }
  if (start < n) pos += s.copy(dst, pos, start, n);
  out.len = pos;
}

/**
 * The constant parts of one container's records, encoded once: everything
 * between the log text and the time (`","stream":"stdout","attrs":{…},"time":"`).
 */
export class RecordLayout {
  private readonly mid: Record<'stdout' | 'stderr', Buffer>;
  private static readonly OPEN = Buffer.from('{"log":"');
  private static readonly NL = Buffer.from('\\n');
  private static readonly CLOSE = Buffer.from('"}\n');

  constructor(attrsJson: string | null) {
    const attrs = attrsJson ? `,"attrs":${attrsJson}` : '';
    this.mid = {
      stdout: Buffer.from(`","stream":"stdout"${attrs},"time":"`),
      stderr: Buffer.from(`","stream":"stderr"${attrs},"time":"`),
    };
  }

  /** Appends one record: `line` without its newline, `newline` to add the escaped `\n` Docker adds. */
  encode(out: ByteBatch, line: Buffer, newline: boolean, stream: 'stdout' | 'stderr', timeNs: bigint): void {
    this.encodeRange(out, line, 0, line.length, newline, stream, timeNs);
  }

  /** Like encode, for the line `data[from, to)` (without its newline). */
  encodeRange(out: ByteBatch, data: Buffer, from: number, to: number, newline: boolean, stream: 'stdout' | 'stderr', timeNs: bigint): void {
    const mid = this.mid[stream];
    out.ensure(RecordLayout.OPEN.length + 2 + mid.length + 40);
    if (to === from && !newline) {
      // Docker omits an empty "log" (only possible for an empty partial piece).
      out.ascii(`{"stream":"${stream}","time":"`);
    } else {
      out.buf.set(RecordLayout.OPEN, out.len);
      out.len += RecordLayout.OPEN.length;
      writeEscaped(out, data, from, to);
      out.ensure(2 + mid.length + 40);
      if (newline) { out.buf.set(RecordLayout.NL, out.len); out.len += 2; }
      out.buf.set(mid, out.len);
      out.len += mid.length;
    }
    writeRfc3339Nano(out, timeNs);
    out.buf.set(RecordLayout.CLOSE, out.len);
    out.len += RecordLayout.CLOSE.length;
  }
}
