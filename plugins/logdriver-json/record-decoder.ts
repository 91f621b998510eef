/**
 * Decodes one json-file record (the byte scanner for the writer's layout,
 * JSON.parse for anything else) and json-file times. Joining partial pieces
 * and since/until are BatchAssembler's.
 */
import { scanRecord } from './record-scanner';

/** One record as stored. */
export interface JsonRecord {
  log: string;
  stream: 'stdout' | 'stderr';
  time: string;
  attrs?: Record<string, string>;
}

let cachedPrefix = '\u0000';
let cachedNs = 0n;

/** Nanoseconds since the epoch of a json-file time (RFC 3339, any offset, ≤ 9 fraction digits). */
export function recordTimeNs(t: string): bigint {
  // Fast path for Docker's own form: "YYYY-MM-DDTHH:MM:SS[.fffffffff]Z", same second as the last one.
  const n = t.length;
  if (n >= 20 && n <= 30 && t.charCodeAt(n - 1) === 90 /* Z */) {
    if (!t.startsWith(cachedPrefix)) {
      const ms = Date.parse(`${t.slice(0, 19)}Z`);
      if (Number.isNaN(ms)) return slowTimeNs(t);
      cachedPrefix = t.slice(0, 19);
      cachedNs = BigInt(ms) * 1_000_000n;
    }
    if (n === 20) return cachedNs;
    if (t.charCodeAt(19) !== 46 /* . */ || n === 21) return slowTimeNs(t);
    let frac = 0;
    for (let i = 20; i < n - 1; i++) {
      const d = t.charCodeAt(i) - 48;
      if (d < 0 || d > 9) return slowTimeNs(t);
      frac = frac * 10 + d;
    }
    return cachedNs + BigInt(frac * 10 ** (9 - (n - 21)));
  }
  return slowTimeNs(t);
}

function slowTimeNs(t: string): bigint {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(t);
  if (!m) return 0n;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  return BigInt(Number.isNaN(ms) ? 0 : ms) * 1_000_000n + (m[2] ? BigInt(m[2].padEnd(9, '0')) : 0n);
}

/** A record decoded back to bytes. */
export interface DecodedRecord {
  /** The log text as bytes (a partial piece lacks the final newline). */
  line: Buffer;
  stream: 'stdout' | 'stderr';
  time: string;
  /** Set when the scanner already parsed the time. */
  timeNs?: bigint;
  attrs?: Record<string, string>;
}

/**
 * Decodes one record line (trailing newline allowed): the byte scanner for the
 * writer's own layout, JSON.parse for anything else; null for a corrupt line.
 */
export function decodeRecord(raw: Buffer): DecodedRecord | null {
  const s = scanRecord(raw);
  if (s) {
    const rec: DecodedRecord = { line: s.line, stream: s.stream, time: s.time };
    if (s.timeNs !== null) rec.timeNs = s.timeNs;
    if (s.attrsJson) {
      try { rec.attrs = JSON.parse(s.attrsJson) as Record<string, string>; } catch { /* keep the message, drop bad attrs */ }
    }
    return rec;
  }
  const r = parseRecord(raw);
  return r && { line: Buffer.from(r.log, 'utf8'), stream: r.stream, time: r.time, ...(r.attrs ? { attrs: r.attrs } : {}) };
}

/** Parses one record line with JSON.parse; null for a corrupt or foreign line. */
export function parseRecord(raw: Buffer): JsonRecord | null {
  try {
    const r = JSON.parse(raw.toString('utf8')) as Partial<JsonRecord>;
    if (typeof r !== 'object' || r === null || typeof r.time !== 'string') return null;
    return {
      log: typeof r.log === 'string' ? r.log : '',
      stream: r.stream === 'stderr' ? 'stderr' : 'stdout',
      time: r.time,
      attrs: r.attrs && typeof r.attrs === 'object' ? r.attrs : undefined,
    };
  } catch {
    return null;
  }
}
