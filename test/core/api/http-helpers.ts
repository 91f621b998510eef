/** Small HTTP-over-unix-socket helpers for the API tests (plain requests and raw hijacked exchanges). */
import * as http from 'node:http';
import * as net from 'node:net';

export interface Reply { status: number; headers: http.IncomingHttpHeaders; body: Buffer }

/** One request on `socketPath`; resolves with status, headers and the whole body. */
export function request(socketPath: string, method: string, path: string, opts: { body?: string | Buffer; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method, path, headers: opts.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** A raw connection: send bytes, read the response head, then the rest until the server closes. */
export class RawConn {
  readonly socket: net.Socket;
  private buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  private closed = false;

  constructor(socketPath: string) {
    this.socket = net.connect({ path: socketPath, allowHalfOpen: true });
    this.socket.on('data', (c: Buffer) => { this.buf = Buffer.concat([this.buf, c]); this.wake(); });
    this.socket.on('end', () => { this.closed = true; this.wake(); });
    this.socket.on('close', () => { this.closed = true; this.wake(); });
    this.socket.on('error', () => { this.closed = true; this.wake(); });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const fn of w) fn();
  }

  private async until(pred: () => boolean): Promise<void> {
    while (!pred()) {
      if (this.closed) return;
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  /** Reads up to the blank line; returns the status code and the head text. */
  async head(): Promise<{ status: number; text: string }> {
    await this.until(() => this.buf.includes('\r\n\r\n'));
    const i = this.buf.indexOf('\r\n\r\n');
    if (i < 0) throw new Error(`connection closed before a response head: ${this.buf.toString()}`);
    const text = this.buf.subarray(0, i).toString();
    this.buf = this.buf.subarray(i + 4);
    return { status: Number(text.split(' ')[1]), text };
  }

  /** Waits until at least `n` bytes after the head arrived (or the peer closed). */
  async atLeast(n: number): Promise<Buffer> {
    await this.until(() => this.buf.length >= n);
    return this.buf;
  }

  /** Waits until the bytes after the head match `re` (or the peer closed); returns them as text. */
  async text(re: RegExp): Promise<string> {
    await this.until(() => re.test(this.buf.toString()));
    return this.buf.toString();
  }

  /** Everything after the head, once the server closed its side. */
  async rest(): Promise<Buffer> {
    await this.until(() => this.closed);
    return this.buf;
  }

  destroy(): void {
    this.socket.destroy();
  }
}
