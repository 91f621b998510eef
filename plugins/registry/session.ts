/**
 * A session with one repository on one registry endpoint: pings `/v2/`,
 * learns the auth challenge, authorizes every request (anonymous, Basic or
 * Bearer for the repository scopes) and retries once on 401 with a fresh
 * token. Registry error bodies become typed berth errors.
 */
import type * as http from 'node:http';
import * as https from 'node:https';
import type { Readable } from 'node:stream';
import {
  BerthError, ForbiddenError, InvalidArgumentError, NotFoundError, UnauthorizedError, UnavailableError,
} from '../../core';
import { parseChallenges, type Challenge, type TokenCache } from './auth-challenge';
import type { Credentials } from './credentials';
import type { Endpoint } from './endpoints';
import { readBody, send } from './http-send';

export interface SessionRequest {
  method: string;
  /** Path below the endpoint (`/v2/<repo>/manifests/<ref>`) or an absolute URL (upload locations). */
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | (() => Readable);
  signal?: AbortSignal;
  /** Statuses the caller handles itself; anything else is turned into an error. */
  expect?: number[];
}

export class RegistrySession {
  private challenge: Challenge | undefined;
  private pinged = false;

  /**
   * @param scopes token scopes, e.g. `repository:library/busybox:pull`
   */
  constructor(
    readonly endpoint: Endpoint,
    private readonly scopes: string[],
    private readonly creds: Credentials | undefined,
    private readonly tokens: TokenCache,
  ) {}

  /** The registry's name for messages (`127.0.0.1:5000`). */
  get host(): string { return this.endpoint.host; }

  /**
   * Checks the endpoint speaks the v2 API and records its auth challenge.
   * Throws UnavailableError when it cannot be reached or is not a v2 registry.
   */
  async ping(signal?: AbortSignal): Promise<void> {
    if (this.pinged) return;
    const res = await send({ method: 'GET', url: `${this.endpoint.base}/v2/`, agent: this.endpoint.agent, signal });
    res.resume();
    if (res.statusCode === 401) {
      this.challenge = this.pickChallenge(res.headers['www-authenticate']);
    } else if (res.statusCode !== 200) {
      throw new UnavailableError(`${this.endpoint.base}/v2/ answered ${res.statusCode}: not a registry v2 endpoint`);
    }
    this.pinged = true;
  }

  /**
   * Sends an authorized request. On 401 it fetches a fresh token (or learns
   * the challenge) and retries once. A status not in `expect` (default 2xx) is
   * thrown as a typed error carrying the registry's own message.
   */
  async request(req: SessionRequest): Promise<http.IncomingMessage> {
    await this.ping(req.signal);
    let res = await this.sendAuthorized(req);
    if (res.statusCode === 401) {
      res.resume();
      const ch = this.pickChallenge(res.headers['www-authenticate']) ?? this.challenge;
      if (ch) {
        if (this.challenge?.scheme === 'bearer') this.tokens.invalidate(this.challenge);
        this.challenge = ch;
        res = await this.sendAuthorized(req);
      }
    }
    const ok = req.expect ? req.expect.includes(res.statusCode ?? 0)
      : (res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300;
    if (!ok) throw await this.errorFrom(req, res);
    return res;
  }

  /** The Authorization header value for the current challenge, if any. */
  async authorization(): Promise<string | undefined> {
    const ch = this.challenge;
    if (this.creds?.registryToken) return `Bearer ${this.creds.registryToken}`;
    if (!ch) return undefined;
    if (ch.scheme === 'basic') {
      if (this.creds?.username === undefined) {
        throw new UnauthorizedError(`${this.host} requires a username and password (Basic auth); none given or found in the docker config`);
      }
      return 'Basic ' + Buffer.from(`${this.creds.username}:${this.creds.password ?? ''}`).toString('base64');
    }
    if (ch.scheme === 'bearer') {
      const agent = this.endpoint.agent instanceof https.Agent ? this.endpoint.agent : undefined;
      return `Bearer ${await this.tokens.get(ch, this.scopes, this.creds, agent)}`;
    }
    return undefined;
  }

  /** Streamed bodies are given as factories so that the retry after a 401 gets a fresh stream. */
  private async sendAuthorized(req: SessionRequest): Promise<http.IncomingMessage> {
    const auth = await this.authorization();
    const headers = { ...(req.headers ?? {}) };
    if (auth) headers.Authorization = auth;
    const url = /^https?:\/\//.test(req.path) ? req.path : `${this.endpoint.base}${req.path}`;
    return send({
      method: req.method, url, agent: this.endpoint.agent, headers, signal: req.signal,
      body: typeof req.body === 'function' ? req.body() : req.body,
    });
  }

  private pickChallenge(h: string | string[] | undefined): Challenge | undefined {
    const all = parseChallenges(h);
    return all.find((c) => c.scheme === 'bearer') ?? all.find((c) => c.scheme === 'basic');
  }

  private async errorFrom(req: SessionRequest, res: http.IncomingMessage): Promise<BerthError> {
    let detail = '';
    if (req.method !== 'HEAD') {
      const body = await readBody(res, 64 * 1024).catch(() => Buffer.alloc(0));
      try {
        const j = JSON.parse(body.toString()) as { errors?: Array<{ code?: string; message?: string }> };
        detail = (j.errors ?? []).map((e) => e.message ?? e.code ?? '').filter(Boolean).join('; ');
      } catch { detail = body.toString().trim().slice(0, 200); }
    } else res.resume();
    const what = `${req.method} ${this.host}${req.path.startsWith('/') ? req.path : ''}`;
    const msg = `${what}: ${detail || `HTTP ${res.statusCode}`}`;
    switch (res.statusCode) {
      case 401: return new UnauthorizedError(`${msg} (authentication required${this.creds ? '; the credentials were refused' : ''})`);
      case 403: return new ForbiddenError(msg);
      case 404: return new NotFoundError(msg);
      case 400: case 405: case 413: case 416: return new InvalidArgumentError(msg);
      default: return new UnavailableError(msg);
    }
  }
}
