/**
 * A fast path for reading records in the exact layout the json-file writer
 * (berth's or Docker's) produces — `{"log":"…","stream":"…","attrs":{…},"time":"…"}`
 * — straight from the bytes, without JSON.parse or a UTF-8 round trip. Any
 * other layout returns null and the caller falls back to JSON.parse.
 */

export interface ScannedRecord {
  /** The log text, unescaped, as bytes. */
  line: Buffer;
  stream: 'stdout' | 'stderr';
  /** The time text (latin1). */
  time: string;
  /** The time in ns since the epoch, when it is in Docker's own UTC form (parsed from the bytes). */
  timeNs: bigint | null;
  /** Raw JSON text of attrs, when present. */
  attrsJson: string | null;
}

const PREFIX = Buffer.from('{"log":"');
const STREAM_KEY = Buffer.from(',"stream":"');
const ATTRS_KEY = Buffer.from(',"attrs":');
const TIME_KEY = Buffer.from(',"time":"');
const STDOUT = Buffer.from('stdout"');
const STDERR = Buffer.from('stderr"');

function startsWithAt(b: Buffer, at: number, lit: Buffer): boolean {
  if (at + lit.length > b.length) return false;
  for (let i = 0; i < lit.length; i++) if (b[at + i] !== lit[i]) return false;
  return true;
}

function hex4(b: Buffer, at: number): number {
  let v = 0;
  for (let i = 0; i < 4; i++) {
    const c = b[at + i];
    const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/** Appends the UTF-8 bytes of code point `cp` at `pos`; returns the new position. */
function putUtf8(out: Buffer, pos: number, cp: number): number {
  if (cp < 0x80) { out[pos++] = cp; } else if (cp < 0x800) {
    out[pos++] = 0xc0 | (cp >> 6); out[pos++] = 0x80 | (cp & 0x3f);
  } else if (cp < 0x10000) {
    out[pos++] = 0xe0 | (cp >> 12); out[pos++] = 0x80 | ((cp >> 6) & 0x3f); out[pos++] = 0x80 | (cp & 0x3f);
  } else {
    out[pos++] = 0xf0 | (cp >> 18); out[pos++] = 0x80 | ((cp >> 12) & 0x3f);
    out[pos++] = 0x80 | ((cp >> 6) & 0x3f); out[pos++] = 0x80 | (cp & 0x3f);
  }
  return pos;
}

/** Index of the closing quote of the JSON string body starting at `at` (before `limit`), or -1. */
function stringEnd(b: Buffer, at: number, limit: number): number {
  let i = at;
  while (i < limit) {
    const c = b[i];
    if (c === 0x22) return i;
    i += c === 0x5c ? 2 : 1;
  }
  return -1;
}

/**
 * Writes the unescaped bytes of the JSON string body b[at, end) into `out`
 * from `pos`; returns the position after them, or -1 for a bad escape.
 * `out` must have room for end - at bytes (unescaping never grows).
 */
function unescapeInto(b: Buffer, at: number, end: number, out: Buffer, pos: number): number {
  let i = b.indexOf(0x5c, at);
  if (i < 0 || i >= end) return pos + b.copy(out, pos, at, end);
  pos += b.copy(out, pos, at, i);
  for (; i < end; i++) {
    const c = b[i];
    if (c !== 0x5c) { out[pos++] = c; continue; }
    const e = b[++i];
    switch (e) {
      case 0x6e: out[pos++] = 0x0a; break;
      case 0x72: out[pos++] = 0x0d; break;
      case 0x74: out[pos++] = 0x09; break;
      case 0x62: out[pos++] = 0x08; break;
      case 0x66: out[pos++] = 0x0c; break;
      case 0x22: case 0x5c: case 0x2f: out[pos++] = e; break;
      case 0x75: {
        let cp = hex4(b, i + 1);
        if (cp < 0) return -1;
        i += 4;
        if (cp >= 0xd800 && cp <= 0xdbff && b[i + 1] === 0x5c && b[i + 2] === 0x75) {
          const lo = hex4(b, i + 3);
          if (lo >= 0xdc00 && lo <= 0xdfff) { cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00); i += 6; }
        }
        if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd; // lone surrogate: as JSON.parse + UTF-8 encoding would give
        pos = putUtf8(out, pos, cp);
        break;
      }
      default: return -1;
    }
  }
  return pos;
}

/**
 * Unescapes the JSON string body starting at `at` (just after the opening
 * quote). Returns the bytes and the index of the closing quote, or null.
 */
function scanString(b: Buffer, at: number): { bytes: Buffer; end: number } | null {
  const end = stringEnd(b, at, b.length);
  if (end < 0) return null;
  const out = Buffer.allocUnsafe(end - at);
  const pos = unescapeInto(b, at, end, out, 0);
  if (pos < 0) return null;
  return { bytes: pos === out.length ? out : out.subarray(0, pos), end };
}

/** Where scanRecordInto puts what it found (one reused object: no allocation per record). */
export interface ScanInto {
  /** 1 stdout, 2 stderr. */
  stream: 1 | 2;
  /** Position in `out` after the unescaped log text. */
  pos: number;
  /** The time, when in Docker's own UTC form (timeOk); else read it from b[timeStart, timeEnd). */
  timeOk: boolean;
  sec: number;
  nsec: number;
  timeStart: number;
  timeEnd: number;
  /** attrs JSON at b[attrsStart, attrsEnd), attrsStart -1 when none. */
  attrsStart: number;
  attrsEnd: number;
}

/**
 * Like scanRecord for the record b[start, end), but writes the unescaped log
 * text into `out` at `pos` (room for end - start bytes needed) and the rest
 * into `r`, allocating nothing. False when the record is not in the writer's layout.
 */
export function scanRecordInto(b: Buffer, start: number, end: number, out: Buffer, pos: number, r: ScanInto): boolean {
  if (!startsWithAt(b, start, PREFIX)) return false;
  let i = start + PREFIX.length;
  let p = pos;
  // One pass: copy until the closing quote, unescaping the common escapes; any other escape hands over to unescapeInto.
  for (;;) {
    if (i >= end) return false;
    const c = b[i];
    if (c === 0x22) break;
    if (c === 0x5c) {
      const e = b[i + 1];
      const x = e === 0x6e ? 0x0a : e === 0x22 || e === 0x5c || e === 0x2f ? e : e === 0x74 ? 0x09 : e === 0x72 ? 0x0d : -1;
      if (x >= 0) { out[p++] = x; i += 2; continue; }
      const q = stringEnd(b, i, end);
      if (q < 0) return false;
      p = unescapeInto(b, i, q, out, p);
      if (p < 0) return false;
      i = q;
      break;
    }
    out[p++] = c;
    i++;
  }
  i++;
  if (!startsWithAt(b, i, STREAM_KEY)) return false;
  i += STREAM_KEY.length;
  if (startsWithAt(b, i, STDOUT)) r.stream = 1;
  else if (startsWithAt(b, i, STDERR)) r.stream = 2;
  else return false;
  i += 7;
  r.attrsStart = -1;
  if (startsWithAt(b, i, ATTRS_KEY)) {
    const open = i + ATTRS_KEY.length;
    const close = b.indexOf(TIME_KEY, open);
    if (close < 0 || close >= end || b[close - 1] !== 0x7d) return false;
    r.attrsStart = open;
    r.attrsEnd = close;
    i = close;
  }
  if (!startsWithAt(b, i, TIME_KEY)) return false;
  i += TIME_KEY.length;
  const tq = b.indexOf(0x22, i);
  if (tq < 0 || tq >= end || b[tq + 1] !== 0x7d) return false;
  r.pos = p;
  r.timeStart = i;
  r.timeEnd = tq;
  r.timeOk = utcTime(b, i, tq);
  if (r.timeOk) { r.sec = timeSec; r.nsec = timeNsec; }
  return true;
}

/** Scans one record (trailing newline allowed); null when it is not in the writer's layout. */
export function scanRecord(b: Buffer): ScannedRecord | null {
  if (!startsWithAt(b, 0, PREFIX)) return null;
  const log = scanString(b, PREFIX.length);
  if (!log) return null;
  let i = log.end + 1;
  let stream: 'stdout' | 'stderr';
  if (startsWithAt(b, i, STREAM_KEY)) {
    i += STREAM_KEY.length;
    if (startsWithAt(b, i, STDOUT)) {
      stream = 'stdout'; i += 7;
    } else if (startsWithAt(b, i, STDERR)) {
      stream = 'stderr'; i += 7;
    } else {
      return null;
    }
  } else {
    return null;
  }
  let attrsJson: string | null = null;
  if (startsWithAt(b, i, ATTRS_KEY)) {
    const open = i + ATTRS_KEY.length;
    const close = b.indexOf(TIME_KEY, open);
    if (close < 0 || b[close - 1] !== 0x7d) return null;
    attrsJson = b.toString('utf8', open, close);
    i = close;
  }
  if (!startsWithAt(b, i, TIME_KEY)) return null;
  i += TIME_KEY.length;
  const q = b.indexOf(0x22, i);
  if (q < 0 || b[q + 1] !== 0x7d) return null;
  return { line: log.bytes, stream, time: b.toString('latin1', i, q), timeNs: utcTimeNs(b, i, q), attrsJson };
}

let prefix = Buffer.alloc(19);
let prefixSec = -1;
let timeSec = 0;
let timeNsec = 0;

/** `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z` in b[start, end) → timeSec/timeNsec; false for any other form. */
function utcTime(b: Buffer, start: number, end: number): boolean {
  const n = end - start;
  if (n < 20 || n > 30 || b[end - 1] !== 0x5a) return false;
  let same = prefixSec >= 0;
  for (let k = 0; same && k < 19; k++) if (b[start + k] !== prefix[k]) same = false;
  if (!same) {
    const ms = Date.parse(`${b.toString('latin1', start, start + 19)}Z`);
    if (Number.isNaN(ms) || ms < 0) return false;
    prefix = Buffer.from(b.subarray(start, start + 19));
    prefixSec = ms / 1000;
  }
  timeSec = prefixSec;
  if (n === 20) { timeNsec = 0; return true; }
  if (b[start + 19] !== 0x2e || n === 21) return false;
  let frac = 0;
  for (let k = start + 20; k < end - 1; k++) {
    const d = b[k] - 0x30;
    if (d < 0 || d > 9) return false;
    frac = frac * 10 + d;
  }
  timeNsec = frac * 10 ** (9 - (n - 21));
  return true;
}

/** `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z` in b[start, end) → ns since the epoch; null for any other form. */
function utcTimeNs(b: Buffer, start: number, end: number): bigint | null {
  if (!utcTime(b, start, end)) return null;
  return BigInt(timeSec) * 1_000_000_000n + BigInt(timeNsec);
}
