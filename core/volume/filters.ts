/** Docker-style list filters, normalised from either of the two JSON forms the API accepts. */
import { InvalidArgumentError } from '../errors';
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
    if (!allowed.includes(k)) throw new InvalidArgumentError(`invalid filter '${k}'`);
    out[k] = Array.isArray(v) ? v.map(String) : Object.entries(v).filter(([, on]) => on).map(([x]) => x);
  }
  return out;
}

/** Whether `labels` satisfy every `key` or `key=value` filter. */
export function matchLabels(labels: Record<string, string>, wanted: string[]): boolean {
  return wanted.every((w) => {
    const i = w.indexOf('=');
    if (i < 0) return w in labels;
    return labels[w.slice(0, i)] === w.slice(i + 1);
  });
}
