/**
 * The berth CLI's client of the Docker Engine API (v1.41), on node:http
 * directly: JSON requests, streamed responses, JSON-message streams, and
 * hijacked connections (`Upgrade: tcp`) for attach and exec.
 *
 * `-H`/`BERTH_HOST` accepts `unix:///path`, `tcp://host:port`, `http://host:port`
 * or a bare socket path.
 */
import * as http from 'node:http';
import { Duplex, type Readable } from 'node:stream';
import { InvalidArgumentError } from '../errors';

/** The socket berthd listens on unless told otherwise. */
export const DEFAULT_HOST = 'unix:///run/berth/berth.sock';
/** The API version every request names in its path. */
export const CLIENT_API_VERSION = '1.41';

/** Where to reach the daemon. */
export interface Endpoint {
  socketPath?: string;
  host?: string;
  port?: number;
}

/** An error answer of the daemon: its HTTP status and Docker's `message`. */
export class DaemonError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'DaemonError';
  }
}

/** The daemon cannot be reached at all. */
export class ConnectError extends Error {
  constructor(readonly host: string, cause: Error) {
    super(`Cannot connect to the berth daemon at ${host}. Is the berth daemon running? (${cause.message})`, { cause });
    this.name = 'ConnectError';
  }
}

/** Parses a `-H` value into an endpoint; throws on an unknown scheme. */
export function parseHost(h: string): Endpoint {
  if (h.startsWith('unix://')) return { socketPath: h.slice('unix://'.length) };
  if (h.startsWith('/')) return { socketPath: h };
  const m = /^(?:tcp|http):\/\/\[?([^\]/]*?)\]?(?::([0-9]+))?\/?$/.exec(h);
  if (m) return { host: m[1] === '' ? '127.0.0.1' : m[1], port: m[2] ? Number(m[2]) : 2375 };
  throw new InvalidArgumentError(`invalid host ${JSON.stringify(h)}: expected unix:///path or tcp://host:port`);
}

export type QueryValue = string | number | boolean | undefined | null | string[];

export interface RequestOptions {
  query?: Record<string, QueryValue>;
  /** A JSON body (serialised) or a stream sent as is. */
  body?: unknown;
  stream?: Readable;
  headers?: Record<string, string>;
  /** Content-Type of a streamed body (default application/x-tar). */
  contentType?: string;
  /** Aborts the request (a pending wait, a followed log). */
  signal?: AbortSignal;
}

/** Builds `?a=1&b=x` from a query object, dropping undefined/null and false-y booleans kept as `0`. */
export function buildQuery(q: Record<string, QueryValue> = {}): string {
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) for (const x of v) sp.append(k, x);
    else if (typeof v === 'boolean') sp.append(k, v ? '1' : '0');
    else sp.append(k, String(v));
  }
  const s = sp.toString();
  return s === '' ? '' : `?${s}`;
}

/** Reads a whole stream into a buffer. */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(chunks);
}

function errorMessage(status: number, body: Buffer): string {
  const text = body.toString('utf8').trim();
  try {
    const j = JSON.parse(text) as { message?: string };
    if (typeof j.message === 'string') return j.message;
  } catch { /* not JSON */ }
  return text === '' ? `HTTP ${status}` : text;
}

/** A connection taken over after `101 UPGRADED`: raw bytes both ways. */
export interface Hijacked {
  socket: Duplex;
  /** Bytes that arrived with the upgrade response. */
  head: Buffer;
}

export class ApiClient {
  readonly endpoint: Endpoint;

  constructor(readonly host: string = DEFAULT_HOST, readonly version = CLIENT_API_VERSION) {
    this.endpoint = parseHost(host);
  }

  private options(method: string, path: string, o: RequestOptions): http.RequestOptions {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    if (o.body !== undefined) headers['Content-Type'] = 'application/json';
    else if (o.stream) headers['Content-Type'] = o.contentType ?? 'application/x-tar';
    return {
      ...this.endpoint,
      method,
      path: `/v${this.version}${path}${buildQuery(o.query)}`,
      headers: { Host: this.endpoint.socketPath ? 'berth' : `${this.endpoint.host}:${this.endpoint.port}`, ...headers },
      agent: false,
      signal: o.signal,
    };
  }

  private send(req: http.ClientRequest, o: RequestOptions): void {
    if (o.body !== undefined) {
      req.end(JSON.stringify(o.body));
    } else if (o.stream) {
      o.stream.on('error', (err) => req.destroy(err));
      o.stream.pipe(req);
    } else {
      req.end();
    }
  }

  /**
   * Sends a request and resolves with the response once its headers arrive.
   * A status >= 400 is a DaemonError carrying Docker's message; an
   * unreachable daemon is a ConnectError.
   */
  request(method: string, path: string, o: RequestOptions = {}): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = http.request(this.options(method, path, o));
      req.on('error', (err: NodeJS.ErrnoException) => {
        reject(['ENOENT', 'ECONNREFUSED', 'EACCES', 'ENOTDIR'].includes(err.code ?? '') ? new ConnectError(this.host, err) : err);
      });
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 400) {
          readAll(res).then((b) => reject(new DaemonError(status, errorMessage(status, b))), reject);
          return;
        }
        resolve(res);
      });
      this.send(req, o);
    });
  }

  /** Sends a request and parses the JSON answer (undefined for an empty body, e.g. 204/304). */
  async json<T = unknown>(method: string, path: string, o: RequestOptions = {}): Promise<T> {
    const res = await this.request(method, path, o);
    const body = await readAll(res);
    const text = body.toString('utf8').trim();
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  /** Same as json() but also gives the status (304 "already started" matters to a few commands). */
  async status(method: string, path: string, o: RequestOptions = {}): Promise<number> {
    const res = await this.request(method, path, o);
    await readAll(res);
    return res.statusCode ?? 0;
  }

  /**
   * Sends a request asking to hijack the connection (`Upgrade: tcp`) and
   * resolves with the raw socket after `101`. A daemon that answers 200
   * instead gets its response body used as the output side.
   */
  hijack(method: string, path: string, o: RequestOptions = {}): Promise<Hijacked> {
    return new Promise((resolve, reject) => {
      const opts = this.options(method, path, o);
      opts.headers = { ...opts.headers, Connection: 'Upgrade', Upgrade: 'tcp' };
      const req = http.request(opts);
      req.on('error', (err: NodeJS.ErrnoException) => {
        reject(['ENOENT', 'ECONNREFUSED', 'EACCES', 'ENOTDIR'].includes(err.code ?? '') ? new ConnectError(this.host, err) : err);
      });
      req.on('upgrade', (_res, socket, head) => resolve({ socket, head }));
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 400) {
          readAll(res).then((b) => reject(new DaemonError(status, errorMessage(status, b))), reject);
          return;
        }
        // No upgrade (an older daemon): read the body, write on the same connection.
        resolve({ socket: Duplex.from({ readable: res, writable: req.socket ?? undefined }), head: Buffer.alloc(0) });
      });
      if (o.body !== undefined) req.end(JSON.stringify(o.body));
      else req.end();
    });
  }

  /**
   * Reads a stream of JSON messages (pull, push, load, import, events,
   * stats) and calls `onMessage` for each; resolves when the stream ends.
   */
  async jsonStream(res: Readable, onMessage: (m: Record<string, unknown>) => void): Promise<void> {
    let buf = '';
    const flush = (final: boolean): void => {
      for (;;) {
        const text = buf.trimStart();
        if (text === '') { buf = ''; return; }
        // Messages are newline-delimited but a decoder must not rely on it.
        const nl = text.indexOf('\n');
        const candidate = nl >= 0 ? text.slice(0, nl) : (final ? text : '');
        if (candidate === '') { buf = text; return; }
        buf = nl >= 0 ? text.slice(nl + 1) : '';
        if (candidate.trim() !== '') onMessage(JSON.parse(candidate) as Record<string, unknown>);
      }
    };
    res.setEncoding('utf8');
    for await (const chunk of res) {
      buf += chunk as string;
      flush(false);
    }
    flush(true);
  }
}
