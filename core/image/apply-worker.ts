/**
 * The body of an apply worker (a node:worker_threads thread started by
 * ApplyPool for one chain apply): decompresses, hashes (diff_id) and
 * extracts layer tars sent to it chunk by chunk, several at once, and
 * answers with what extractLayer answers plus the digest. It runs exactly
 * the code the main thread would run (decompress → DigestStream →
 * extractLayer), only on another core. Protocol: see apply-pool.ts.
 */
import { parentPort } from 'node:worker_threads';
import { Readable } from 'node:stream';
import { BerthError } from '../errors';
import { decompress } from './decompress';
import { DigestStream } from './digest';
import { extractLayer, type ExtractOptions } from './extract';
import type { ToWorker, FromWorker, WireError } from './apply-pool';

interface Job {
  queue: Uint8Array[];
  ended: boolean;
  failed: Error | null;
  wake: (() => void) | null;
}

const jobs = new Map<number, Job>();
const port = parentPort;

function send(m: FromWorker): void {
  port?.postMessage(m);
}

function toWire(err: unknown): WireError {
  const e = err instanceof Error ? err : new Error(String(err));
  return {
    message: e.message,
    berthCode: e instanceof BerthError ? e.code : undefined,
    errno: (e as NodeJS.ErrnoException).code,
    syscall: (e as NodeJS.ErrnoException).syscall,
    path: (e as NodeJS.ErrnoException).path,
  };
}

/** The job's chunks as they arrive; each is acknowledged once the pipeline took it (flow control). */
async function* feed(id: number, job: Job): AsyncGenerator<Buffer> {
  for (;;) {
    while (job.queue.length === 0 && !job.ended && !job.failed) await new Promise<void>((r) => { job.wake = r; });
    if (job.failed) throw job.failed;
    const c = job.queue.shift();
    if (!c) return;
    yield Buffer.from(c.buffer, c.byteOffset, c.byteLength);
    send({ t: 'ack', job: id, n: c.byteLength });
  }
}

async function run(id: number, job: Job, root: string, options: ExtractOptions): Promise<void> {
  try {
    const input = Readable.from(feed(id, job), { objectMode: false, highWaterMark: 1 << 20 });
    const hasher = new DigestStream();
    const plain = decompress(input);
    plain.on('error', (e) => hasher.destroy(e));
    input.on('error', () => undefined); // surfaces through decompress → extractLayer
    const r = await extractLayer(plain.pipe(hasher), root, { ...options, sync: true });
    send({ t: 'done', job: id, size: r.size, entries: r.entries, warnings: r.warnings, diffId: hasher.digest(), tarSize: hasher.bytes });
  } catch (err) {
    send({ t: 'error', job: id, error: toWire(err) });
  } finally {
    jobs.delete(id);
  }
}

port?.on('message', (m: ToWorker) => {
  switch (m.t) {
    case 'start': {
      const job: Job = { queue: [], ended: false, failed: null, wake: null };
      jobs.set(m.job, job);
      void run(m.job, job, m.root, m.options);
      return;
    }
    case 'data':
    case 'end':
    case 'abort': {
      const job = jobs.get(m.job);
      if (!job) return;
      if (m.t === 'data') job.queue.push(m.chunk);
      else if (m.t === 'end') job.ended = true;
      else job.failed ??= new Error(m.message);
      const w = job.wake;
      job.wake = null;
      w?.();
      return;
    }
    default:
  }
});
