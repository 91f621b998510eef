/**
 * Gives memory back when the daemon goes idle. V8 keeps the heap a burst of
 * work grew (streaming a 500,000-line log, a pull) until its next major GC,
 * which an idle daemon may not run for a long time: berthd sat at 175 MiB
 * after the benchmark's scenarios, 97 MiB once collected. This runs one full
 * GC when no job has started or ended for `idleMs` and the resident set grew
 * by `growthBytes` since the last one (or since the lowest level a
 * collection reached, at most once per `floorEveryMs`), and never while jobs
 * keep coming or the event loop is busy (a pull or a log stream is one job:
 * collecting in its middle every 100 ms slowed it and kept nothing).
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Engine } from '../engine/engine';

export interface IdleGcOptions {
  /** Quiet time before collecting (ms). */
  idleMs?: number;
  /** Growth of the resident set since the last collection that is worth one (bytes; 2 MiB: with 4 MiB an idle berthd sat anywhere in a 4 MiB band above its collected size, depending on where the last burst stopped). */
  growthBytes?: number;
  /** Gives freed C heap back to the system after the GC (malloc_trim), when available. */
  trim?: () => void;
  /** Least time between two collections measured against the floor (ms; default 10 × idleMs). */
  floorEveryMs?: number;
  /**
   * The event loop's utilisation (0..1) since the previous call; above 0.1 the daemon is not
   * idle even though no job started or ended (a pull or a log stream runs inside one job).
   * performance.eventLoopUtilization by default.
   */
  utilization?: () => number;
  /** Reads the resident set (bytes); process.memoryUsage.rss by default. */
  rss?: () => number;
  /** Collects at the first idle moment whatever the growth (what start-up left behind). */
  initial?: boolean;
  /** Called after each collection (berthd ends its start-up flags at the first). */
  onCollect?: () => void;
  /** Told of each collection (debug level). */
  log?: Pick<Logger, 'debug'>;
}

/** Starts watching `engine`; returns a function that stops it. The timer never keeps the process alive. */
export function startIdleGc(engine: Engine, gc: () => void, opts: IdleGcOptions = {}): () => void {
  const idleMs = opts.idleMs ?? 100;
  const growth = opts.growthBytes ?? 2 * 1024 * 1024;
  const rss = opts.rss ?? (() => process.memoryUsage.rss());
  const floorEvery = opts.floorEveryMs ?? 10 * idleMs;
  const utilization = opts.utilization ?? loopUtilization();
  // `base`: the resident set after the last collection. `floor`: what a
  // collection brought it down to, raised only when one gave back less than
  // `growth` (that memory is live). A collection can run in the middle of a
  // stream (`docker logs` of 500,000 lines starts and ends no job while it
  // flows), and then `base` is the stream's high-water mark: the garbage the
  // stream leaves would stay. So the resident set is also compared with
  // `floor`, at most once per `floorEvery`.
  let base = opts.initial ? -Infinity : rss();
  let floor = opts.initial ? -Infinity : base;
  let lastAt = 0;
  let measuring = false; // a collection's new base is not read yet
  let seen = engine.activity;
  let trimmed = seen; // activity count at the last trim
  const timer = setInterval(() => {
    const now = engine.activity;
    const busy = utilization() > 0.1;
    if (now !== seen || busy) { seen = now; return; }
    if (measuring) return;
    const before = rss();
    if (before - base < growth && (before - floor < growth || Date.now() - lastAt < floorEvery)) {
      // No collection worth it, but the C heap the jobs freed goes back at once:
      // malloc_trim costs about a millisecond, once per idle period.
      if (trimmed !== now) { trimmed = now; opts.trim?.(); }
      return;
    }
    lastAt = Date.now();
    trimmed = now;
    measuring = true;
    gc();
    opts.trim?.();
    opts.onCollect?.();
    // V8 gives pages back as its sweeper finishes: take the new base a moment later
    setTimeout(() => {
      measuring = false;
      base = rss();
      floor = before - base < growth ? base : Math.min(floor, base);
      opts.log?.debug({ rssBefore: before, rssAfter: base }, 'idle gc');
    }, 50).unref();
  }, idleMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** performance.eventLoopUtilization since the previous call of the returned function. */
function loopUtilization(): () => number {
  let last = performance.eventLoopUtilization();
  return () => {
    const cur = performance.eventLoopUtilization();
    const u = performance.eventLoopUtilization(cur, last).utilization;
    last = cur;
    return u;
  };
}
