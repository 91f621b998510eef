/**
 * Persists a JSON snapshot atomically, one write at a time: a save() while a
 * write is running schedules exactly one more write of the state as it is
 * then, so the file on disk always ends with the latest state and concurrent
 * callers never rename an older snapshot over a newer one.
 */
import { atomicWriteLight } from '../fs/atomic-write';

export class SerialJsonWriter {
  private running: Promise<void> | null = null;
  private pending: Promise<void> | null = null;

  constructor(private readonly file: string, private readonly snapshot: () => unknown) {}

  /** Resolves once a write that started after this call has landed. */
  save(): Promise<void> {
    if (this.pending) return this.pending;
    if (!this.running) return this.start();
    const after = this.running.catch(() => undefined).then(() => {
      this.pending = null;
      return this.start();
    });
    this.pending = after;
    return after;
  }

  private start(): Promise<void> {
    // fsynced before the rename (Docker's atomic writer); no directory fsync on every attach and detach
    const p = atomicWriteLight(this.file, JSON.stringify(this.snapshot(), null, 2) + '\n', { sync: true });
    this.running = p;
    const clear = (): void => { if (this.running === p) this.running = null; };
    p.then(clear, clear);
    return p;
  }
}
