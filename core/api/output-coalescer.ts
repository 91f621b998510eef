/**
 * A job's stdout and stderr as they go to one HTTP response (or hijacked
 * connection): consecutive writes of the same stream are gathered into one
 * write — one multiplexed frame — of up to 32 KiB. `docker logs` of a
 * 500,000-line log was one frame per line, and most of its time was the
 * docker CLI reading and writing 500,000 frames; its stdcopy reads frames of
 * any size. Bytes and their order (across both streams) are kept exactly:
 * a write to the other stream first sends what is gathered, and whatever is
 * gathered goes out at the next turn of the event loop (setImmediate), so a
 * follower still sees each line as soon as it is written.
 */
import { Writable } from 'node:stream';
import { frame, type StdStreamType } from './stdcopy';

/** Bytes gathered into one frame at most (bigger chunks are cut into frames this big; raw output passes them whole). Fits the docker CLI's first stdcopy buffer (32 KiB + 9). */
export const COALESCE_BYTES = 32 * 1024;

type WriteCallback = (error?: Error | null) => void;

/** Gathers writes of both streams, in call order, for `dest`. */
export class OutputCoalescer {
  private parts: Buffer[] = [];
  private bytes = 0;
  private type: StdStreamType = 1;
  private scheduled = false;
  private blocked = false;
  private readonly waiting = new Set<CoalescedOutput>();

  constructor(
    private readonly dest: Writable,
    private readonly mux: boolean,
    private readonly beforeWrite?: () => void,
    private readonly limit = COALESCE_BYTES,
  ) {}

  /** The writable for stream `type` (1 stdout, 2 stderr) feeding this coalescer. */
  stream(type: StdStreamType): CoalescedOutput {
    return new CoalescedOutput(this, type);
  }

  /**
   * Takes `buf` for stream `type`. Returns false while `dest` wants to be
   * drained (the writer then waits for 'drain', as with any Writable). Bytes
   * are dropped once `dest` is gone (the client left).
   */
  push(type: StdStreamType, buf: Buffer): boolean {
    if (buf.length === 0) return !this.blocked;
    if (this.dest.destroyed || this.dest.writableEnded) return true;
    this.beforeWrite?.();
    if (this.mux && buf.length > this.limit) {
      // a big block (a batch of log lines): frames of `limit` bytes, like the rest
      this.flush();
      this.type = type;
      for (let off = 0; off < buf.length; off += this.limit) {
        this.parts.push(buf.subarray(off, off + this.limit));
        this.bytes = Math.min(this.limit, buf.length - off);
        this.flush();
      }
      return !this.blocked;
    }
    if (this.bytes > 0 && ((this.mux && type !== this.type) || this.bytes + buf.length > this.limit)) this.flush();
    this.type = type;
    this.parts.push(buf);
    this.bytes += buf.length;
    if (this.bytes >= this.limit) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => { this.scheduled = false; this.flush(); });
    }
    return !this.blocked;
  }

  /** Sends what is gathered now (as one frame with `mux`). */
  flush(): void {
    if (this.bytes === 0) return;
    const parts = this.parts;
    const bytes = this.bytes;
    this.parts = [];
    this.bytes = 0;
    if (this.dest.destroyed || this.dest.writableEnded) return;
    let out: Buffer;
    if (!this.mux) out = parts.length === 1 ? parts[0] : Buffer.concat(parts, bytes);
    else if (bytes > 0xffffffff) out = frame(this.type, Buffer.concat(parts, bytes));
    else {
      out = Buffer.allocUnsafe(8 + bytes);
      out.writeUInt32BE(this.type << 24, 0);
      out.writeUInt32BE(bytes, 4);
      let off = 8;
      for (const p of parts) { p.copy(out, off); off += p.length; }
    }
    if (this.dest.write(out) || this.blocked) return;
    this.blocked = true;
    const done = (): void => {
      this.dest.off('drain', done);
      this.dest.off('close', done);
      this.blocked = false;
      const waiting = [...this.waiting];
      this.waiting.clear();
      for (const w of waiting) w.emit('drain');
    };
    this.dest.on('drain', done);
    this.dest.on('close', done);
  }

  /** Called by a stream whose write returned false: it gets 'drain' when dest drains. */
  wait(w: CoalescedOutput): void {
    if (this.blocked) this.waiting.add(w);
    else process.nextTick(() => w.emit('drain'));
  }
}

/**
 * One stream (stdout or stderr) of an OutputCoalescer. Its write() hands the
 * chunk to the coalescer at once — never queued inside this Writable — so
 * writes to stdout and stderr keep their call order; it returns false (and
 * emits 'drain' later) while the destination is full. end() sends what is
 * gathered; it never ends the destination.
 */
export class CoalescedOutput extends Writable {
  constructor(private readonly sink: OutputCoalescer, private readonly type: StdStreamType) {
    super({
      write: (chunk: Buffer, _enc, cb): void => { sink.push(type, chunk); cb(); },
      final: (cb): void => { sink.flush(); cb(); },
    });
  }

  /** Hands `chunk` to the coalescer in call order; false while the destination wants draining. */
  override write(chunk: unknown, encoding?: BufferEncoding | WriteCallback, cb?: WriteCallback): boolean {
    if (typeof encoding === 'function') { cb = encoding; encoding = undefined; }
    if (this.writableEnded || this.destroyed) return super.write(chunk, encoding ?? 'utf8', cb);
    let buf: Buffer;
    if (typeof chunk === 'string') buf = Buffer.from(chunk, encoding ?? 'utf8');
    else if (Buffer.isBuffer(chunk)) buf = chunk;
    else if (chunk instanceof Uint8Array) buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    else return super.write(chunk, encoding ?? 'utf8', cb); // Writable's own error for a bad chunk
    const ok = this.sink.push(this.type, buf);
    if (cb) process.nextTick(cb);
    if (!ok) this.sink.wait(this);
    return ok;
  }
}
