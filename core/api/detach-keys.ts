/**
 * Detach keys (`--detach-keys`, default ctrl-p,ctrl-q): a byte sequence typed
 * on an attached tty's stdin that detaches the client and leaves the container
 * running. As in Docker they apply only when the container (or exec) has a tty.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { InvalidArgumentError } from '../errors';

/** Docker's default detach sequence: ctrl-p, ctrl-q. */
export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

/**
 * Parses Docker's detach-keys syntax (`ctrl-p,ctrl-q`, `a,ctrl-@`) into bytes.
 * InvalidArgumentError `Invalid detach keys (<keys>) provided` on anything else.
 */
export function parseDetachKeys(keys: string): Buffer {
  const bad = (): InvalidArgumentError => new InvalidArgumentError(`Invalid detach keys (${keys}) provided`);
  const out: number[] = [];
  for (const key of keys.split(',')) {
    const k = key.trim().toLowerCase();
    if (k.length === 1) {
      out.push(k.charCodeAt(0));
      continue;
    }
    const m = /^ctrl-(.)$/.exec(k);
    if (!m) throw bad();
    const c = m[1];
    if (c >= 'a' && c <= 'z') out.push(c.charCodeAt(0) - 96);
    else if (c === '@') out.push(0);
    else if (c === '[') out.push(27);
    else if (c === '\\') out.push(28);
    else if (c === ']') out.push(29);
    else if (c === '^') out.push(30);
    else if (c === '_') out.push(31);
    else throw bad();
  }
  if (out.length === 0) throw bad();
  return Buffer.from(out);
}

/**
 * Passes stdin through, watching for the detach sequence. Bytes that might
 * start the sequence are held back until it is clear they do not; when the
 * whole sequence arrives, the stream ends (the sequence itself is swallowed)
 * and `onDetach` runs.
 */
export class DetachKeyScanner extends Transform {
  private matched = 0;
  private detached = false;

  constructor(private readonly keys: Buffer, private readonly onDetach: () => void) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.detached) return cb();
    const out: number[] = [];
    for (const byte of chunk) {
      if (byte === this.keys[this.matched]) {
        this.matched++;
        if (this.matched === this.keys.length) {
          if (out.length > 0) this.push(Buffer.from(out));
          this.detached = true;
          this.push(null);
          this.onDetach();
          return cb();
        }
        continue;
      }
      if (this.matched > 0) {
        out.push(...this.keys.subarray(0, this.matched));
        this.matched = 0;
        if (byte === this.keys[0]) { this.matched = 1; continue; }
      }
      out.push(byte);
    }
    if (out.length > 0) this.push(Buffer.from(out));
    cb();
  }

  override _flush(cb: TransformCallback): void {
    if (!this.detached && this.matched > 0) this.push(this.keys.subarray(0, this.matched));
    cb();
  }
}
