/**
 * `WWW-Authenticate` parsing (RFC 7235 challenges) and the Docker token flow:
 * GET `<realm>?service=…&scope=…` with Basic credentials (or POST the OAuth2
 * form with a refresh token), cached until it expires.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { ForbiddenError, UnauthorizedError, UnavailableError } from '../../core';
import type { Credentials } from './credentials';
import { readBody, send } from './http-send';

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses one or more `WWW-Authenticate` header values into challenges (scheme lower-cased). */
export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  const values = header === undefined ? [] : Array.isArray(header) ? header : [header];
  const out: Challenge[] = [];
  const tokenChar = /[\w!#$%&'*+.^`|~/:-]/;
  for (const v of values) {
    let i = 0;
    let cur: Challenge | undefined;
    const skip = (): void => { while (i < v.length && /[\s,]/.test(v[i])) i++; };
    while (i < v.length) {
      skip();
      const start = i;
      while (i < v.length && tokenChar.test(v[i])) i++;
      const tok = v.slice(start, i);
      if (!tok) { i++; continue; }
      while (i < v.length && v[i] === ' ') i++;
      if (v[i] === '=' && cur) {
        i++;
        while (i < v.length && v[i] === ' ') i++;
        let val = '';
        if (v[i] === '"') {
          i++;
          while (i < v.length && v[i] !== '"') { if (v[i] === '\\') i++; val += v[i] ?? ''; i++; }
          i++;
        } else {
          const s0 = i;
          while (i < v.length && v[i] !== ',' && v[i] !== ' ') i++;
          val = v.slice(s0, i);
        }
        cur.params[tok.toLowerCase()] = val;
      } else {
        cur = { scheme: tok.toLowerCase(), params: {} };
        out.push(cur);
      }
    }
  }
  return out;
}

interface CachedToken { token: string; expiresAt: number }

/** Fetches and caches bearer tokens, keyed by realm, service, scopes and user. */
export class TokenCache {
  private readonly tokens = new Map<string, CachedToken>();
  private readonly agent = new https.Agent({ keepAlive: true });
  private readonly plainAgent = new http.Agent({ keepAlive: true });

  /**
   * A token for `scopes` from the challenge's realm. Cached until 10 s before
   * it expires (`expires_in`, 60 s when the server says nothing, as the spec
   * says). `insecure` skips TLS verification of the realm (insecure registries).
   * Throws UnauthorizedError when the token server refuses the credentials.
   */
  async get(ch: Challenge, scopes: string[], creds: Credentials | undefined, tlsAgent?: https.Agent): Promise<string> {
    const realm = ch.params.realm;
    if (!realm) throw new UnauthorizedError('registry sent a Bearer challenge without a realm');
    const service = ch.params.service ?? '';
    const key = JSON.stringify([realm, service, [...scopes].sort(), creds?.username ?? '', creds?.identityToken ?? '']);
    const hit = this.tokens.get(key);
    if (hit && hit.expiresAt > Date.now()) return hit.token;
    const fetched = await this.fetch(realm, service, scopes, creds, tlsAgent);
    this.tokens.set(key, fetched);
    return fetched.token;
  }

  /** Drops every cached token for this realm (after a 401 with a cached token). */
  invalidate(ch: Challenge): void {
    for (const k of this.tokens.keys()) {
      if ((JSON.parse(k) as string[])[0] === ch.params.realm) this.tokens.delete(k);
    }
  }

  private async fetch(realm: string, service: string, scopes: string[], creds: Credentials | undefined,
    tlsAgent?: https.Agent): Promise<CachedToken> {
    const url = new URL(realm);
    const agent = url.protocol === 'http:' ? this.plainAgent : (tlsAgent ?? this.agent);
    let res: http.IncomingMessage;
    if (creds?.identityToken) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.identityToken,
        service, client_id: 'berth', scope: scopes.join(' ') });
      res = await send({ method: 'POST', url: url.toString(), agent,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: Buffer.from(form.toString()) });
    } else {
      if (service) url.searchParams.set('service', service);
      for (const s of scopes) url.searchParams.append('scope', s);
      const headers: Record<string, string> = {};
      if (creds?.username !== undefined) {
        headers.Authorization = 'Basic ' + Buffer.from(`${creds.username}:${creds.password ?? ''}`).toString('base64');
        url.searchParams.set('account', creds.username);
      }
      res = await send({ method: 'GET', url: url.toString(), agent, headers });
    }
    const body = await readBody(res, 1024 * 1024);
    if (res.statusCode === 401) throw new UnauthorizedError(`token server ${realm} refused the credentials: ${body.toString().slice(0, 200)}`);
    if (res.statusCode === 403) throw new ForbiddenError(`token server ${realm} denied access: ${body.toString().slice(0, 200)}`);
    if (res.statusCode !== 200) throw new UnavailableError(`token server ${realm} answered ${res.statusCode}`);
    let j: { token?: string; access_token?: string; expires_in?: number; issued_at?: string };
    try { j = JSON.parse(body.toString()) as typeof j; } catch {
      throw new UnavailableError(`token server ${realm} sent invalid JSON`);
    }
    const token = j.token ?? j.access_token;
    if (!token) throw new UnavailableError(`token server ${realm} sent no token`);
    const ttl = Math.max(j.expires_in ?? 60, 60);
    const issued = j.issued_at ? Date.parse(j.issued_at) : Date.now();
    const base = Number.isFinite(issued) && issued <= Date.now() ? issued : Date.now();
    return { token, expiresAt: base + (ttl - 10) * 1000 };
  }

  /** Closes keep-alive sockets. */
  close(): void {
    this.agent.destroy();
    this.plainAgent.destroy();
    this.tokens.clear();
  }
}
