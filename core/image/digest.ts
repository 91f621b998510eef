/**
 * Content addressing: sha256 digests (`sha256:<64 hex>`), a pass-through
 * stream that hashes what flows through it, and OCI chain IDs.
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { InvalidArgumentError } from '../errors';

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

/** Whether `s` is a sha256 digest in canonical form. */
export function isDigest(s: string): boolean {
  return DIGEST_RE.test(s);
}

/** Throws InvalidArgumentError naming `what` unless `s` is a sha256 digest. */
export function checkDigest(s: string, what = 'digest'): string {
  if (!DIGEST_RE.test(s)) throw new InvalidArgumentError(`invalid ${what} "${s}": expected sha256:<64 lowercase hex>`);
  return s;
}

/** `sha256:` digest of bytes. */
export function sha256Digest(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** The 64-hex part of a digest. */
export function digestHex(d: string): string {
  return checkDigest(d).slice(7);
}

/**
 * Chain IDs of a layer stack (OCI image spec): the first is the first
 * diff_id; each next is sha256 of `<previous chain id> <diff_id>`.
 */
export function chainIds(diffIds: string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) {
    checkDigest(d, 'diff_id');
    out.push(out.length === 0 ? d : sha256Digest(`${out[out.length - 1]} ${d}`));
  }
  return out;
}

/** The chain id of `diffId` on top of `parentChain` (null for a base layer). */
export function chainIdOf(parentChain: string | null, diffId: string): string {
  return parentChain ? sha256Digest(`${parentChain} ${diffId}`) : diffId;
}

/** A pass-through stream that digests and counts the bytes flowing through it. */
export class DigestStream extends Transform {
  private readonly hash: Hash = createHash('sha256');
  /** Bytes seen so far. */
  bytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    cb(null, chunk);
  }
  /** The digest of everything that passed (call once, after the end). */
  digest(): string {
    return `sha256:${this.hash.digest('hex')}`;
  }
}
