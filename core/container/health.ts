/**
 * Health checks (`HEALTHCHECK`, `--health-cmd`), Docker's rules: the probe
 * runs as an exec in the container every Interval (default 30 s) with a
 * Timeout (30 s); exit 0 is healthy and resets the failing streak; other
 * exits (and timeouts) count, and after Retries (3) failures in a row the
 * container is unhealthy. Failures during StartPeriod do not count while the
 * container is still `starting`. The last 5 results are kept in
 * `State.Health.Log`, output cut at 4096 bytes.
 */
import type { ProcessSpec, RunningContainer } from '../drivers/execdriver';
import { InvalidArgumentError } from '../errors';

export interface HealthcheckConfig {
  Test?: string[] | null;
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  Retries?: number;
}

export interface HealthResult { Start: string; End: string; ExitCode: number; Output: string }
export interface HealthState { Status: 'starting' | 'healthy' | 'unhealthy'; FailingStreak: number; Log: HealthResult[] }

const NS_PER_MS = 1_000_000;
export const DEFAULT_INTERVAL_MS = 30_000;
export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_RETRIES = 3;
const MAX_LOG = 5;
const MAX_OUTPUT = 4096;

/** The probe's argv, or null when there is no check (`NONE`, empty). InvalidArgumentError for an unknown form. */
export function probeArgs(test: string[] | null | undefined, shell: string[] = ['/bin/sh', '-c']): string[] | null {
  if (!test || test.length === 0 || test[0] === 'NONE') return null;
  switch (test[0]) {
    case 'CMD': return test.length > 1 ? test.slice(1) : null;
    case 'CMD-SHELL': return [...shell, test.slice(1).join(' ')];
    default: throw new InvalidArgumentError(`/Healthcheck/Test: unknown type ${JSON.stringify(test[0])}: must be NONE, CMD or CMD-SHELL`);
  }
}

/** Applies one probe result to the state, Docker's way; returns whether Status changed. */
export function recordProbe(h: HealthState, r: HealthResult, retries: number, inStartPeriod: boolean): boolean {
  const before = h.Status;
  h.Log = [...h.Log, r].slice(-MAX_LOG);
  if (r.ExitCode === 0) {
    h.FailingStreak = 0;
    h.Status = 'healthy';
  } else if (!(inStartPeriod && h.Status === 'starting')) {
    h.FailingStreak++;
    if (h.FailingStreak >= retries) h.Status = 'unhealthy';
  }
  return h.Status !== before;
}

export interface HealthMonitorDeps {
  running: RunningContainer;
  /** The process spec execs get (the container's profile). */
  baseProcess: ProcessSpec;
  config: HealthcheckConfig;
  shell?: string[];
  state: HealthState;
  /** Called after every probe (persist); `changed` when Status changed (event). */
  onResult(changed: boolean): Promise<void>;
}

/** How long a finished probe's output may still trickle in after its exit status. */
const OUTPUT_GRACE_MS = 2000;

/** Resolves when `s` has ended or closed (at once for null). */
function streamEnded(s: NodeJS.ReadableStream | null): Promise<void> {
  const r = s as (NodeJS.ReadableStream & { readableEnded?: boolean; destroyed?: boolean }) | null;
  if (!r || r.readableEnded || r.destroyed) return Promise.resolve();
  return new Promise((resolve) => { r.once('end', () => resolve()); r.once('close', () => resolve()); });
}

/** Runs the probes of one running container until stop() is called. */
export class HealthMonitor {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly startedAt = Date.now();

  constructor(private readonly d: HealthMonitorDeps) {}

  /** Starts probing after the first Interval. */
  start(): void {
    this.schedule();
  }

  /** Stops probing (container exit, daemon shutdown). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private ms(ns: number | undefined, dflt: number): number {
    return ns && ns > 0 ? Math.max(1, Math.round(ns / NS_PER_MS)) : dflt;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => { void this.probe().finally(() => this.schedule()); }, this.ms(this.d.config.Interval, DEFAULT_INTERVAL_MS));
    this.timer.unref();
  }

  private async probe(): Promise<void> {
    const args = probeArgs(this.d.config.Test, this.d.shell);
    if (!args || this.stopped) return;
    const start = new Date();
    let exitCode = -1;
    let output = '';
    try {
      const proc = await this.d.running.exec({ ...this.d.baseProcess, args, terminal: false, openStdin: false });
      const io = await proc.attach();
      const collect = (s: NodeJS.ReadableStream | null): void => {
        s?.on('data', (b: Buffer) => { if (output.length < MAX_OUTPUT) output += b.toString('utf8'); });
      };
      collect(io.stdout);
      collect(io.stderr);
      const ended = Promise.all([io.stdout, io.stderr].map((s) => streamEnded(s)));
      const timeoutMs = this.ms(this.d.config.Timeout, DEFAULT_TIMEOUT_MS);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), timeoutMs); });
      const res = await Promise.race([proc.wait(), timedOut]);
      clearTimeout(timer);
      if (res === 'timeout') {
        await proc.signal('SIGKILL').catch(() => undefined);
        output = `Health check exceeded timeout (${timeoutMs}ms)`;
        exitCode = -1;
      } else {
        exitCode = res.exitCode;
        // the exit status can overtake the last output chunks still queued in the streams
        let grace: NodeJS.Timeout | undefined;
        await Promise.race([ended, new Promise((r) => { grace = setTimeout(r, OUTPUT_GRACE_MS); })]);
        clearTimeout(grace);
      }
    } catch (err) {
      output = (err as Error).message;
      exitCode = -1;
    }
    if (this.stopped) return;
    const inStart = Date.now() - this.startedAt < this.ms(this.d.config.StartPeriod, 0);
    const changed = recordProbe(this.d.state, {
      Start: start.toISOString(), End: new Date().toISOString(), ExitCode: exitCode, Output: output.slice(0, MAX_OUTPUT),
    }, this.d.config.Retries && this.d.config.Retries > 0 ? this.d.config.Retries : DEFAULT_RETRIES, inStart);
    await this.d.onResult(changed).catch(() => undefined);
  }
}
