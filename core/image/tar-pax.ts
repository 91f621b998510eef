/**
 * Binary-safe PAX records for tar-stream.
 *
 * tar-stream decodes and encodes PAX records as UTF-8 text. Extended
 * attributes travel in PAX as `SCHILY.xattr.<name>=<raw bytes>` and values
 * such as `security.capability` are binary: UTF-8 decoding would corrupt them.
 * This module replaces tar-stream's two PAX helpers (once, at load) with
 * versions that keep `SCHILY.xattr.*` values as latin1 strings — one char per
 * byte — so `Buffer.from(value, 'latin1')` gives the exact bytes back, and
 * encode them the same way. Every other record is UTF-8 as before.
 */
import * as path from 'node:path';

const XATTR_PREFIX = 'SCHILY.xattr.';

interface PaxHeadersModule {
  decodePax(buf: Buffer): Record<string, string>;
  encodePax(opts: { name?: string; linkname?: string | null; pax?: Record<string, string> }): Buffer;
}

function record(key: string, value: string): Buffer {
  const body = Buffer.concat([
    Buffer.from(` ${key}=`, 'utf8'),
    Buffer.from(value, key.startsWith(XATTR_PREFIX) ? 'latin1' : 'utf8'),
    Buffer.from('\n'),
  ]);
  let digits = String(body.length).length;
  if (body.length + digits >= 10 ** digits) digits++;
  return Buffer.concat([Buffer.from(String(body.length + digits)), body]);
}

function decodePax(buf: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  while (buf.length) {
    let i = 0;
    while (i < buf.length && buf[i] !== 32) i++;
    const len = parseInt(buf.subarray(0, i).toString('latin1'), 10);
    if (!len || len > buf.length) return out;
    const rec = buf.subarray(i + 1, len - 1);
    const eq = rec.indexOf(0x3d);
    if (eq === -1) return out;
    const key = rec.subarray(0, eq).toString('utf8');
    out[key] = rec.subarray(eq + 1).toString(key.startsWith(XATTR_PREFIX) ? 'latin1' : 'utf8');
    buf = buf.subarray(len);
  }
  return out;
}

function encodePax(opts: { name?: string; linkname?: string | null; pax?: Record<string, string> }): Buffer {
  const parts: Buffer[] = [];
  if (opts.name) parts.push(record('path', opts.name));
  if (opts.linkname) parts.push(record('linkpath', opts.linkname));
  for (const [k, v] of Object.entries(opts.pax ?? {})) parts.push(record(k, v));
  return Buffer.concat(parts);
}

let patched = false;

/** Installs the binary-safe PAX helpers into tar-stream (idempotent). */
export function installBinaryPax(): void {
  if (patched) return;
  const dir = path.dirname(require.resolve('tar-stream'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const headers = require(path.join(dir, 'headers.js')) as PaxHeadersModule;
  headers.decodePax = decodePax;
  headers.encodePax = encodePax;
  patched = true;
}

/** The xattrs carried by an entry's PAX records, as raw bytes by name. */
export function xattrsFromPax(pax: Record<string, string> | null | undefined): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  if (!pax) return out;
  for (const [k, v] of Object.entries(pax)) {
    if (k.startsWith(XATTR_PREFIX)) out.set(k.slice(XATTR_PREFIX.length), Buffer.from(v, 'latin1'));
  }
  return out;
}

/** PAX records for a set of xattrs (values as latin1 strings, see above). */
export function paxFromXattrs(x: Map<string, Buffer>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of x) out[XATTR_PREFIX + k] = v.toString('latin1');
  return out;
}

installBinaryPax();
