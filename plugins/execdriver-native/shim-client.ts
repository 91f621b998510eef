/**
 * The daemon's side of the shim's control socket (`<stateDir>/shim.sock`;
 * protocol in native/src/common/berth-shim-proto.h and docs/exec-driver.md):
 * one-line requests, and framed stdio streams for attach / exec.
 */
import * as net from 'node:net';
import { Readable, Writable } from 'node:stream';
import { FailedPreconditionError, InvalidArgumentError, UnavailableError } from '../../core';
import type { AttachOptions, ExitStatus, OutputPosition, ProcessIO } from '../../core';

const FRAME_STDIN = 0;
const FRAME_STDOUT = 1;
const FRAME_STDERR = 2;
const FRAME_EXIT = 3;
const FRAME_ACK = 4;

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

/** `start`: where a log attach's streams start (absolute offsets); makes io.ack available. */
function openStream(s: net.Socket, rest: Buffer, terminal: boolean, start?: { stdout: number; stderr: number }): ShimStream {
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
  const io: ProcessIO = { stdin, stdout, stderr };
  if (start) {
    io.ack = (consumed: OutputPosition): void => {
      if (s.destroyed || !s.writable || /\s/.test(consumed.mark) || !consumed.mark) return;
      const body = Buffer.from(`${start.stdout + consumed.stdout} ${start.stderr + consumed.stderr} ${consumed.mark}`);
      const h = Buffer.alloc(5);
      h[0] = FRAME_ACK;
      h.writeUInt32BE(body.length, 1);
      s.write(Buffer.concat([h, body]));
    };
  }
  return { io, exit };
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

  /**
   * PID 1's log attach (see AttachOptions.log): with `resumeFrom`, asks the
   * shim for its checkpoint first and resumes where the consumer says. A shim
   * without log attach (older build) gives a plain attach (io.ack absent).
   */
  async attachLog(terminal: boolean, log: NonNullable<AttachOptions['log']>): Promise<ShimStream> {
    let from = ['-', '-'];
    let mark = log.mark;
    if (log.resumeFrom) {
      const ck = /^ok (\d+) (\d+) (\S+)$/.exec(await this.request('ackpos'));
      if (ck) {
        const pos = await log.resumeFrom({ stdout: Number(ck[1]), stderr: Number(ck[2]), mark: ck[3] });
        from = [String(pos.stdout), String(pos.stderr)];
        mark = pos.mark;
      }
    }
    if (!mark || /\s/.test(mark) || mark.length > 95) throw new InvalidArgumentError(`bad log attach mark: ${JSON.stringify(mark)}`);
    const s = await connect(this.socketPath);
    s.write(`attach 0 log ${from[0]} ${from[1]} ${mark}\n`);
    const { line, rest } = await readLine(s);
    if (line === 'ok') return openStream(s, rest, terminal);
    const m = /^ok log (\d+) (\d+)$/.exec(line);
    if (!m) { s.destroy(); throw new FailedPreconditionError(line.replace(/^err /, '')); }
    return openStream(s, rest, terminal, { stdout: Number(m[1]), stderr: Number(m[2]) });
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

