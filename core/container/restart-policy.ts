/**
 * Restart policies with Docker's rules (moby `restartmanager`): `no`,
 * `on-failure[:N]`, `always`, `unless-stopped`; back-off starts at 100 ms,
 * doubles on every restart up to one minute, and resets when the container
 * ran for 10 s or more.
 */
import { InvalidArgumentError } from '../errors';
import type { RestartPolicy } from './types';

export const BACKOFF_INITIAL_MS = 100;
export const BACKOFF_MAX_MS = 60_000;
/** A run at least this long resets the back-off. */
export const BACKOFF_RESET_AFTER_MS = 10_000;

/** Checks a RestartPolicy with Docker's messages. */
export function validateRestartPolicy(p: RestartPolicy, autoRemove: boolean): void {
  const name = p.Name ?? '';
  const max = p.MaximumRetryCount ?? 0;
  if (!['', 'no', 'always', 'unless-stopped', 'on-failure'].includes(name)) {
    throw new InvalidArgumentError(`invalid restart policy '${name}'`);
  }
  if (max < 0) throw new InvalidArgumentError('maximum retry count cannot be negative');
  if (max > 0 && name !== 'on-failure') {
    throw new InvalidArgumentError(`maximum retry count cannot be used with restart policy '${name}'`);
  }
  if (autoRemove && name !== '' && name !== 'no') {
    throw new InvalidArgumentError("can't create 'AutoRemove' container with restart policy");
  }
}

/** Per-container restart bookkeeping (in memory, like Docker's RestartManager). */
export class RestartManager {
  private timeoutMs = 0;
  private count = 0;
  private canceled = false;

  constructor(private policy: RestartPolicy) {}

  /** Replaces the policy (docker update --restart). */
  setPolicy(p: RestartPolicy): void { this.policy = p; }

  /** Stops any further restart (manual stop, kill, remove). */
  cancel(): void { this.canceled = true; }

  /** A manual start: counts and back-off start afresh. */
  reset(): void { this.canceled = false; this.count = 0; this.timeoutMs = 0; }

  /** Restarts done under the current policy since the last manual start. */
  get restartCount(): number { return this.count; }

  /**
   * Decides after an exit. Returns the delay before restarting, or null for
   * "do not restart". Promises Docker's exact decision: always → yes;
   * unless-stopped → unless manually stopped; on-failure → when the exit code
   * is non-zero and the retry budget (0 = unlimited) is not spent.
   */
  shouldRestart(exitCode: number, manuallyStopped: boolean, ranForMs: number): number | null {
    const name = this.policy.Name ?? '';
    if (name === '' || name === 'no' || this.canceled) return null;
    if (ranForMs >= BACKOFF_RESET_AFTER_MS) this.timeoutMs = 0;
    const next = this.timeoutMs === 0 ? BACKOFF_INITIAL_MS : Math.min(this.timeoutMs * 2, BACKOFF_MAX_MS);
    let restart = false;
    if (name === 'always') restart = !manuallyStopped;
    else if (name === 'unless-stopped') restart = !manuallyStopped;
    else if (name === 'on-failure') {
      const max = this.policy.MaximumRetryCount ?? 0;
      if (max === 0 || this.count < max) restart = exitCode !== 0;
    }
    if (!restart) return null;
    this.timeoutMs = next;
    this.count++;
    return next;
  }
}

/**
 * Whether a container should be started when the daemon starts: `always`
 * yes; `unless-stopped` unless manually stopped; `on-failure` when it last
 * failed (Docker's container.ShouldRestart at restore).
 */
export function restartOnDaemonStart(p: RestartPolicy, exitCode: number, manuallyStopped: boolean): boolean {
  switch (p.Name ?? '') {
    case 'always': return true;
    case 'unless-stopped': return !manuallyStopped;
    case 'on-failure': return !manuallyStopped && exitCode !== 0;
    default: return false;
  }
}
