/**
 * Connects a process's stdio (the shim's streams for PID 1 or an exec) to a
 * job's stdio, as attach and exec start both need: output copied with
 * backpressure, stdin forwarded, until both outputs end or the caller goes
 * away (`job.signal`). The job's stdin listeners are removed afterwards.
 */
import type { Readable } from 'node:stream';
import type { ProcessIO } from '../drivers/execdriver';
import type { Job } from '../engine/job';

export interface PumpOptions {
  /** Copy the process's stdout / stderr to the job (a stream not wanted is drained, not copied). */
  stdout: boolean;
  stderr: boolean;
  /** Forward the job's stdin to the process. */
  stdin: boolean;
  /** Close the process's stdin when the job's stdin ends (attach: only with StdinOnce). */
  closeStdinAtEnd: boolean;
}

/** Resolves when both outputs ended or `job.signal` aborted. */
export async function pumpProcessIO(io: ProcessIO, job: Job<unknown>, o: PumpOptions): Promise<void> {
  const ends: Promise<void>[] = [];
  const forward = (from: Readable | null, to: NodeJS.WritableStream, wanted: boolean): void => {
    if (!from) return;
    ends.push(new Promise((resolve) => {
      from.on('data', (chunk: Buffer) => {
        if (!wanted) return;
        if (!to.write(chunk)) { from.pause(); to.once('drain', () => from.resume()); }
      });
      from.once('end', resolve);
      from.once('close', resolve);
      from.once('error', () => resolve());
    }));
  };
  forward(io.stdout, job.io.stdout, o.stdout);
  forward(io.stderr, job.io.stderr, o.stderr);
  let onData: ((b: Buffer) => void) | undefined;
  let onEnd: (() => void) | undefined;
  const target = io.stdin;
  if (o.stdin && target) {
    onData = (b: Buffer): void => { target.write(b); };
    onEnd = (): void => { if (o.closeStdinAtEnd) target.end(); };
    job.io.stdin.on('data', onData);
    job.io.stdin.once('end', onEnd);
  }
  const aborted = new Promise<void>((resolve) => {
    if (job.signal.aborted) resolve();
    job.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  try {
    await Promise.race([Promise.all(ends).then(() => undefined), aborted]);
  } finally {
    if (onData) job.io.stdin.off('data', onData);
    if (onEnd) job.io.stdin.off('end', onEnd);
  }
}
