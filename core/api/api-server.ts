/**
 * The Docker Engine API server: routes requests (versioned or not) to route
 * handlers, which map them to jobs. Every response carries Docker's headers
 * (`Api-Version`, `Ostype`, `Server`, `Docker-Experimental`); every failure is
 * `{"message": "..."}` with the error's HTTP status; an unknown route is 404
 * `page not found`. The `hooks.api.authorize` bail hook sees every request
 * before its handler and may veto it (403 with its message).
 *
 * Listening is separate (listeners.ts): the same ApiServer serves every
 * socket through `handleRequest` and `handleUpgrade`.
 */
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import Router, { type HTTPMethod } from 'find-my-way';
import type { Logger } from 'pino';
import type { Kernel } from '../daemon/kernel';
import { ForbiddenError, InvalidArgumentError, NotFoundError, toBerthError } from '../errors';
import { API_VERSION, splitVersion } from './api-version';
import { sendError } from './http-error';
import { readQuery } from './query';
import { compileBodySchema, parseJsonBody, readAll, type BodyValidator } from './request-body';
import type { BodyKind, RouteContext, RouteDef, UpgradeConn } from './route';

export interface ApiServerOptions {
  /** berth's version, for the `Server` header (`Berth/<version> (linux)`). */
  version: string;
  log?: Logger;
}

interface CompiledRoute { def: RouteDef; bodyKind: BodyKind; validate?: BodyValidator }

/** Reads exactly Content-Length body bytes from an upgraded connection; the rest stays in the socket. */
function readUpgradeBody(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<Buffer> {
  const len = Number.parseInt(String(req.headers['content-length'] ?? '0'), 10) || 0;
  return new Promise((resolve, reject) => {
    let buf = head;
    const finish = (): void => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', reject);
      socket.pause();
      if (buf.length > len) socket.unshift(buf.subarray(len));
      resolve(buf.subarray(0, len));
    };
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length >= len) finish();
    };
    const onEnd = (): void => { socket.off('data', onData); reject(new InvalidArgumentError('request body ended early')); };
    if (buf.length >= len) { finish(); return; }
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('error', reject);
  });
}

/** The caller's name for authorization: the CN of a TLS client certificate, when there is one. */
function peerUser(req: IncomingMessage): string | undefined {
  const cn = (req.socket as TLSSocket).getPeerCertificate?.()?.subject?.CN;
  return Array.isArray(cn) ? cn[0] : cn;
}

/** Serves the Docker Engine API from a route table; one instance serves every listener. */
export class ApiServer {
  private readonly router = Router({ ignoreTrailingSlash: true, ignoreDuplicateSlashes: true });
  /** Headers every response carries. */
  readonly headers: Readonly<Record<string, string>>;
  private readonly log?: Logger;

  constructor(private readonly kernel: Kernel, routes: readonly RouteDef[], opts: ApiServerOptions) {
    this.log = opts.log;
    this.headers = Object.freeze({
      'Api-Version': API_VERSION,
      'Docker-Experimental': 'false',
      Ostype: 'linux',
      Server: `Berth/${opts.version} (linux)`,
    });
    for (const def of routes) {
      const bodyKind: BodyKind = def.body ?? (def.method === 'POST' || def.method === 'PUT' ? 'json' : 'none');
      const compiled: CompiledRoute = { def, bodyKind, validate: def.schema ? compileBodySchema(def.schema) : undefined };
      this.router.on(def.method, def.path, () => undefined, compiled);
    }
  }

  /** The 'request' listener of every listening server. Never throws. */
  readonly handleRequest = (req: IncomingMessage, res: ServerResponse): void => {
    void this.dispatch(req, res);
  };

  /** The 'upgrade' listener: the connection may be hijacked by attach / exec start. Never throws. */
  readonly handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const res = new ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket as never);
    res.on('finish', () => { socket.end(); });
    socket.on('error', () => socket.destroy());
    void this.dispatch(req, res, { socket }, head);
  };

  private async dispatch(req: IncomingMessage, res: ServerResponse, upgrade?: UpgradeConn, head?: Buffer): Promise<void> {
    const t0 = process.hrtime.bigint();
    const ac = new AbortController();
    res.on('close', () => { if (!res.writableFinished) ac.abort(); });
    upgrade?.socket.on('close', () => ac.abort());
    for (const [k, v] of Object.entries(this.headers)) res.setHeader(k, v);
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://berth');
    try {
      const { version, path } = splitVersion(url.pathname);
      const found = this.router.find(method as HTTPMethod, path);
      if (!found) throw new NotFoundError('page not found');
      const route = found.store as CompiledRoute;
      const params: Record<string, string> = {};
      for (const [k, v] of Object.entries(found.params)) if (v !== undefined) params[k] = v;

      let body: unknown;
      // On an upgraded connection the request's own body (Content-Length bytes; dockerode
      // sends its options there) comes first; only what follows it is the client's stream.
      const upgradeBody = upgrade ? await readUpgradeBody(req, upgrade.socket, head ?? Buffer.alloc(0)) : undefined;
      if (route.bodyKind === 'json') {
        const raw = upgradeBody ?? await readAll(req);
        const ct = String(req.headers['content-type'] ?? '');
        if (raw.length > 0 && ct !== '' && !/^application\/json\b/i.test(ct) && !/\+json\b/i.test(ct)) {
          throw new InvalidArgumentError(`unsupported Content-Type header (${ct}): must be 'application/json'`);
        }
        body = parseJsonBody(raw);
        if (body === undefined && route.def.bodyRequired) throw new InvalidArgumentError('invalid request body: a JSON body is required');
        if (body !== undefined && route.validate) route.validate(body);
      } else if (route.bodyKind === 'none' && !upgrade) {
        req.resume();
      }

      const query = readQuery(url.searchParams, route.def.query ?? {});
      const decision = await this.kernel.hooks.api.authorize.promise({
        method, path, body, user: peerUser(req),
      });
      if (decision && !decision.allow) throw new ForbiddenError(decision.msg ?? 'authorization denied by plugin');

      const ctx: RouteContext = {
        kernel: this.kernel, req, res, params, searchParams: url.searchParams, query, body,
        apiVersion: version, upgrade, signal: ac.signal, apiHeaders: this.headers,
      };
      await route.def.handler(ctx);
    } catch (err) {
      const e = toBerthError(err);
      // 501/503 are answers about missing features, not failures of berthd.
      if (e.httpStatus >= 500 && e.httpStatus !== 501 && e.httpStatus !== 503) this.log?.error({ err: e, method, url: req.url }, `API error: ${e.message}`);
      else this.log?.debug({ method, url: req.url, status: e.httpStatus, message: e.message }, 'API request refused');
      sendError(res, e);
    } finally {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      this.log?.debug({ method, url: req.url, status: res.statusCode, ms }, 'api request');
    }
  }
}
