/**
 * `--since` / `--until` values as docker's CLI reads them
 * (timetypes.GetTimestamp) and sends them: a Go duration (`10m`, `1h30m`,
 * `1.5h`, `250ms`) means that long before now; a date or date-time (RFC 3339,
 * local time when no zone is given) or unix seconds pass as unix seconds,
 * formatted `seconds.nanoseconds`.
 */
import { InvalidArgumentError } from '../errors';

const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
const DURATION = /^([0-9]*\.?[0-9]+(?:ns|us|µs|ms|s|m|h))+$/;

function format(ms: number): string {
  const secs = Math.floor(ms / 1000);
  const nanos = Math.round((ms - secs * 1000) * 1e6);
  return `${secs}.${String(nanos).padStart(9, '0')}`;
}

/**
 * Converts a `--since`/`--until` value to the API's unix-seconds form.
 * InvalidArgumentError naming the flag when it is none of the accepted forms.
 */
export function toTimestamp(value: string, flag: string, now = Date.now()): string {
  const v = value.trim();
  if (/^[0-9]+(\.[0-9]+)?$/.test(v)) return v;
  if (DURATION.test(v)) {
    let ns = 0;
    for (const m of v.matchAll(/([0-9]*\.?[0-9]+)(ns|us|µs|ms|s|m|h)/g)) ns += Number(m[1]) * UNIT_NS[m[2]];
    return format(now - ns / 1e6);
  }
  let text = v;
  if (/^\d{4}-\d\d-\d\d$/.test(text)) text += 'T00:00:00'; // a bare date is local midnight, as in docker
  const ms = /^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?$/.test(text) ? Date.parse(text.replace(' ', 'T')) : NaN;
  if (Number.isNaN(ms)) {
    throw new InvalidArgumentError(`invalid value for ${flag}: ${JSON.stringify(value)}: expected a duration (10m, 1h30m), a date/time (2006-01-02T15:04:05Z) or unix seconds`);
  }
  return format(ms);
}
