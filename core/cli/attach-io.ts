/**
 * The terminal side of attach, exec and logs: copies a hijacked connection
 * to stdout/stderr (raw with a tty, demultiplexing Docker's 8-byte frames
 * without), copies stdin to it with a half-close on EOF, puts a real
 * terminal in raw mode for the session, follows window-size changes, and
 * notices the detach sequence (ctrl-p ctrl-q by default).
 */
import type { Readable, Writable } from 'node:stream';
import type { Hijacked } from './api-client';

/** Splits Docker's multiplexed stream into stdout/stderr writes, keeping partial frames. */
export class Demuxer {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly stdout: Writable, private readonly stderr: Writable) {}

  /** Feeds bytes; complete frames are written out at once. */
  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    let off = 0;
    while (this.buf.length - off >= 8) {
      const type = this.buf[off];
      const size = this.buf.readUInt32BE(off + 4);
      if (this.buf.length - off - 8 < size) break;
      const data = this.buf.subarray(off + 8, off + 8 + size);
      (type === 2 ? this.stderr : this.stdout).write(data);
      off += 8 + size;
    }
    this.buf = this.buf.subarray(off);
  }

  /** Bytes of an incomplete frame left at the end (0 when the stream was whole). */
  get pending(): number {
    return this.buf.length;
  }
}

/** Detach keys are parsed exactly as the daemon parses them (one parser, one message). */
export { parseDetachKeys } from '../api/detach-keys';

export interface PumpOptions {
  tty: boolean;
  /** Whether local stdin is sent to the container. */
  stdin: boolean;
  input?: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  stdout?: Writable;
  stderr?: Writable;
  /** Detach sequence watched on stdin (only with a tty). */
  detachKeys?: Buffer;
}

/** How a session ended. */
export interface PumpResult {
  /** The user typed the detach sequence. */
  detached: boolean;
}

/**
 * Runs the session until the daemon closes the output side (the process
 * exited) or the user detaches. Restores the terminal in every case.
 */
export function pumpStreams(h: Hijacked, o: PumpOptions): Promise<PumpResult> {
  const input = o.input ?? process.stdin;
  const stdout = o.stdout ?? process.stdout;
  const stderr = o.stderr ?? process.stderr;
  const demux = o.tty ? undefined : new Demuxer(stdout, stderr);
  const raw = o.tty && o.stdin && input.isTTY === true && typeof input.setRawMode === 'function';
  if (raw) input.setRawMode!(true);
  let detached = false;
  let matched = 0;
  const keys = o.tty ? o.detachKeys : undefined;

  return new Promise((resolve) => {
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      input.off('data', onInput);
      input.off('end', onInputEnd);
      input.pause();
      if (raw) input.setRawMode!(false);
      resolve({ detached });
    };
    const onOutput = (chunk: Buffer): void => {
      if (demux) demux.push(chunk);
      else stdout.write(chunk);
    };
    const onInput = (chunk: Buffer): void => {
      if (keys && keys.length > 0) {
        for (const b of chunk) {
          if (b === keys[matched]) {
            matched++;
            if (matched === keys.length) {
              detached = true;
              if (o.tty) stderr.write('\r\n');
              h.socket.destroy();
              finish();
              return;
            }
          } else {
            matched = b === keys[0] ? 1 : 0;
          }
        }
      }
      h.socket.write(chunk);
    };
    const onInputEnd = (): void => {
      // Half-close: the container sees EOF on its stdin, output keeps flowing.
      if (!h.socket.writableEnded) h.socket.end();
    };
    if (h.head.length > 0) onOutput(h.head);
    h.socket.on('data', onOutput);
    h.socket.on('end', finish);
    h.socket.on('close', finish);
    h.socket.on('error', finish);
    if (o.stdin) {
      input.on('data', onInput);
      input.on('end', onInputEnd);
      input.resume();
    }
  });
}

/**
 * Calls `resize(rows, cols)` now and on every terminal size change
 * (SIGWINCH) while stdout is a terminal. Returns a function that stops it.
 */
export function followResize(resize: (h: number, w: number) => Promise<unknown>): () => void {
  const tty = process.stdout as NodeJS.WriteStream;
  if (!tty.isTTY) return () => undefined;
  const send = (): void => {
    const [w, h] = tty.getWindowSize();
    if (w > 0 && h > 0) resize(h, w).catch(() => undefined);
  };
  send();
  process.on('SIGWINCH', send);
  return () => { process.off('SIGWINCH', send); };
}

/** The signals docker's --sig-proxy forwards. */
export const PROXIED_SIGNALS = Object.freeze(['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const);

/**
 * Forwards the signals berth receives to the container through `kill`
 * (docker's --sig-proxy, used without a tty). Returns a function that stops
 * forwarding and restores the default handling.
 */
export function proxySignals(kill: (signal: NodeJS.Signals) => Promise<unknown>): () => void {
  const forward = (sig: NodeJS.Signals): void => { kill(sig).catch(() => undefined); };
  for (const s of PROXIED_SIGNALS) process.on(s, forward);
  return () => { for (const s of PROXIED_SIGNALS) process.off(s, forward); };
}
