/** Container and exec ids: 64 lowercase hex characters, like Docker's. */
import { randomBytes } from 'node:crypto';

/** A fresh random 64-hex id. Never all digits (Docker avoids ids that parse as numbers). */
export function newId(): string {
  for (;;) {
    const id = randomBytes(32).toString('hex');
    if (!/^\d+$/.test(id.slice(0, 12))) return id;
  }
}

/** Whether `s` is a full 64-hex id. */
export function isFullId(s: string): boolean {
  return /^[0-9a-f]{64}$/.test(s);
}

/** The 12-character short form of an id. */
export function shortId(id: string): string {
  return id.slice(0, 12);
}
