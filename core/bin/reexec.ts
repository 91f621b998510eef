/**
 * berthd re-executes itself once, first thing (execve: same pid, same open
 * descriptors), with `MALLOC_ARENA_MAX=1` in its environment. glibc gives
 * every thread that allocates its own malloc arena (V8's platform workers,
 * libuv's pool) and reads the limit only when a process starts; those arenas
 * kept 6-7 MiB of a 75-80 MiB berthd after a series of runs, which
 * malloc_trim cannot give back (live chunks scattered over their pages). With
 * one arena the same series ends ~10 MiB lower (docs/footprint.md). The price
 * is one more Node start-up (~40 ms) before the daemon starts.
 *
 * Skipped when `MALLOC_ARENA_MAX` is already set (by the operator, or by the
 * first execution), when `BERTHD_REEXEC=0`, or when the exec addon is not
 * built (berthd then runs as it is).
 */
import { addonFunction } from '../native/loader';

/** The environment berthd runs with after the re-exec (the same plus MALLOC_ARENA_MAX). */
export function reexecEnv(env: NodeJS.ProcessEnv): string[] {
  return [...Object.entries(env).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`), 'MALLOC_ARENA_MAX=1'];
}

/** Whether berthd should re-execute itself with this environment. */
export function wantsReexec(env: NodeJS.ProcessEnv): boolean {
  return env.MALLOC_ARENA_MAX === undefined && env.BERTHD_REEXEC !== '0';
}

/**
 * Replaces the process with the same node, node flags, script and arguments,
 * plus MALLOC_ARENA_MAX; returns (doing nothing) when not wanted or not possible.
 * `nodeFlags` go on the new command line before the node flags it already had:
 * berthd passes its V8 flags there, where they hold for the whole process
 * (set at run time, a worker thread's start undid some; see heap-flags.ts).
 */
export function reexecWithOneArena(env: NodeJS.ProcessEnv = process.env, nodeFlags: readonly string[] = []): void {
  if (!wantsReexec(env)) return;
  const execve = addonFunction<(path: string, argv: string[], env: string[]) => never>('berth_exec', 'execve');
  if (!execve) return;
  try {
    execve(process.execPath, [process.argv0, ...nodeFlags, ...process.execArgv, ...process.argv.slice(1)], reexecEnv(env));
  } catch (err) {
    process.stderr.write(`berthd: re-exec with MALLOC_ARENA_MAX failed, running as is: ${(err as Error).message}\n`);
  }
}
