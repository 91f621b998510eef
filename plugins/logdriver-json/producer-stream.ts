/**
 * An object-mode Readable fed by an async producer, with backpressure: the
 * producer's `push` returns a promise only when the consumer is behind, and
 * the producer's signal aborts when the stream is destroyed.
 */
import { Readable } from 'node:stream';

export type Push<T> = (item: T) => Promise<void> | undefined;

/**
 * Runs `produce` and streams what it pushes; ends when it returns, errors when
 * it throws. `highWaterMark`: items buffered before `push` asks to wait.
 */
export function producerStream<T>(produce: (push: Push<T>, signal: AbortSignal) => Promise<void>, highWaterMark = 1024): Readable {
  const ac = new AbortController();
  let wake: (() => void) | null = null;
  const release = (): void => { const w = wake; wake = null; w?.(); };
  const stream = new Readable({
    objectMode: true,
    highWaterMark,
    read: release,
    destroy(err, cb) { ac.abort(); release(); cb(err); },
  });
  const push: Push<T> = (item) => {
    if (ac.signal.aborted) return undefined;
    if (stream.push(item)) return undefined;
    return new Promise<void>((resolve) => { wake = resolve; });
  };
  produce(push, ac.signal).then(
    () => { if (!ac.signal.aborted) stream.push(null); },
    (err: unknown) => { if (!ac.signal.aborted) stream.destroy(err as Error); },
  );
  return stream;
}
