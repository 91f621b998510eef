/**
 * Running attach and exec start over a hijacked connection: the client's
 * bytes feed the job's stdin (ended by a half-close without a tty; with a tty
 * the detach keys or the end of the client's stream detach instead, leaving
 * the process's stdin open), the job's stdout/stderr go back raw with a tty,
 * multiplexed without.
 * The connection is closed when the job ends (process exited, or detached).
 */
import { PassThrough, type Readable } from 'node:stream';
import { toBerthError } from '../../errors';
import { compareApiVersions } from '../api-version';
import { DetachKeyScanner } from '../detach-keys';
import { MediaType, hijackConnection } from '../hijack';
import { endedStream, finishWritable, outputStreams } from '../job-stream';
import type { RouteContext } from '../route';
import { runJob } from '../run-job';
import { frame } from '../stdcopy';

export interface HijackedJobOptions {
  tty: boolean;
  /** Whether the client's bytes are the job's stdin. */
  stdin: boolean;
  /** Detach sequence (applies only with a tty). */
  detachKeys?: Buffer;
}

/** Hijacks the connection of `ctx` and runs `job` on it until the job ends. */
export async function runHijackedJob(ctx: RouteContext, job: string, input: unknown, opts: HijackedJobOptions): Promise<void> {
  const contentType = !opts.tty && compareApiVersions(ctx.apiVersion, '1.42') >= 0 ? MediaType.multiplexed : MediaType.raw;
  const conn = hijackConnection(ctx, contentType);
  const ac = new AbortController();
  const abort = (): void => ac.abort();
  if (ctx.signal.aborted) ac.abort();
  ctx.signal.addEventListener('abort', abort, { once: true });
  let detached = false;

  let stdin: Readable;
  if (opts.stdin) {
    const sink = opts.tty && opts.detachKeys
      ? new DetachKeyScanner(opts.detachKeys, () => { detached = true; ac.abort(); })
      : new PassThrough();
    if (opts.tty) {
      // As in Docker, a tty's stdin is never closed by a client going away (that
      // would end the shell of `docker run -it`): the end of the client's stream
      // detaches, like the detach keys. Without a tty, it ends stdin (half-close).
      conn.in.pipe(sink, { end: false });
      conn.in.once('end', () => { detached = true; ac.abort(); });
    } else {
      conn.in.pipe(sink);
    }
    stdin = sink;
  } else {
    conn.in.resume(); // nobody reads the client's bytes; keep reading so a hang-up is noticed
    stdin = endedStream();
  }

  const { stdout, stderr } = outputStreams(conn.out, opts.tty ? 'raw' : 'mux');
  try {
    await runJob(ctx.kernel, job, input, { io: { stdin, stdout, stderr }, signal: ac.signal, env: { apiVersion: ctx.apiVersion } });
    await Promise.all([finishWritable(stdout), finishWritable(stderr)]);
  } catch (err) {
    await Promise.all([finishWritable(stdout), finishWritable(stderr)]);
    if (!detached && !ctx.signal.aborted && !conn.out.destroyed) {
      const msg = Buffer.from(`Error: ${toBerthError(err).message}\n`);
      conn.out.write(opts.tty ? msg : frame(2, msg));
    }
  } finally {
    ctx.signal.removeEventListener('abort', abort);
    conn.in.unpipe();
    conn.end();
  }
}
