/**
 * Times as json-file stores them: Go's time.RFC3339Nano in UTC
 * (`2026-11-25T20:01:02.123456789Z`), where Go trims trailing zeros of the
 * fraction and drops the dot when the fraction is zero.
 */
import { InvalidArgumentError } from '../../core';

const NS_PER_SEC = 1_000_000_000n;

let cachedSec = -1n;
let cachedPrefix = '';

/** Formats nanoseconds since the epoch exactly as Go's `t.UTC().Format(time.RFC3339Nano)`. */
export function formatRfc3339Nano(ns: bigint): string {
  const sec = ns >= 0n ? ns / NS_PER_SEC : (ns - NS_PER_SEC + 1n) / NS_PER_SEC;
  const frac = Number(ns - sec * NS_PER_SEC);
  if (sec !== cachedSec) {
    cachedSec = sec;
    cachedPrefix = new Date(Number(sec) * 1000).toISOString().slice(0, 19);
  }
  if (frac === 0) return `${cachedPrefix}Z`;
  let digits = String(frac).padStart(9, '0');
  let end = digits.length;
  while (digits.charCodeAt(end - 1) === 48 /* 0 */) end--;
  digits = digits.slice(0, end);
  return `${cachedPrefix}.${digits}Z`;
}

/** Nanoseconds since the epoch of a Date (millisecond precision). */
export function dateToNs(d: Date): bigint {
  return BigInt(d.getTime()) * 1_000_000n;
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Parses an RFC 3339 time with up to nanosecond precision into nanoseconds
 * since the epoch. InvalidArgumentError for anything else.
 */
export function parseRfc3339Nano(s: string): bigint {
  const m = RFC3339.exec(s);
  if (!m) throw new InvalidArgumentError(`invalid RFC 3339 time in log file: ${JSON.stringify(s)}`);
  const zone = m[3] === 'Z' ? 'Z' : m[3];
  const ms = Date.parse(`${m[1]}${zone}`);
  if (Number.isNaN(ms)) throw new InvalidArgumentError(`invalid RFC 3339 time in log file: ${JSON.stringify(s)}`);
  const frac = m[2] ? BigInt(m[2].padEnd(9, '0')) : 0n;
  return BigInt(ms) * 1_000_000n + frac;
}
