/**
 * What a route is and what its handler gets. Handlers only translate between
 * HTTP and jobs: read params, query and body, run the job, write its output.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Kernel } from '../daemon/kernel';
import type { JSONSchema } from '../plugins/manifest';
import type { QuerySpec } from './query';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';

/**
 * How the request body is read: `json` (parsed and validated before the
 * handler runs), `stream` (left unread: the handler hands it to a job as
 * stdin), `none` (ignored).
 */
export type BodyKind = 'json' | 'stream' | 'none';

/** A connection taken over by an `Upgrade: tcp` request (attach, exec start). */
export interface UpgradeConn {
  socket: Duplex;
}

export interface RouteContext {
  readonly kernel: Kernel;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** Path parameters, by Docker's names (`id`, `name`). */
  readonly params: Readonly<Record<string, string>>;
  /** The raw query string parameters. */
  readonly searchParams: URLSearchParams;
  /** The route's declared query parameters, typed (see query.ts). */
  readonly query: Readonly<Record<string, unknown>>;
  /** Parsed and validated JSON body (`json` routes), else undefined. */
  readonly body: unknown;
  /** The API version of the request (`1.41` when the path names none). */
  readonly apiVersion: string;
  /** Set when the client asked to upgrade the connection (hijack). */
  readonly upgrade?: UpgradeConn;
  /** Aborted when the client goes away. */
  readonly signal: AbortSignal;
  /** Common response headers (Api-Version, Server, ...), for raw hijack responses. */
  readonly apiHeaders: Readonly<Record<string, string>>;
}

export type RouteHandler = (ctx: RouteContext) => Promise<void>;

export interface RouteDef {
  method: HttpMethod;
  /** find-my-way pattern without the version prefix: `/containers/:id/json`. */
  path: string;
  /** Declared query parameters and their types. */
  query?: QuerySpec;
  /** Default: `json` for POST/PUT, `none` otherwise. */
  body?: BodyKind;
  /** JSON Schema of the body (json routes). */
  schema?: JSONSchema;
  /** Whether an empty JSON body is refused (400 "request body is required"). */
  bodyRequired?: boolean;
  handler: RouteHandler;
}
