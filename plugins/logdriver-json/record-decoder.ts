/**
 * Turns json-file records back into messages: parses one record, joins the
 * pieces of lines the copier split (a record whose log text lacks the final
 * newline is a partial piece; pieces are joined per stream), and applies
 * `since`/`until` the way Docker does (since: skip earlier; until: stop after).
 */
import type { LogMessage } from '../../core';

/** One record as stored. */
export interface JsonRecord {
  log: string;
  stream: 'stdout' | 'stderr';
  time: string;
  attrs?: Record<string, string>;
}

let cachedPrefix = '';
let cachedMs = 0;

/** Nanoseconds since the epoch of a json-file time (RFC 3339, any offset, ≤ 9 fraction digits). */
export function recordTimeNs(t: string): bigint {
  // Fast path for Docker's own form: "YYYY-MM-DDTHH:MM:SS[.fffffffff]Z".
  if (t.length >= 20 && t.charCodeAt(t.length - 1) === 90 /* Z */) {
    const prefix = t.slice(0, 19);
    if (prefix !== cachedPrefix) {
      const ms = Date.parse(`${prefix}Z`);
      if (Number.isNaN(ms)) return slowTimeNs(t);
      cachedPrefix = prefix;
      cachedMs = ms;
    }
    if (t.length === 20) return BigInt(cachedMs) * 1_000_000n;
    if (t.charCodeAt(19) === 46 /* . */) {
      const frac = t.slice(20, t.length - 1);
      if (/^\d{1,9}$/.test(frac)) return BigInt(cachedMs) * 1_000_000n + BigInt(frac.padEnd(9, '0'));
    }
  }
  return slowTimeNs(t);
}

function slowTimeNs(t: string): bigint {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(t);
  if (!m) return 0n;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  return BigInt(Number.isNaN(ms) ? 0 : ms) * 1_000_000n + (m[2] ? BigInt(m[2].padEnd(9, '0')) : 0n);
}

/** Parses one record line (trailing newline allowed); null for a corrupt or foreign line. */
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

interface Pending { parts: string[]; timeNs: bigint; attrs?: Record<string, string> }

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
    const r = parseRecord(raw);
    if (r === null) return true;
    const timeNs = recordTimeNs(r.time);
    const p = this.pending[r.stream];
    if (!r.log.endsWith('\n')) {
      if (p) p.parts.push(r.log);
      else this.pending[r.stream] = { parts: [r.log], timeNs, attrs: r.attrs };
      return true;
    }
    if (p) {
      p.parts.push(r.log);
      this.pending[r.stream] = null;
      return this.deliver(p.parts.join(''), r.stream, p.timeNs, p.attrs);
    }
    return this.deliver(r.log, r.stream, timeNs, r.attrs);
  }

  /** Delivers pieces still waiting for their end (at end of a non-following read). */
  flush(): boolean {
    for (const s of ['stdout', 'stderr'] as const) {
      const p = this.pending[s];
      this.pending[s] = null;
      if (p && !this.deliver(p.parts.join(''), s, p.timeNs, p.attrs)) return false;
    }
    return true;
  }

  private deliver(log: string, source: 'stdout' | 'stderr', timeNs: bigint, attrs?: Record<string, string>): boolean {
    if (this.untilNs !== null && timeNs > this.untilNs) return false;
    if (this.sinceNs !== null && timeNs < this.sinceNs) return true;
    const msg: LogMessage = { line: Buffer.from(log, 'utf8'), source, time: new Date(Number(timeNs / 1_000_000n)), timeNs };
    if (attrs) msg.attrs = attrs;
    this.emit(msg);
    return true;
  }
}
