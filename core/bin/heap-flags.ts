/**
 * berthd's V8 heap settings, applied at run time before the daemon loads
 * (`v8.setFlagsFromString`): the bench and init systems start berthd as
 * `node berthd.js`, so node's command line cannot carry them, and a re-exec
 * would leave a second node process behind.
 *
 * - `--max-semi-space-size=1 --semi-space-growth-factor=1`: the young
 *   generation stays at 1 MiB per semi-space instead of growing to 16 MiB
 *   (32 MiB resident) under load (set at run time, only the growth factor
 *   takes effect). Measured: fresh berthd 70 MiB instead of 80, ~30 MiB less
 *   after streaming logs. The price is paid by paths that allocate an object
 *   per item: the copier's json-file path went from +70% CPU to none once it
 *   stopped making an object per line (LogLines); keep hot paths that way.
 * - `--expose-gc` (only to get a `gc` function, kept private): the idle
 *   collector (core/system/idle-gc.ts) returns the heap grown by a burst of
 *   work (a 500,000-line `docker logs`, a pull) once the daemon is idle.
 *
 * `BERTHD_V8_FLAGS` replaces the heap flags (an empty value keeps V8's own).
 */
import * as v8 from 'node:v8';
import * as vm from 'node:vm';

/** The default heap flags of berthd. */
export const DEFAULT_HEAP_FLAGS = '--max-semi-space-size=1 --semi-space-growth-factor=1';

/** Applies the heap flags (from `env.BERTHD_V8_FLAGS` when set); returns a function running a full GC. */
export function applyHeapFlags(env: NodeJS.ProcessEnv = process.env): () => void {
  const flags = env.BERTHD_V8_FLAGS ?? DEFAULT_HEAP_FLAGS;
  for (const f of flags.split(/\s+/).filter(Boolean)) v8.setFlagsFromString(f);
  if (typeof (globalThis as { gc?: unknown }).gc === 'function') return (globalThis as unknown as { gc: () => void }).gc;
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}
