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

/**
 * Unescapes the JSON string body starting at `at` (just after the opening
 * quote). Returns the bytes and the index of the closing quote, or null.
 */
function scanString(b: Buffer, at: number): { bytes: Buffer; end: number } | null {
  // First pass: find the end and whether there are escapes.
  let i = at;
  let escapes = 0;
  const n = b.length;
  while (i < n) {
    const c = b[i];
    if (c === 0x22) break;
    if (c === 0x5c) { escapes++; i += 2; continue; }
    i++;
  }
  if (i >= n) return null;
  const end = i;
  if (escapes === 0) return { bytes: Buffer.from(b.subarray(at, end)), end };
  const out = Buffer.allocUnsafe(end - at);
  let pos = 0;
  for (i = at; i < end; i++) {
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
        if (cp < 0) return null;
        i += 4;
        if (cp >= 0xd800 && cp <= 0xdbff && b[i + 1] === 0x5c && b[i + 2] === 0x75) {
          const lo = hex4(b, i + 3);
          if (lo >= 0xdc00 && lo <= 0xdfff) { cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00); i += 6; }
        }
        if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd; // lone surrogate: as JSON.parse + UTF-8 encoding would give
        pos = putUtf8(out, pos, cp);
        break;
      }
      default: return null;
    }
  }
  return { bytes: out.subarray(0, pos), end };
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
let prefixNs = -1n;

/** `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z` in b[start, end) → ns since the epoch; null for any other form. */
function utcTimeNs(b: Buffer, start: number, end: number): bigint | null {
  const n = end - start;
  if (n < 20 || n > 30 || b[end - 1] !== 0x5a) return null;
  let same = prefixNs >= 0n;
  for (let k = 0; same && k < 19; k++) if (b[start + k] !== prefix[k]) same = false;
  if (!same) {
    const ms = Date.parse(`${b.toString('latin1', start, start + 19)}Z`);
    if (Number.isNaN(ms) || ms < 0) return null;
    prefix = Buffer.from(b.subarray(start, start + 19));
    prefixNs = BigInt(ms) * 1_000_000n;
  }
  if (n === 20) return prefixNs;
  if (b[start + 19] !== 0x2e || n === 21) return null;
  let frac = 0;
  for (let k = start + 20; k < end - 1; k++) {
    const d = b[k] - 0x30;
    if (d < 0 || d > 9) return null;
    frac = frac * 10 + d;
  }
  return prefixNs + BigInt(frac * 10 ** (9 - (n - 21)));
}
