/**
 * How `docker logs` prints a message: the line itself, preceded by the
 * attrs (`--details`, `k=v,k=v ` with url query escaping) and by the time
 * (`--timestamps`, Docker's RFC3339NanoFixed: always nine fraction digits).
 */
import type { LogMessage } from '../drivers/logdriver';

/** `2006-01-02T15:04:05.000000000Z` form of a message's time. */
export function formatTimestampFixed(msg: Pick<LogMessage, 'time' | 'timeNs'>): string {
  const ns = msg.timeNs ?? BigInt(msg.time.getTime()) * 1_000_000n;
  const sec = ns / 1_000_000_000n;
  const frac = String(ns - sec * 1_000_000_000n).padStart(9, '0');
  return `${new Date(Number(sec) * 1000).toISOString().slice(0, 19)}.${frac}Z`;
}

function queryEscape(s: string): string {
  return encodeURIComponent(s).replace(/%20/g, '+').replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The bytes `docker logs` writes for one message (before stream framing). */
export function formatLogEntry(msg: LogMessage, opts: { timestamps?: boolean; details?: boolean }): Buffer {
  let prefix = '';
  if (opts.timestamps) prefix += `${formatTimestampFixed(msg)} `;
  if (opts.details) {
    const attrs = Object.entries(msg.attrs ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    prefix += `${attrs.map(([k, v]) => `${queryEscape(k)}=${queryEscape(v)}`).join(',')} `;
  }
  return prefix ? Buffer.concat([Buffer.from(prefix), msg.line]) : msg.line;
}
