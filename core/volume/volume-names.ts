/** Volume name rules, as Docker's local driver has them. */
import { randomBytes } from 'node:crypto';
import { InvalidArgumentError } from '../errors';

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Throws InvalidArgumentError with Docker's message for a bad volume name. */
export function validateVolumeName(name: string): void {
  if (!NAME_RE.test(name) || name.includes('..')) {
    throw new InvalidArgumentError(
      `create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
    );
  }
}

/** A name for an anonymous volume: 64 hex characters, like Docker's. */
export function anonymousVolumeName(): string {
  return randomBytes(32).toString('hex');
}
