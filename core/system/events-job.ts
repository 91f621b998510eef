/**
 * The `system.events` job: replays remembered events from `since`, then
 * streams new ones as JSON lines until `until` passes or the caller leaves.
 */
import type { Job } from '../engine/job';
import { InvalidArgumentError } from '../errors';
import type { EngineEvent } from '../hooks/events';
import type { EventsBroker } from './events-broker';
import { checkEventFilters, eventMatches } from './events-filter';
import type { SystemEventsInput } from './system-jobs';

/**
 * Docker's event timestamps: `seconds[.fraction]` (what the CLI sends, also
 * after turning `10m` into a time) or RFC 3339. Returns nanoseconds since the epoch.
 */
export function parseEventTime(name: string, v: string): bigint {
  const m = /^(-?[0-9]+)(?:\.([0-9]{1,9}))?$/.exec(v.trim());
  if (m) return BigInt(m[1]) * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0') || '0');
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) throw new InvalidArgumentError(`invalid value for ${name}: ${JSON.stringify(v)} is not a timestamp`);
  return BigInt(ms) * 1_000_000n;
}

function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

/** Runs one `/events` subscription on `job.io.stdout`. */
export async function streamEvents(broker: EventsBroker, job: Job<SystemEventsInput>): Promise<void> {
  const { since: sinceRaw, until: untilRaw, filters = {} } = job.input;
  checkEventFilters(filters);
  const since = sinceRaw ? parseEventTime('since', sinceRaw) : undefined;
  const until = untilRaw ? parseEventTime('until', untilRaw) : undefined;
  if (since !== undefined && until !== undefined && since > until) {
    throw new InvalidArgumentError(`since time (${sinceRaw}) cannot be after until time (${untilRaw})`);
  }
  const out = job.io.stdout;
  const inRange = (e: EngineEvent): boolean => {
    const t = BigInt(e.timeNano);
    return (since === undefined || t >= since) && (until === undefined || t <= until);
  };
  const send = (e: EngineEvent): void => {
    if (inRange(e) && eventMatches(e, filters)) out.write(JSON.stringify(e) + '\n');
  };

  await new Promise<void>((resolve) => {
    // Subscribe before replaying so nothing published meanwhile is lost.
    const queued: EngineEvent[] = [];
    let replaying = true;
    const unsubscribe = broker.subscribe((e) => { if (replaying) queued.push(e); else send(e); });
    if (since !== undefined) for (const e of broker.past()) send(e);
    replaying = false;
    for (const e of queued) send(e);

    let timer: NodeJS.Timeout | undefined;
    const done = (): void => {
      unsubscribe();
      if (timer) clearTimeout(timer);
      job.signal.removeEventListener('abort', done);
      resolve();
    };
    if (job.signal.aborted) { done(); return; }
    job.signal.addEventListener('abort', done, { once: true });
    if (until !== undefined) {
      const waitMs = Number((until - nowNs()) / 1_000_000n);
      if (waitMs <= 0) { done(); return; }
      timer = setTimeout(done, Math.min(waitMs, 2 ** 31 - 1));
    }
  });
}
