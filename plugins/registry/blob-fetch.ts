/**
 * Downloads one blob into a BlobStore: resumes with `Range` from the ingest's
 * offset, streams every byte through the digest, and commits only a verified
 * blob. Reports progress as bytes arrive.
 */
import type { Descriptor } from './manifest';
import type { RegistrySession } from './session';
import type { BlobStore } from './blob-store';

export interface FetchProgress {
  /** Called with bytes-so-far (including resumed bytes) as data arrives. */
  onData?(current: number, total: number): void;
  /** Called once the download ended and verification begins. */
  onVerify?(): void;
  /** The ingest was opened at `file` (when the store has files) holding `written` bytes. */
  onIngest?(file: string, written: number): void;
  /** The ingest file now holds `written` bytes. */
  onWritten?(written: number): void;
  /** The digest matched: the bytes are final (the blob is then made durable and moved into place). */
  onVerified?(): void;
}

/**
 * Fetches `desc` from `repo` unless the store has it. Resolves when the blob
 * is verified and visible in the store; resolves `'cached'` when it already was.
 */
export async function fetchBlob(session: RegistrySession, repo: string, desc: Descriptor, store: BlobStore,
  progress: FetchProgress = {}, signal?: AbortSignal): Promise<'cached' | 'fetched'> {
  // Two pulls sharing a layer must not append to the same ingest: the second waits for the first.
  const key = store.path(desc.digest);
  for (let busy = inflight.get(key); busy; busy = inflight.get(key)) await busy.catch(() => undefined);
  const p = (async (): Promise<'cached' | 'fetched'> => (await store.has(desc.digest)
    ? 'cached' : download(session, repo, desc, store, progress, signal)))();
  inflight.set(key, p); // set before any await: no second ingest can start in between
  try { return await p; } finally { inflight.delete(key); }
}

/** Ingests in progress in this process, by blob path. */
const inflight = new Map<string, Promise<'cached' | 'fetched'>>();

async function download(session: RegistrySession, repo: string, desc: Descriptor, store: BlobStore,
  progress: FetchProgress, signal?: AbortSignal): Promise<'fetched'> {
  const w = await store.ingest(desc.digest, desc.size);
  try {
    let current = w.offset;
    if (w.file) progress.onIngest?.(w.file, current);
    if (current < desc.size) {
      const headers: Record<string, string> = {};
      if (current > 0) headers.Range = `bytes=${current}-`;
      const res = await session.request({ method: 'GET', path: `/v2/${repo}/blobs/${desc.digest}`, headers, signal, expect: [200, 206] });
      if (res.statusCode === 200 && current > 0) {
        await w.restart(); // the server ignored Range: start over
        current = 0;
        progress.onWritten?.(0);
      }
      progress.onData?.(current, desc.size);
      let lastReport = 0;
      // Chunks are written in batches of up to 1 MiB: one thread-pool write
      // (writev, no copy) per batch instead of one per 16-64 KiB socket read.
      let batch: Buffer[] = [];
      let batched = 0;
      const flush = async (): Promise<void> => {
        if (batched === 0) return;
        const chunks = batch;
        const n = batched;
        batch = [];
        batched = 0;
        if (chunks.length === 1) await w.write(chunks[0]);
        else if (w.writev) await w.writev(chunks);
        else await w.write(Buffer.concat(chunks, n));
        current += n;
        progress.onWritten?.(current);
        if (current - lastReport >= 256 * 1024 || current === desc.size) {
          lastReport = current;
          progress.onData?.(current, desc.size);
        }
      };
      try {
        for await (const chunk of res) {
          const b = chunk as Buffer;
          if (current + batched + b.length > desc.size) {
            res.destroy();
            await flush();
            await w.write(b); // let commit report the size mismatch and drop the data
            break;
          }
          batch.push(b);
          batched += b.length;
          if (batched >= 1 << 20) await flush();
        }
      } finally {
        await flush(); // what arrived before a dropped connection is kept for the resume
      }
    }
    progress.onVerify?.();
    await w.commit(() => progress.onVerified?.());
    return 'fetched';
  } finally {
    await w.close();
  }
}
