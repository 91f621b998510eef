/**
 * One HTTP exchange on node:http/https: request, follow redirects (blob
 * storage often redirects GETs), hand back the streaming response. Network
 * failures become UnavailableError naming the URL.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { Readable } from 'node:stream';
import { UnavailableError } from '../../core';

export interface SendOptions {
  method: string;
  url: string;
  agent: http.Agent;
  headers?: Record<string, string>;
  body?: Buffer | Readable;
  signal?: AbortSignal;
  /** Follow 3xx for GET/HEAD (default true). Authorization is dropped when the host changes. */
  followRedirects?: boolean;
}

/** Agents for hosts reached by redirect (object storage), verified TLS. */
const redirectAgents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };

/** Sends a request and resolves with the response once its headers arrive. */
export async function send(opts: SendOptions): Promise<http.IncomingMessage> {
  let url = opts.url;
  let agent = opts.agent;
  let headers = { ...(opts.headers ?? {}) };
  const origin = new URL(url).host;
  for (let hop = 0; ; hop++) {
    const res = await sendOnce({ ...opts, url, agent, headers });
    const loc = res.headers.location;
    const redirect = res.statusCode !== undefined && [301, 302, 303, 307, 308].includes(res.statusCode);
    if (!redirect || !loc || opts.followRedirects === false || !['GET', 'HEAD'].includes(opts.method) || hop >= 5) {
      return res;
    }
    res.resume();
    const next = new URL(loc, url);
    if (next.host !== origin) {
      headers = Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'authorization'));
      agent = next.protocol === 'http:' ? redirectAgents.http : redirectAgents.https;
    }
    url = next.toString();
  }
}

function sendOnce(opts: SendOptions): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const u = new URL(opts.url);
    const mod = u.protocol === 'http:' ? http : https;
    const req = mod.request(u, {
      method: opts.method,
      agent: opts.agent,
      headers: { 'User-Agent': 'berth/0.1 (distribution client)', ...opts.headers },
      signal: opts.signal,
    }, resolve);
    req.on('error', (err) => {
      reject(opts.signal?.aborted ? err : new UnavailableError(`${opts.method} ${opts.url}: ${err.message}`, { cause: err }));
    });
    const body = opts.body;
    if (body === undefined) req.end();
    else if (Buffer.isBuffer(body)) req.end(body);
    else {
      body.on('error', (err) => req.destroy(err));
      body.pipe(req);
    }
  });
}

/** Reads a whole (small) response body; refuses more than `limit` bytes. */
export async function readBody(res: http.IncomingMessage, limit = 8 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of res) {
    n += (c as Buffer).length;
    if (n > limit) {
      res.destroy();
      throw new UnavailableError(`response from ${res.url ?? 'registry'} is larger than ${limit} bytes`);
    }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}
