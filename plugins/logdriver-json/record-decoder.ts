/**
 * Turns json-file records back into messages: parses one record, joins the
 * pieces of lines the copier split (a record whose log text lacks the final
 * newline is a partial piece; pieces are joined per stream), and applies
 * `since`/`until` the way Docker does (since: skip earlier; until: stop after).
 */
import type { LogMessage } from '../../core';
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

interface Pending { parts: Buffer[]; timeNs: bigint; attrs?: Record<string, string> }

/**
 * Joins partial pieces and filters by time. `push` returns 'stop' once a
 * message after `until` is seen (readers then stop, as Docker's do).
 */
export class MessageAssembler {
  private readonly pending: Record<'stdout' | 'stderr', Pending | null> = { stdout: null, stderr: null };
  private readonly sinceNs: bigint | null;
  private readonly untilNs: bigint | null;

  constructor(opts: { since?: Date; until?: Date }, private readonly emit: (m: LogMessage) => void) {
    this.sinceNs = opts.since ? BigInt(opts.since.getTime()) * 1_000_000n : null;
    this.untilNs = opts.until ? BigInt(opts.until.getTime()) * 1_000_000n : null;
  }

  /** Feeds one raw record. Returns false when reading should stop (past `until`). */
  push(raw: Buffer): boolean {
    const r = decodeRecord(raw);
    if (r === null) return true;
    const p = this.pending[r.stream];
    const complete = r.line.length > 0 && r.line[r.line.length - 1] === 0x0a;
    if (!complete) {
      if (p) p.parts.push(r.line);
      else this.pending[r.stream] = { parts: [r.line], timeNs: r.timeNs ?? recordTimeNs(r.time), attrs: r.attrs };
      return true;
    }
    if (p) {
      p.parts.push(r.line);
      this.pending[r.stream] = null;
      return this.deliver(Buffer.concat(p.parts), r.stream, p.timeNs, p.attrs);
    }
    return this.deliver(r.line, r.stream, r.timeNs ?? recordTimeNs(r.time), r.attrs);
  }

  /** Delivers pieces still waiting for their end (at end of a non-following read). */
  flush(): boolean {
    for (const s of ['stdout', 'stderr'] as const) {
      const p = this.pending[s];
      this.pending[s] = null;
      if (p && !this.deliver(Buffer.concat(p.parts), s, p.timeNs, p.attrs)) return false;
    }
    return true;
  }

  private deliver(line: Buffer, source: 'stdout' | 'stderr', timeNs: bigint, attrs?: Record<string, string>): boolean {
    if (this.untilNs !== null && timeNs > this.untilNs) return false;
    if (this.sinceNs !== null && timeNs < this.sinceNs) return true;
    const msg: LogMessage = { line, source, time: new Date(Math.floor(Number(timeNs) / 1e6)), timeNs };
    if (attrs) msg.attrs = attrs;
    this.emit(msg);
    return true;
  }
}
