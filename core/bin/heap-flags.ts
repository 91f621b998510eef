/**
 * berthd's V8 flags. berthd re-executes itself once at start-up (reexec.ts)
 * and puts them on node's command line; without the re-exec
 * (`BERTHD_REEXEC=0`) they are set at run time (`v8.setFlagsFromString`)
 * before the daemon loads, and applied again before each idle collection.
 *
 * - `--max-semi-space-size=1 --semi-space-growth-factor=1`: the young
 *   generation stays at 1 MiB per semi-space instead of growing to 16 MiB
 *   (32 MiB resident) under load. Measured: fresh berthd 70 MiB instead of
 *   80, ~30 MiB less after streaming logs. The price is paid by paths that
 *   allocate an object per item: the copier's json-file path went from +70%
 *   CPU to none once it stopped making an object per line (LogLines); keep
 *   hot paths that way. Set at run time only, they did not hold: the first
 *   worker thread (a big pull's layer workers, core/image/apply-pool.ts)
 *   undid the growth factor, and the young generation grew to 2 × 16 MiB
 *   (22 MiB resident in an idle berthd after the bench's scenarios, for 0.1
 *   MiB of live objects); on the command line `--max-semi-space-size` is a
 *   limit for the life of the process.
 * - `--no-sparkplug`: no baseline (Sparkplug) machine code; functions run in
 *   the interpreter until TurboFan optimises the hot ones, as before. Sparkplug
 *   compiled nearly every function a request touches, ~2.8 MiB of code in an
 *   idle berthd after the bench's scenarios; without it the bench's time rows
 *   stayed within their noise (docs/footprint.md, session 4). TurboFan stays:
 *   without it a 500,000-line log was written 3× and read 7× slower.
 * - `--expose-gc` (only to get a `gc` function, kept private): the idle
 *   collector (core/system/idle-gc.ts) returns the heap grown by a burst of
 *   work (a 500,000-line `docker logs`, a pull) once the daemon is idle.
 *
 * `BERTHD_V8_FLAGS` replaces the default flags (an empty value keeps V8's
 * own).
 *
 * Start-up flags (`STARTUP_FLAGS`, applied by applyStartupFlags, undone at
 * the daemon's first idle moment): `--optimize-for-size`.
 * `BERTHD_V8_START_FLAGS` replaces them (an empty value keeps V8's own).
 *
 * Lean flags (`LEAN_FLAGS`, applied by applyLeanFlags, undone the first time
 * the daemon works hard: core/system/first-busy.ts): `--no-opt`, no TurboFan.
 * Start-up code (loading ~450 modules, initialising plugins) runs once, and
 * so do the short bursts of a lightly used daemon (a `docker run`, a small
 * `docker import`): optimising them only made machine code and mapped the
 * optimising compiler's own pages of the node binary. Its first use costs
 * ~3.5 MiB of those pages and ~1 MiB of heap for good; a `docker import` of
 * a busybox tarball was enough (tar-stream's header checksum). Work that
 * lasts (a log stream, a pull, twenty containers started at once) turns it
 * on within a quarter of a second, and the hot paths are optimised from
 * then on. `BERTHD_V8_LEAN_FLAGS` replaces them (an empty value: TurboFan
 * from the first idle moment, as before session 5).
 *
 * A start-up or lean flag that is also one of berthd's V8 flags is never
 * undone, and a start-up flag that is also a lean flag stays until the
 * daemon is busy.
 */
import { spawnSync } from 'node:child_process';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { addonFunction } from '../native/loader';

/** The default V8 flags of berthd, for its whole life. */
export const DEFAULT_V8_FLAGS = '--max-semi-space-size=1 --semi-space-growth-factor=1 --no-sparkplug';

/** The V8 flags berthd starts with and drops at its first idle moment (boolean flags only). */
export const STARTUP_FLAGS = '--optimize-for-size';

/** The V8 flags berthd keeps until it first works hard (boolean flags only). */
export const LEAN_FLAGS = '--no-opt';

/** The flag that undoes a boolean flag: `--no-x` → `--x`, `--x` → `--no-x`. */
export function undoFlag(flag: string): string {
  return flag.startsWith('--no-') ? `--${flag.slice(5)}` : `--no-${flag.slice(2)}`;
}

/**
 * Applies the start-up flags (from `env.BERTHD_V8_START_FLAGS` when set);
 * returns the function that undoes them, to call once start-up is over.
 * Flags with a value (`--x=1`) are refused: they cannot be undone.
 */
export function applyStartupFlags(env: NodeJS.ProcessEnv = process.env, set: (flag: string) => void = v8.setFlagsFromString): () => void {
  return applyUndoable('BERTHD_V8_START_FLAGS', env.BERTHD_V8_START_FLAGS ?? STARTUP_FLAGS, [...v8Flags(env), ...leanFlags(env)], set);
}

/**
 * Applies the lean flags (from `env.BERTHD_V8_LEAN_FLAGS` when set); returns
 * the function that undoes them, to call the first time the daemon is busy.
 * Flags with a value are refused.
 */
export function applyLeanFlags(env: NodeJS.ProcessEnv = process.env, set: (flag: string) => void = v8.setFlagsFromString): () => void {
  return applyUndoable('BERTHD_V8_LEAN_FLAGS', leanFlags(env).join(' '), v8Flags(env), set);
}

function leanFlags(env: NodeJS.ProcessEnv): string[] {
  return (env.BERTHD_V8_LEAN_FLAGS ?? LEAN_FLAGS).split(/\s+/).filter(Boolean);
}

/** Sets boolean `value`'s flags; the returned function undoes them once, except those in `keep`. */
function applyUndoable(name: string, value: string, keep: string[], set: (flag: string) => void): () => void {
  const flags = value.split(/\s+/).filter(Boolean);
  const bad = flags.filter((f) => !/^--[a-z0-9-]+$/.test(f));
  if (bad.length > 0) throw new Error(`${name}: only boolean flags can be undone later: ${bad.join(' ')}`);
  for (const f of flags) set(f);
  const kept = new Set(keep);
  let undone = false;
  return () => {
    if (undone) return;
    undone = true;
    for (const f of flags) if (!kept.has(f)) set(undoFlag(f));
  };
}

/**
 * A full GC in V8's reduce-memory mode that also compacts the old
 * generation. V8's own full GC only compacts fragmented pages, and an idle
 * daemon keeps the rest of a burst's pages half empty (a fresh berthd: 19
 * MiB of heap pages for 13.8 MiB live, 16.7 MiB once compacted).
 *
 * `reduce` (the exec addon's reduceMemory: a critical memory-pressure
 * notification, then none) makes V8 collect the way its memory reducer
 * does some 8 s after a burst: it also returns the page pool and the young
 * generation's spare pages, which `gc()` keeps. Measured after a `docker
 * import`: 62.0–62.4 → 60.0–60.4 MiB; after the bench's scenarios 67.0 →
 * 65.0. When `reduce` is missing or returns false (an addon built without
 * V8's headers), `gc()` runs instead.
 */
export function compacting(gc: () => void, set: (flag: string) => void = v8.setFlagsFromString, reduce?: () => boolean): () => void {
  return () => {
    set('--compact-on-every-full-gc');
    try {
      if (!reduce?.()) gc();
    } finally {
      set('--no-compact-on-every-full-gc');
    }
  };
}

/** The exec addon's reduceMemory('critical'), when the addon is built and has it. */
function memoryReducer(): (() => boolean) | undefined {
  const reduce = addonFunction<(mode: string) => boolean>('berth_exec', 'reduceMemory');
  return reduce && (() => reduce('critical'));
}

/** berthd's V8 flags as a list (from `env.BERTHD_V8_FLAGS` when set), for node's command line or V8 at run time. */
export function v8Flags(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.BERTHD_V8_FLAGS ?? DEFAULT_V8_FLAGS).split(/\s+/).filter(Boolean);
}

/**
 * Checks an operator's `BERTHD_V8_FLAGS` before berthd puts them on node's
 * command line, where node would refuse an unknown one with only
 * `node: bad option`. Returns the problem naming the variable, or null (also
 * when the variable is not set: the defaults are known to work). Costs one
 * `node -e 0` (~40 ms), only when the variable is set.
 */
export function checkV8Flags(env: NodeJS.ProcessEnv = process.env): string | null {
  if (!env.BERTHD_V8_FLAGS?.trim()) return null;
  const flags = v8Flags(env);
  const r = spawnSync(process.execPath, [...flags, '-e', '0'], { encoding: 'utf8', env: { PATH: env.PATH ?? '' } });
  if (r.status === 0) return null;
  const why = (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n')[0].replace(/^[^ :]*node: /, '');
  return `BERTHD_V8_FLAGS=${JSON.stringify(env.BERTHD_V8_FLAGS)}: node refuses it: ${why}`;
}

/**
 * Applies berthd's V8 flags (from `env.BERTHD_V8_FLAGS` when set); returns a
 * function running a full, compacting GC, which applies them again first.
 */
export function applyV8Flags(env: NodeJS.ProcessEnv = process.env): () => void {
  const flags = v8Flags(env);
  const apply = (): void => { for (const f of flags) v8.setFlagsFromString(f); };
  apply();
  let gc = (globalThis as { gc?: unknown }).gc as (() => void) | undefined;
  if (typeof gc !== 'function') {
    v8.setFlagsFromString('--expose-gc');
    gc = vm.runInNewContext('gc') as () => void;
  }
  const collect = compacting(gc, v8.setFlagsFromString, memoryReducer());
  return () => { apply(); collect(); };
}
