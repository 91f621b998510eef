/**
 * Running a job whose output is a stream (logs, export, save, pull progress,
 * events, stats): the job writes bytes to its stdout/stderr and those go to
 * the HTTP response, raw or multiplexed. Headers are sent at the first byte,
 * so a job that fails before writing anything still gets a proper error
 * status; after that, a failure can only end the stream (JSON progress streams
 * get Docker's `errorDetail` line).
 */
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { toBerthError } from '../errors';
import type { JobIO } from '../engine/job';
import type { RouteContext } from './route';
import { runJob } from './run-job';
import { OutputCoalescer } from './output-coalescer';

/** How stdout and stderr bytes are put on the wire. */
export type Framing = 'raw' | 'mux';

export interface StreamJobOptions {
  contentType: string;
  framing: Framing;
  /** `json`: write `{"errorDetail":…,"error":…}` when the job fails mid-stream. */
  errors?: 'json' | 'none';
  /** Send the headers before the first byte (events, follow). */
  flushHeaders?: boolean;
  /** The job's stdin (the request body of load, import, archive PUT). */
  stdin?: Readable;
  /** Extra headers. */
  headers?: Record<string, string>;
}

/** An already-ended stream: stdin for jobs that get none. */
export function endedStream(): Readable {
  const p = new PassThrough();
  p.end();
  return p;
}

/**
 * The stdout/stderr pair of a job writing to `dest`, raw or multiplexed.
 * Consecutive writes of one stream are gathered into writes (frames) of up
 * to 32 KiB, in call order across both streams (OutputCoalescer); `dest` is
 * never ended, and bytes are dropped once it is gone (the client left; the
 * job sees its signal aborted). `beforeWrite` runs before each non-empty chunk.
 */
export function outputStreams(dest: Writable, framing: Framing, beforeWrite?: () => void): Pick<JobIO, 'stdout' | 'stderr'> {
  const sink = new OutputCoalescer(dest, framing === 'mux', beforeWrite);
  return { stdout: sink.stream(1), stderr: sink.stream(2) };
}

/** Ends `w` (if the job did not) and waits until everything written went through. */
export async function finishWritable(w: Writable): Promise<void> {
  if (w.writableFinished || w.destroyed) return;
  const done = once(w, 'finish').catch(() => undefined);
  if (!w.writableEnded) w.end();
  await done;
}

/** Writes a JSON response with `status`. */
export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value ?? null) + '\n';
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * Runs a streaming job and writes its output as the response. A job that
 * writes nothing and returns a value gets that value as a JSON response (so one
 * job serves both `stats?stream=0` and `stats?stream=1`).
 */
export async function streamJob(ctx: RouteContext, name: string, input: unknown, opts: StreamJobOptions): Promise<void> {
  const { res } = ctx;
  let started = false;
  const start = (): void => {
    if (started) return;
    started = true;
    res.writeHead(200, { 'Content-Type': opts.contentType, ...(opts.headers ?? {}) });
    res.flushHeaders();
  };
  if (opts.flushHeaders) start();
  const { stdout, stderr } = outputStreams(res, opts.framing, start);
  const io: JobIO = { stdin: opts.stdin ?? endedStream(), stdout, stderr };
  let output: unknown;
  try {
    output = await runJob(ctx.kernel, name, input, { io, signal: ctx.signal, env: { apiVersion: ctx.apiVersion } });
    await Promise.all([finishWritable(stdout), finishWritable(stderr)]);
  } catch (err) {
    if (!started) throw err;
    await Promise.all([finishWritable(stdout), finishWritable(stderr)]);
    if (opts.errors === 'json' && !res.destroyed) {
      const message = toBerthError(err).message;
      res.write(JSON.stringify({ errorDetail: { message }, error: message }) + '\n');
    }
    res.end();
    return;
  }
  if (!started && output !== undefined && output !== null) {
    sendJson(res, 200, output);
    return;
  }
  start();
  res.end();
}
