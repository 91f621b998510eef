/**
 * The daemon's side of the shim's control socket (`<stateDir>/shim.sock`;
 * protocol in native/src/common/berth-shim-proto.h and docs/exec-driver.md):
 * one-line requests, and framed stdio streams for attach / exec.
 */
import * as net from 'node:net';
import { Readable, Writable } from 'node:stream';
import { FailedPreconditionError, UnavailableError } from '../../core';
import type { ExitStatus, ProcessIO } from '../../core';

const FRAME_STDIN = 0;
const FRAME_STDOUT = 1;
const FRAME_STDERR = 2;
const FRAME_EXIT = 3;

/** Parses the shim's status JSON into an ExitStatus. */
export function parseStatus(json: string): ExitStatus {
  const s = JSON.parse(json) as ExitStatus;
  return { exitCode: s.exitCode, ...(s.signal ? { signal: s.signal } : {}), oomKilled: !!s.oomKilled, finishedAt: s.finishedAt };
}

/** Connects to the shim; UnavailableError when nothing listens there (the shim has exited). */
function connect(sock: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.createConnection(sock);
    s.once('connect', () => { s.removeAllListeners('error'); resolve(s); });
    s.once('error', (err) => reject(new UnavailableError(`shim not reachable at ${sock}: ${err.message}`, { cause: err })));
  });
}

/** Reads one line; resolves with it and the bytes that followed it. */
function readLine(s: net.Socket): Promise<{ line: string; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let acc = Buffer.alloc(0);
    const onData = (d: Buffer): void => {
      acc = Buffer.concat([acc, d]);
      const nl = acc.indexOf(10);
      if (nl < 0) return;
      cleanup();
      s.pause();
      resolve({ line: acc.subarray(0, nl).toString('utf8'), rest: acc.subarray(nl + 1) });
    };
    const onEnd = (): void => { cleanup(); reject(new UnavailableError('the shim closed the connection without answering')); };
    const onError = (err: Error): void => { cleanup(); reject(new UnavailableError(`shim connection failed: ${err.message}`, { cause: err })); };
    const cleanup = (): void => { s.off('data', onData); s.off('end', onEnd); s.off('error', onError); };
    s.on('data', onData);
    s.once('end', onEnd);
    s.once('error', onError);
    s.resume();
  });
}

/** A stream connection after `attach` or `exec`: demultiplexed stdio and the exit status. */
export interface ShimStream {
  io: ProcessIO;
  /** Resolves with the process's status from the exit frame (rejects if the shim went away first). */
  exit: Promise<ExitStatus>;
}

function openStream(s: net.Socket, rest: Buffer, terminal: boolean): ShimStream {
  let resume: (() => void) | null = null;
  const mk = (): Readable => new Readable({ read() { if (resume) { const r = resume; resume = null; r(); } } });
  const stdout = mk();
  const stderr = terminal ? null : mk();
  let settle!: { ok: (e: ExitStatus) => void; fail: (e: Error) => void };
  const exit = new Promise<ExitStatus>((ok, fail) => { settle = { ok, fail }; });
  exit.catch(() => undefined);
  let gotExit = false;
  let buf = rest;
  const pump = (): void => {
    while (buf.length >= 5) {
      const len = buf.readUInt32BE(1);
      if (buf.length < 5 + len) break;
      const type = buf[0];
      const payload = buf.subarray(5, 5 + len);
      buf = buf.subarray(5 + len);
      if (type === FRAME_STDOUT || (type === FRAME_STDERR && !stderr)) {
        if (!stdout.push(payload)) { s.pause(); resume = () => s.resume(); }
      } else if (type === FRAME_STDERR && stderr) {
        if (!stderr.push(payload)) { s.pause(); resume = () => s.resume(); }
      } else if (type === FRAME_EXIT) {
        gotExit = true;
        // the exit frame is the stream's last: end stdout/stderr first, so readers see all output end before or with the status
        endOutput();
        settle.ok(parseStatus(payload.toString('utf8')));
      }
    }
  };
  s.on('data', (d: Buffer) => { buf = buf.length ? Buffer.concat([buf, d]) : d; pump(); });
  let outputEnded = false;
  function endOutput(): void {
    if (outputEnded) return;
    outputEnded = true;
    stdout.push(null);
    stderr?.push(null);
  }
  const finish = (): void => {
    endOutput();
    if (!gotExit) settle.fail(new UnavailableError('the shim closed the stream before the process exited'));
  };
  s.once('end', finish);
  s.once('error', () => { /* 'close' follows */ });
  s.once('close', finish);
  const stdin = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (s.destroyed) return cb();
      const h = Buffer.alloc(5);
      h[0] = FRAME_STDIN;
      h.writeUInt32BE(chunk.length, 1);
      s.write(Buffer.concat([h, chunk]), () => cb());
    },
    final(cb) {
      if (s.destroyed) return cb();
      s.write(Buffer.from([FRAME_STDIN, 0, 0, 0, 0]), () => cb());
    },
  });
  if (rest.length) pump();
  s.resume();
  return { io: { stdin, stdout, stderr }, exit };
}

/** Client of one shim. Every call opens its own connection. */
export class ShimClient {
  constructor(readonly socketPath: string) {}

  /** Sends one request line and returns the reply line. UnavailableError when the shim is gone. */
  async request(line: string): Promise<string> {
    const s = await connect(this.socketPath);
    try {
      s.write(`${line}\n`);
      return (await readLine(s)).line;
    } finally {
      s.destroy();
    }
  }

  /** Sends a request that must answer `ok`; FailedPreconditionError with the shim's message otherwise. */
  async command(line: string): Promise<void> {
    const reply = await this.request(line);
    if (reply !== 'ok') throw new FailedPreconditionError(reply.replace(/^err /, ''));
  }

  /** Attaches to the stdio of process `pid` (0 = PID 1). */
  async attach(pid: number, terminal: boolean): Promise<ShimStream> {
    const s = await connect(this.socketPath);
    s.write(`attach ${pid}\n`);
    const { line, rest } = await readLine(s);
    if (line !== 'ok') { s.destroy(); throw new FailedPreconditionError(line.replace(/^err /, '')); }
    return openStream(s, rest, terminal);
  }

  /** Starts a process inside the container from its bootstrap; the stream is attached from the start. */
  async exec(bootstrap: Buffer, terminal: boolean): Promise<{ pid: number; stream: ShimStream }> {
    const s = await connect(this.socketPath);
    s.write(`exec ${bootstrap.length}\n`);
    s.write(bootstrap);
    const { line, rest } = await readLine(s);
    const m = /^ok (\d+)$/.exec(line);
    if (!m) { s.destroy(); throw new FailedPreconditionError(line.replace(/^err /, '')); }
    return { pid: Number(m[1]), stream: openStream(s, rest, terminal) };
  }

  /** Resolves when process `pid` (0 = PID 1) has exited, with its status. */
  async wait(pid: number): Promise<ExitStatus> {
    const reply = await this.request(`wait ${pid}`);
    if (reply.startsWith('err ')) throw new FailedPreconditionError(reply.slice(4));
    return parseStatus(reply);
  }
}

