/**
 * One container's stdio shared by several readers: the log copier and any
 * number of `attach` clients. The shim gives the daemon one connection
 * (RunningContainer.attach); this hands each subscriber a stream that sees
 * output from the moment it subscribed. A slow subscriber slows the source
 * (backpressure), as a slow attach client does in Docker.
 */
import { PassThrough, type Readable, type Writable } from 'node:stream';
import type { ProcessIO } from '../drivers/execdriver';

class Fanout {
  private readonly subs = new Set<PassThrough>();
  private ended = false;
  private waiting = 0;
  private readonly onData = (chunk: Buffer): void => this.push(chunk);
  private readonly end = (): void => {
    if (this.ended) return;
    this.ended = true;
    for (const s of this.subs) s.end();
    this.subs.clear();
  };

  constructor(private readonly source: Readable) {
    source.on('data', this.onData);
    source.once('end', this.end);
    source.once('close', this.end);
    source.once('error', this.end);
  }

  /** Subscribers the source waits on, with the function that releases the wait. */
  private readonly pending = new Map<PassThrough, () => void>();

  private push(chunk: Buffer): void {
    for (const s of this.subs) {
      if (!s.write(chunk) && !this.pending.has(s)) {
        this.waiting++;
        this.source.pause();
        const release = (): void => {
          if (!this.pending.delete(s)) return;
          s.off('drain', release);
          if (--this.waiting === 0) this.source.resume();
        };
        this.pending.set(s, release);
        s.once('drain', release);
      }
    }
  }

  /**
   * Stops reading the source: what it already buffered goes to the
   * subscribers, whose streams then end; the source is closed so the shim
   * keeps what comes next for the next attacher.
   */
  detach(): void {
    this.source.off('data', this.onData);
    this.source.pause();
    let chunk: Buffer | null;
    while ((chunk = this.source.read() as Buffer | null) !== null) this.push(chunk);
    this.end();
    this.source.destroy();
  }

  subscribe(): PassThrough {
    const s = new PassThrough();
    if (this.ended) { s.end(); return s; }
    this.subs.add(s);
    const drop = (): void => {
      this.subs.delete(s);
      // a subscriber that goes away must not hold the source paused
      this.pending.get(s)?.();
    };
    s.once('close', drop);
    return s;
  }

  get finished(): boolean { return this.ended; }
}

/** Fans one ProcessIO out to many subscribers. */
export class IOFanout {
  private readonly out: Fanout;
  private readonly err: Fanout | null;

  constructor(readonly io: ProcessIO) {
    this.out = new Fanout(io.stdout);
    this.err = io.stderr ? new Fanout(io.stderr) : null;
  }

  /** A ProcessIO for one reader: its own stdout/stderr from now on, the shared stdin. */
  subscribe(): ProcessIO {
    return { stdin: this.io.stdin, stdout: this.out.subscribe(), stderr: this.err ? this.err.subscribe() : null };
  }

  /** Releases a subscription made by subscribe(). */
  static release(io: ProcessIO): void {
    (io.stdout as PassThrough).destroy();
    (io.stderr as PassThrough | null)?.destroy();
  }

  /**
   * Daemon shutdown with live-restore: hands everything already read to the
   * subscribers, ends their streams and closes the shim connection, so
   * output produced from now on waits in the shim for the next daemon.
   */
  detach(): void {
    this.out.detach();
    this.err?.detach();
    this.io.stdin?.destroy();
  }

  /** Whether stdout has ended (PID 1 closed it or exited). */
  get finished(): boolean { return this.out.finished; }

  /** The container's stdin, when it was opened (`-i`). */
  get stdin(): Writable | null { return this.io.stdin; }
}
