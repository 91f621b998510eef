/** Docker-style list filters, normalised from either of the two JSON forms the API accepts. */
import { InvalidArgumentError } from '../errors';
import { invalidFilter } from '../filters';
import type { Filters } from './types';

/** Turns `{"a":["x"]}` or `{"a":{"x":true}}` into `{ a: ['x'] }`, refusing keys not in `allowed`. */
export function normaliseFilters(raw: Filters | string | undefined, allowed: readonly string[]): Record<string, string[]> {
  if (raw === undefined || raw === '') return {};
  let obj: unknown = raw;
  if (typeof raw === 'string') {
    try { obj = JSON.parse(raw); } catch { throw new InvalidArgumentError(`invalid filters: ${raw}`); }
  }
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(obj as Filters)) {
    if (!allowed.includes(k)) throw invalidFilter(k);
    out[k] = Array.isArray(v) ? v.map(String) : Object.entries(v).filter(([, on]) => on).map(([x]) => x);
  }
  return out;
}
