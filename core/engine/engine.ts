/**
 * The engine: a map from job name to handler, like early Docker's
 * `eng.Register("create", daemon.ContainerCreate)`. Every way into berth (an
 * HTTP route, the CLI in embedded mode, a test) builds a job and runs it here.
 */
import type { Logger } from 'pino';
import { AlreadyExistsError, NotFoundError, toBerthError } from '../errors';
import type { JobIO, Job } from './job';
import { nullIO } from './job';
import type { JobInput, JobName, JobOutput } from './job-map';

export type JobHandler<N extends JobName> =
  (job: Job<JobInput<N>>) => Promise<JobOutput<N>> | JobOutput<N>;

export interface RunOptions {
  io?: JobIO;
  env?: Record<string, string>;
  signal?: AbortSignal;
}

export class Engine {
  private readonly handlers = new Map<string, JobHandler<JobName>>();
  private readonly owners = new Map<string, string>();
  private started = 0;
  private ended = 0;

  constructor(private readonly log?: Logger) {}

  /** Changes whenever a job starts or ends (for watchers of idleness, e.g. the idle GC). */
  get activity(): number {
    return this.started + this.ended;
  }

  /**
   * Registers the handler of a job. `owner` (a plugin URI or `core`) is
   * recorded for error messages. A second registration of the same name is an
   * AlreadyExistsError naming both owners.
   */
  register<N extends JobName>(name: N, handler: JobHandler<N>, owner = 'core'): void {
    const prev = this.owners.get(name);
    if (prev !== undefined) {
      throw new AlreadyExistsError(`job ${name} is already registered by ${prev}; ${owner} cannot register it again`);
    }
    this.handlers.set(name, handler as unknown as JobHandler<JobName>);
    this.owners.set(name, owner);
  }

  /** Whether a job of this name is registered. */
  has(name: string): boolean {
    return this.handlers.has(name);
  }

  /** The registered job names, sorted. */
  jobs(): string[] {
    return [...this.handlers.keys()].sort();
  }

  /**
   * Runs a job and resolves with its typed output. An unknown name is a
   * NotFoundError (`no such job: X`); whatever the handler throws comes back
   * as a BerthError (non-berth errors become Internal). Each run is traced at
   * debug level: `+job name` and `-job name status duration`.
   */
  async run<N extends JobName>(name: N, input: JobInput<N>, opts: RunOptions = {}): Promise<JobOutput<N>> {
    const handler = this.handlers.get(name);
    if (!handler) throw new NotFoundError(`no such job: ${String(name)}`);
    const job: Job<JobInput<N>> = {
      name,
      input,
      env: Object.freeze({ ...(opts.env ?? {}) }),
      io: opts.io ?? nullIO(),
      signal: opts.signal ?? new AbortController().signal,
    };
    const t0 = process.hrtime.bigint();
    this.started++;
    this.log?.debug({ job: name }, `+job ${name}`);
    let status = 0;
    try {
      return (await handler(job as Job<JobInput<JobName>>)) as JobOutput<N>;
    } catch (err) {
      status = 1;
      throw toBerthError(err);
    } finally {
      this.ended++;
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      this.log?.debug({ job: name, status, ms }, `-job ${name} ${status === 0 ? 'OK' : 'ERR'} ${ms.toFixed(2)}ms`);
    }
  }
}
