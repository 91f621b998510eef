/**
 * Docker's stop semantics over a RunningContainer: the stop signal (the
 * image's StopSignal, default SIGTERM), then SIGKILL once the timeout passes.
 * A PID 1 without a SIGTERM handler ignores SIGTERM (pid-namespace init
 * rule), so the escalation is what actually stops most containers.
 */
import { isConflict } from '../../core';
import type { ExitStatus, RunningContainer } from '../../core';

export interface StopOptions {
  /** Signal to send first (default SIGTERM). */
  signal?: string | number;
  /** Seconds to wait before SIGKILL (default 10; negative = wait forever, as Docker's -1). */
  timeoutSeconds?: number;
}

/** Stops the container and resolves with PID 1's exit status. */
export async function stopContainer(c: RunningContainer, opts: StopOptions = {}): Promise<ExitStatus> {
  const timeout = opts.timeoutSeconds ?? 10;
  const waiting = c.wait();
  try {
    await c.signal(opts.signal ?? 'SIGTERM');
  } catch (err) {
    if (!isConflict(err)) throw err; // already exited
    return waiting;
  }
  if (timeout < 0) return waiting;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((r) => { timer = setTimeout(() => r('timeout'), timeout * 1000); });
  const first = await Promise.race([waiting, timedOut]);
  clearTimeout(timer);
  if (first !== 'timeout') return first;
  try { await c.signal('SIGKILL'); } catch (err) { if (!isConflict(err)) throw err; }
  return waiting;
}
