/**
 * What every list and prune filter shares, with dockerd's (API v1.41)
 * messages: the error for a key or value it does not take, the check of the
 * keys an endpoint accepts, label matching and prune's `until`.
 */
import { InvalidArgumentError } from './errors';

/** `Invalid filter 'key'`, or `Invalid filter 'key=value'` for a value the key cannot take (400). */
export function invalidFilter(key: string, value?: string): InvalidArgumentError {
  return new InvalidArgumentError(`Invalid filter '${key}${value === undefined ? '' : `=${value}`}'`);
}

/** Throws invalidFilter for the first key not in `accepted` (dockerd's filters.Args.Validate). */
export function checkFilterKeys(filters: object, accepted: readonly string[]): void {
  for (const k of Object.keys(filters)) if (!accepted.includes(k)) throw invalidFilter(k);
}

/** Label filter match: every `key` present, every `key=value` equal. */
export function matchLabels(labels: Record<string, string>, wanted: string[] | undefined): boolean {
  for (const w of wanted ?? []) {
    const i = w.indexOf('=');
    if (i < 0) { if (!(w in labels)) return false; } else if (labels[w.slice(0, i)] !== w.slice(i + 1)) return false;
  }
  return true;
}

/** Prune's `until`: a Go duration before `now` (`10m`, `24h`), Unix seconds, or a date; milliseconds since the epoch. */
function parseUntil(u: string, now: number): number {
  const d = /^(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)$/.exec(u);
  if (d) {
    const mult: Record<string, number> = { ns: 1e-6, us: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
    return now - Number(d[1]) * mult[d[2]];
  }
  if (/^\d+(\.\d+)?$/.test(u)) return Number(u) * 1000;
  const t = Date.parse(u);
  if (Number.isNaN(t)) throw invalidFilter('until', u);
  return t;
}

/**
 * Prune's filters `until`, `label` and `label!` as one predicate on a thing's
 * creation time (ms) and labels; other keys are refused.
 */
export function pruneMatcher(f: Record<string, string[]>, now = Date.now()): (created: number, labels: Record<string, string>) => boolean {
  checkFilterKeys(f, ['until', 'label', 'label!']);
  const untils = (f.until ?? []).map((u) => parseUntil(u, now));
  return (created, labels) => {
    if (untils.some((t) => created >= t)) return false;
    if (!matchLabels(labels, f.label)) return false;
    for (const neg of f['label!'] ?? []) if (matchLabels(labels, [neg])) return false;
    return true;
  };
}
