/** Signal names and numbers, as Docker's `signal.ParseSignal` accepts them. */
import { constants } from 'node:os';
import { InvalidArgumentError } from '../errors';

const BY_NAME = constants.signals as Readonly<Record<string, number>>;

/**
 * Canonical signal name for `SIGTERM`, `TERM`, `term` or `15`.
 * InvalidArgumentError `Invalid signal: X` otherwise.
 */
export function parseSignal(sig: string | number): string {
  const s = String(sig).trim();
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    const name = Object.keys(BY_NAME).find((k) => BY_NAME[k] === n);
    if (!name || n === 0) throw new InvalidArgumentError(`Invalid signal: ${s}`);
    return name;
  }
  const up = s.toUpperCase();
  const name = up.startsWith('SIG') ? up : `SIG${up}`;
  if (!(name in BY_NAME)) throw new InvalidArgumentError(`Invalid signal: ${s}`);
  return name;
}

/** The number of a canonical signal name. */
export function signalNumber(name: string): number {
  return BY_NAME[parseSignal(name)];
}
