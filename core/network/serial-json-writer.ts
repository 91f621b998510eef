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
  /** Whether the scheduled write must be fsynced (one of its callers asked for it). */
  private pendingSync = false;

  constructor(private readonly file: string, private readonly snapshot: () => unknown) {}

  /**
   * Resolves once a write that started after this call has landed. `sync`
   * (default): the file is fsynced before its rename (Docker's atomic
   * writer); false for a change a crash may lose because the next start
   * reconciles it anyway (a detach: a record of a container no longer
   * running is dropped then).
   */
  save(sync = true): Promise<void> {
    if (this.pending) {
      if (sync) this.pendingSync = true;
      return this.pending;
    }
    if (!this.running) return this.start(sync);
    this.pendingSync = sync;
    const after = this.running.catch(() => undefined).then(() => {
      this.pending = null;
      const s = this.pendingSync;
      this.pendingSync = false;
      return this.start(s);
    });
    this.pending = after;
    return after;
  }

  private start(sync: boolean): Promise<void> {
    // never a directory fsync: at most the rename is lost, and the previous snapshot stays whole
    const p = atomicWriteLight(this.file, JSON.stringify(this.snapshot(), null, 2) + '\n', { sync });
    this.running = p;
    const clear = (): void => { if (this.running === p) this.running = null; };
    p.then(clear, clear);
    return p;
  }
}
