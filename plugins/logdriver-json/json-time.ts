/**
 * Times as json-file stores them: Go's time.RFC3339Nano in UTC
 * (`2026-11-25T20:01:02.123456789Z`), where Go trims trailing zeros of the
 * fraction and drops the dot when the fraction is zero.
 */
const NS_PER_SEC = 1_000_000_000n;

let secStartNs = -1n;
let secEndNs = -1n;
let cachedPrefix = '';

/** Formats nanoseconds since the epoch exactly as Go's `t.UTC().Format(time.RFC3339Nano)`. */
export function formatRfc3339Nano(ns: bigint): string {
  if (ns < secStartNs || ns >= secEndNs) {
    let sec = ns / NS_PER_SEC;
    if (sec * NS_PER_SEC > ns) sec -= 1n; // floor for times before 1970
    secStartNs = sec * NS_PER_SEC;
    secEndNs = secStartNs + NS_PER_SEC;
    cachedPrefix = new Date(Number(sec) * 1000).toISOString().slice(0, 19);
  }
  const frac = Number(ns - secStartNs);
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

let wSecStart = -1n;
let wSecEnd = -1n;
let wPrefix = Buffer.alloc(19);

/**
 * Appends `formatRfc3339Nano(ns)` to `out` (room for 30 bytes must have
 * been ensured) without building a string: the hot path of the writer.
 */
export function writeRfc3339Nano(out: { buf: Buffer; len: number }, ns: bigint): void {
  if (ns < wSecStart || ns >= wSecEnd) {
    let sec = ns / NS_PER_SEC;
    if (sec * NS_PER_SEC > ns) sec -= 1n;
    wSecStart = sec * NS_PER_SEC;
    wSecEnd = wSecStart + NS_PER_SEC;
    wPrefix = Buffer.from(new Date(Number(sec) * 1000).toISOString().slice(0, 19), 'latin1');
  }
  const buf = out.buf;
  let pos = out.len;
  buf.set(wPrefix, pos);
  pos += 19;
  let frac = Number(ns - wSecStart);
  if (frac !== 0) {
    buf[pos] = 0x2e; // .
    let digits = 9;
    while (frac % 10 === 0) { frac /= 10; digits--; }
    for (let i = digits; i > 0; i--) { buf[pos + i] = 0x30 + (frac % 10); frac = Math.floor(frac / 10); }
    pos += digits + 1;
  }
  buf[pos++] = 0x5a; // Z
  out.len = pos;
}
