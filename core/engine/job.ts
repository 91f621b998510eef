/**
 * A job, modelled on early Docker's engine.Job (itself modelled on a Unix
 * process): a name, typed input (the args), an environment, stdio streams and
 * an exit status. Unlike Docker's, the input and output are typed through
 * JobMap and failures are typed errors, not the last line of stderr.
 */
import { PassThrough, type Readable, type Writable } from 'node:stream';

/** The stdio of a job. Handlers that stream (logs, attach, pull progress) use them. */
export interface JobIO {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
}

/** What a handler receives besides its input. */
export interface Job<I> {
  readonly name: string;
  readonly input: I;
  /** Key/value environment of the job (request id, API version, caller). */
  readonly env: Readonly<Record<string, string>>;
  readonly io: JobIO;
  /** Aborted when the caller goes away (client disconnect, engine shutdown). */
  readonly signal: AbortSignal;
}

/** The result of a finished job. `status` is 0 on success, like a process. */
export interface JobResult<O> {
  status: number;
  output: O;
}

/** An IO whose streams swallow everything: for callers that want only the typed output. */
export function nullIO(): JobIO {
  const stdin = new PassThrough();
  stdin.end();
  const sink = (): Writable => { const p = new PassThrough(); p.resume(); return p; };
  return { stdin, stdout: sink(), stderr: sink() };
}
