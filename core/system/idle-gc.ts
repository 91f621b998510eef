/**
 * Gives memory back when the daemon goes idle. V8 keeps the heap a burst of
 * work grew (streaming a 500,000-line log, a pull) until its next major GC,
 * which an idle daemon may not run for a long time: berthd sat at 175 MiB
 * after the benchmark's scenarios, 97 MiB once collected. This runs one full
 * GC when no job has started or ended for `idleMs` and the resident set grew
 * by `growthBytes` since the last one — at most once per idle period, and
 * never while jobs keep coming.
 */
import type { Logger } from 'pino';
import type { Engine } from '../engine/engine';

export interface IdleGcOptions {
  /** Quiet time before collecting (ms). */
  idleMs?: number;
  /** Growth of the resident set since the last collection that is worth one (bytes). */
  growthBytes?: number;
  /** Gives freed C heap back to the system after the GC (malloc_trim), when available. */
  trim?: () => void;
  /** Told of each collection (debug level). */
  log?: Pick<Logger, 'debug'>;
}

/** Starts watching `engine`; returns a function that stops it. The timer never keeps the process alive. */
export function startIdleGc(engine: Engine, gc: () => void, opts: IdleGcOptions = {}): () => void {
  const idleMs = opts.idleMs ?? 100;
  const growth = opts.growthBytes ?? 8 * 1024 * 1024;
  let base = process.memoryUsage.rss();
  let seen = engine.activity;
  const timer = setInterval(() => {
    const now = engine.activity;
    if (now !== seen) { seen = now; return; }
    const before = process.memoryUsage.rss();
    if (before - base < growth) return;
    gc();
    opts.trim?.();
    // V8 gives pages back as its sweeper finishes: take the new base a moment later
    setTimeout(() => {
      base = process.memoryUsage.rss();
      opts.log?.debug({ rssBefore: before, rssAfter: base }, 'idle gc');
    }, 50).unref();
  }, idleMs);
  timer.unref();
  return () => clearInterval(timer);
}
