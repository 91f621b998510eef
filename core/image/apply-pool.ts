/**
 * Layer extraction off the main thread. An ApplyPool is a few worker threads
 * (node:worker_threads, apply-worker.ts) started for one chain apply (a
 * pull) and ended after it: nothing stays resident between pulls. Each
 * layer's compressed stream is read on the main thread and its chunks are
 * posted to a worker, which decompresses, hashes (the diff_id) and extracts
 * them exactly as the main thread would (decompress → DigestStream →
 * extractLayer); the main thread is left with the downloads (HTTP, the blob
 * digest, writes) and the layers use both cores.
 *
 * Flow control: at most IN_FLIGHT bytes of a layer are posted and not yet
 * taken by the worker's pipeline; the source is paused until the worker
 * acknowledges. A job settles only when the worker finished with it (done
 * or failed), so nothing writes into a layer after its apply settled.
 *
 * Protocol (main → worker): `start {job, root, options}`, `data {job, chunk}`,
 * `end {job}`, `abort {job, message}`; (worker → main): `ack {job, n}`,
 * `done {job, size, entries, warnings, diffId, tarSize}`, `error {job, error}`.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Readable } from 'node:stream';
import { BerthError, InternalError, InvalidArgumentError, NotFoundError, type ErrorCode } from '../errors';
import type { ExtractOptions } from './extract';

/** What a worker answers for a layer: extractLayer's result plus the tar's digest and size. */
export interface WorkerApplied {
  size: number;
  entries: number;
  warnings: string[];
  /** sha256 of the uncompressed tar. */
  diffId: string;
  /** Bytes of the uncompressed tar. */
  tarSize: number;
}

/** An error as it crosses the thread boundary. */
export interface WireError { message: string; berthCode?: ErrorCode; errno?: string; syscall?: string; path?: string }

export type ToWorker =
  | { t: 'start'; job: number; root: string; options: ExtractOptions }
  | { t: 'data'; job: number; chunk: Uint8Array }
  | { t: 'end'; job: number }
  | { t: 'abort'; job: number; message: string };

export type FromWorker =
  | ({ t: 'done'; job: number } & WorkerApplied)
  | { t: 'error'; job: number; error: WireError }
  | { t: 'ack'; job: number; n: number };

/** Bytes of one layer posted to a worker and not yet taken by its pipeline. */
const IN_FLIGHT = 4 << 20;

function fromWire(w: WireError): Error {
  if (w.berthCode) {
    if (w.berthCode === 'InvalidArgument') return new InvalidArgumentError(w.message);
    if (w.berthCode === 'NotFound') return new NotFoundError(w.message);
    if (w.berthCode === 'Internal') return new InternalError(w.message);
    return new BerthError(w.berthCode, w.message);
  }
  const e = new Error(w.message) as NodeJS.ErrnoException;
  if (w.errno) e.code = w.errno;
  if (w.syscall) e.syscall = w.syscall;
  if (w.path) e.path = w.path;
  return e;
}

interface Pending {
  resolve(r: WorkerApplied): void;
  reject(e: Error): void;
  onAck(n: number): void;
}

class ApplyWorker {
  readonly worker: Worker;
  readonly jobs = new Map<number, Pending>();
  private dead: Error | null = null;

  constructor() {
    // Its own young generation: extraction allocates a few objects per tar
    // entry and chunk, and the worker (with its heap) ends after the pull.
    this.worker = new Worker(path.join(__dirname, 'apply-worker.js'), { resourceLimits: { maxYoungGenerationSizeMb: 16 } });
    this.worker.on('message', (m: FromWorker) => {
      const p = this.jobs.get(m.job);
      if (!p) return;
      if (m.t === 'ack') { p.onAck(m.n); return; }
      this.jobs.delete(m.job);
      if (m.t === 'done') p.resolve(m);
      else p.reject(fromWire(m.error));
    });
    const fail = (e: Error): void => {
      this.dead ??= e;
      for (const p of this.jobs.values()) p.reject(e);
      this.jobs.clear();
    };
    this.worker.on('error', (e) => fail(new InternalError(`layer apply worker failed: ${e.message}`, { cause: e })));
    this.worker.on('exit', (code) => fail(new InternalError(`layer apply worker exited (code ${code})`)));
  }

  get failed(): Error | null { return this.dead; }
}

let nextJob = 1;

/** Worker threads for the layers of one chain apply; `close` ends them. */
export class ApplyPool {
  private readonly workers: ApplyWorker[];

  /** Starts `n` workers (at least one). */
  constructor(n: number) {
    this.workers = Array.from({ length: Math.max(1, n) }, () => new ApplyWorker());
  }

  /**
   * Decompresses (gzip, zstd or plain), hashes and extracts `input` into
   * `root` on the least busy worker. Resolves with extractLayer's result,
   * the diff_id and the tar's size; rejects as extractLayer would (typed
   * errors keep their code), or with the input's error (the worker's
   * extraction is stopped first). Either way the worker is done with
   * `root` when it settles. With `transfer`, the input's chunks are the
   * pool's alone (no other reader holds them): a chunk that is the whole of
   * its memory moves to the worker instead of being copied (60 MB less
   * allocation on the main thread per 60 MB pull, and the collections it
   * caused).
   */
  apply(input: Readable, root: string, options: ExtractOptions, how: { transfer?: boolean } = {}): Promise<WorkerApplied> {
    const w = this.workers.reduce((a, b) => (b.jobs.size < a.jobs.size ? b : a));
    if (w.failed) return Promise.reject(w.failed);
    // The input may have failed before it reached the pool (a blob whose digest
    // did not match while the layer's directory was being made): its error and
    // close events are gone, so waiting for them would wait forever.
    if (input.errored) return Promise.reject(input.errored);
    if (input.destroyed && !input.readableEnded) return Promise.reject(new InternalError('layer stream closed before its end'));
    const job = nextJob++;
    let inFlight = 0;
    let paused = false;
    return new Promise<WorkerApplied>((resolve, reject) => {
      const post = (m: ToWorker, transfer?: ArrayBuffer[]): void => { w.worker.postMessage(m, transfer); };
      const onData = (c: Buffer): void => {
        const n = c.length;
        // Moved when the chunk is all of its memory and ours to give, else a copy the worker owns.
        const whole = how.transfer && c.byteOffset === 0 && c.buffer.byteLength === n && !(c.buffer instanceof SharedArrayBuffer);
        const chunk = whole ? new Uint8Array(c.buffer, 0, n) : Uint8Array.prototype.slice.call(c);
        inFlight += n;
        post({ t: 'data', job, chunk }, [chunk.buffer as ArrayBuffer]);
        if (inFlight >= IN_FLIGHT && !paused) { paused = true; input.pause(); }
      };
      const onEnd = (): void => post({ t: 'end', job });
      const onError = (e: Error): void => post({ t: 'abort', job, message: e.message });
      const onClose = (): void => { if (!input.readableEnded) post({ t: 'abort', job, message: 'layer stream closed before its end' }); };
      let inputError: Error | null = null;
      input.on('error', (e) => { inputError ??= e; });
      const settle = (): void => {
        input.off('data', onData);
        input.off('end', onEnd);
        input.off('error', onError);
        input.off('close', onClose);
      };
      w.jobs.set(job, {
        resolve: (r) => { settle(); resolve(r); },
        // The input's own error says more than the worker's echo of it.
        reject: (e) => { settle(); input.destroy(); reject(inputError ?? e); },
        onAck: (n) => {
          inFlight -= n;
          if (paused && inFlight < IN_FLIGHT / 2) { paused = false; input.resume(); }
        },
      });
      post({ t: 'start', job, root, options });
      input.on('data', onData);
      input.once('end', onEnd);
      input.once('error', onError);
      input.once('close', onClose);
    });
  }

  /** Ends the workers (after their jobs settled). */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}
