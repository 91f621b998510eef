/**
 * Tells once when the daemon first works hard: the first time the process
 * (all its threads: the event loop, a pull's layer workers, V8's own) used
 * at least `busyFraction` of one core over a stretch of at least `windowMs`.
 *
 * berthd keeps V8's optimising compiler off until then (heap-flags.ts, lean
 * flags). A daemon that runs a container now and then, or imports a small
 * image, never needs it, and its first use maps ~3.5 MiB of the compiler's
 * own code in the node binary plus ~1 MiB of heap. Work that lasts — a log
 * stream, a pull, twenty containers at once — is where optimised code pays,
 * and it is seen within one window. Measured (berthd's CPU, one `docker`
 * command at a time): `docker import` of a busybox tarball ~120 ms over 130
 * ms (never 0.8 of a 250 ms window), a `docker run` ~10 ms, a 500,000-line
 * log ~380 ms over 380 ms.
 */

export interface FirstBusyOptions {
  /** Length of a stretch (ms; default 250). Checked once per stretch by an unref'd timer. */
  windowMs?: number;
  /** Share of one core used over a stretch that counts as busy (default 0.8). */
  busyFraction?: number;
  /** CPU time used by the process so far (ms); process.cpuUsage by default. */
  cpuMs?: () => number;
}

/**
 * Calls `onBusy` once, at the end of the first stretch in which the process
 * was busy, and stops watching. Returns a function that stops watching
 * earlier. The timer never keeps the process alive.
 */
export function onFirstBusy(onBusy: () => void, opts: FirstBusyOptions = {}): () => void {
  const windowMs = opts.windowMs ?? 250;
  const fraction = opts.busyFraction ?? 0.8;
  const cpuMs = opts.cpuMs ?? processCpuMs;
  let lastCpu = cpuMs();
  let lastAt = performance.now();
  const timer = setInterval(() => {
    const cpu = cpuMs();
    const now = performance.now();
    // a timer held up by a long synchronous stretch measures that whole stretch
    const busy = cpu - lastCpu >= fraction * (now - lastAt);
    lastCpu = cpu;
    lastAt = now;
    if (!busy) return;
    clearInterval(timer);
    onBusy();
  }, windowMs);
  timer.unref();
  return () => clearInterval(timer);
}

function processCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
