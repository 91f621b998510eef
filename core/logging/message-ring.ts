/**
 * The non-blocking copier's buffer: a FIFO of messages bounded by the sum of
 * their line sizes (`max-buffer-size`). When a new message does not fit, the
 * oldest are dropped, and counted, as Docker's ring logger does.
 */
import type { LogMessage } from '../drivers/logdriver';

export class MessageRing {
  private items: LogMessage[] = [];
  private head = 0;
  private bytes = 0;
  /** Messages dropped so far. */
  dropped = 0;

  constructor(private readonly maxBytes: number) {}

  /** Adds a message (copying its bytes), dropping the oldest while over the limit. */
  push(msg: LogMessage): void {
    const copy: LogMessage = { ...msg, line: Buffer.from(msg.line) };
    this.items.push(copy);
    this.bytes += copy.line.length;
    while (this.bytes > this.maxBytes && this.length > 1) {
      const old = this.items[this.head++];
      this.bytes -= old.line.length;
      this.dropped++;
    }
    this.compact();
  }

  /** Removes and returns the oldest message, or undefined when empty. */
  shift(): LogMessage | undefined {
    if (this.head >= this.items.length) return undefined;
    const m = this.items[this.head++];
    this.bytes -= m.line.length;
    this.compact();
    return m;
  }

  /** Removes and returns up to `max` of the oldest messages, in order. */
  shiftMany(max: number): LogMessage[] {
    const n = Math.min(max, this.length);
    const out = this.items.slice(this.head, this.head + n);
    this.head += n;
    for (const m of out) this.bytes -= m.line.length;
    this.compact();
    return out;
  }

  /** Messages waiting. */
  get length(): number {
    return this.items.length - this.head;
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
