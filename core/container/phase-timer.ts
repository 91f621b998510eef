/**
 * Wall time of the phases of one operation (create, start, exit, remove),
 * logged at debug level so `berthd --debug` shows where a `docker run` spends
 * its time next to the engine's `-job name OK ms` lines.
 */
import { performance } from 'node:perf_hooks';

export class PhaseTimer {
  private last = performance.now();
  private readonly start = this.last;
  /** Milliseconds per phase, in the order marked. */
  readonly phases: Record<string, number> = {};

  /** Ends the current phase under `name` (the time since the previous mark). */
  mark(name: string): void {
    const now = performance.now();
    this.phases[name] = Math.round((now - this.last) * 100) / 100;
    this.last = now;
  }

  /**
   * Records under `name` the time since the timer was made, without ending
   * the current phase (for work running side by side).
   */
  at(name: string): void {
    this.phases[name] = Math.round((performance.now() - this.start) * 100) / 100;
  }

  /** Milliseconds since the timer was made. */
  total(): number {
    return Math.round((performance.now() - this.start) * 100) / 100;
  }
}
