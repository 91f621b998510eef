/**
 * Where a registry host is reached and how: scheme, TLS verification, CA and
 * client certificates, mirrors. Follows Docker's rules:
 *
 * - `insecure-registries` entries (host, host:port or CIDR) and 127.0.0.0/8,
 *   ::1 and `localhost` are insecure: HTTPS without verification is tried
 *   first, then plain HTTP.
 * - Any other registry is HTTPS with the system CAs plus the per-registry
 *   material in `<certsDir>/<host[:port]>/`: every `*.crt` is a CA, each
 *   `<name>.cert` with its `<name>.key` is a client certificate.
 * - `registry-mirrors` are tried before Docker Hub for `docker.io` pulls.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { InvalidArgumentError } from '../../core';

/** The canonical name of Docker Hub and the host its API lives on. */
export const DOCKER_HUB = 'docker.io';
export const DOCKER_HUB_API = 'registry-1.docker.io';

/** One way of reaching a registry: a base URL and the agent that speaks to it. */
export interface Endpoint {
  /** `https://host:port` or `http://host:port`, no trailing slash. */
  readonly base: string;
  /** The `host[:port]` as the user wrote it (key of certs.d and of credentials). */
  readonly host: string;
  readonly agent: http.Agent;
  /** Whether TLS is verified (false for insecure registries and plain HTTP). */
  readonly tlsVerify: boolean;
  /** A pull-through mirror of Docker Hub (never pushed to). */
  readonly mirror: boolean;
}

export interface EndpointConfig {
  insecureRegistries: readonly string[];
  mirrors: readonly string[];
  certsDir: string;
  /** Whether 127.0.0.0/8, ::1 and localhost are insecure without being listed (Docker: always). */
  loopbackInsecure: boolean;
}

interface Cidr { addr: Buffer; bits: number }

function parseCidr(s: string): Cidr | undefined {
  const m = /^(.+)\/(\d+)$/.exec(s);
  if (!m || !net.isIP(m[1])) return undefined;
  return { addr: ipBytes(m[1]), bits: Number(m[2]) };
}

function ipBytes(ip: string): Buffer {
  if (net.isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  const full = new net.SocketAddress({ address: ip, family: 'ipv6' }).address;
  const [head, tail = ''] = full.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = full.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  const buf = Buffer.alloc(16);
  groups.forEach((g, i) => buf.writeUInt16BE(parseInt(g, 16), i * 2));
  return buf;
}

function inCidr(ip: string, c: Cidr): boolean {
  const a = ipBytes(ip);
  if (a.length !== c.addr.length) return false;
  let bits = c.bits;
  for (let i = 0; i < a.length && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((a[i] & mask) !== (c.addr[i] & mask)) return false;
  }
  return true;
}

/** Splits `host[:port]` (IPv6 in brackets) into hostname and port. */
export function splitHost(host: string): { hostname: string; port?: number } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(host) ?? /^([^:]+)(?::(\d+))?$/.exec(host);
  if (!m) throw new InvalidArgumentError(`invalid registry host "${host}"`);
  return { hostname: m[1], port: m[2] ? Number(m[2]) : undefined };
}

/** Builds and caches the endpoints of each registry host. */
export class EndpointResolver {
  private readonly cidrs: Cidr[] = [];
  private readonly insecureHosts = new Set<string>();
  private readonly cache = new Map<string, Endpoint[]>();

  constructor(private readonly cfg: EndpointConfig) {
    if (cfg.loopbackInsecure) this.cidrs.push(parseCidr('127.0.0.0/8')!, parseCidr('::1/128')!);
    for (const entry of cfg.insecureRegistries) {
      const c = parseCidr(entry);
      if (c) this.cidrs.push(c);
      else this.insecureHosts.add(entry.replace(/^https?:\/\//, '').replace(/\/+$/, ''));
    }
  }

  /** Whether `host[:port]` is insecure by config or by being loopback. */
  isInsecure(host: string): boolean {
    if (this.insecureHosts.has(host)) return true;
    const { hostname } = splitHost(host);
    if (this.insecureHosts.has(hostname)) return true;
    if (hostname === 'localhost' && this.cfg.loopbackInsecure) return true;
    return net.isIP(hostname) !== 0 && this.cidrs.some((c) => inCidr(hostname, c));
  }

  /**
   * The endpoints to try for `host` in order. `forPush` leaves mirrors out.
   * Throws InvalidArgumentError when certs.d holds a client cert without its key.
   */
  endpoints(host: string, forPush = false): Endpoint[] {
    const key = `${host}|${forPush}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const list: Endpoint[] = [];
    if (host === DOCKER_HUB && !forPush) {
      for (const m of this.cfg.mirrors) list.push(this.mirrorEndpoint(m));
    }
    const apiHost = host === DOCKER_HUB ? DOCKER_HUB_API : host;
    const tls = this.tlsMaterial(host);
    if (this.isInsecure(host)) {
      list.push(this.make(apiHost, host, 'https', false, tls, false));
      list.push(this.make(apiHost, host, 'http', false, tls, false));
    } else {
      list.push(this.make(apiHost, host, 'https', true, tls, false));
    }
    this.cache.set(key, list);
    return list;
  }

  /** Closes every keep-alive socket. */
  close(): void {
    for (const eps of this.cache.values()) for (const e of eps) e.agent.destroy();
    this.cache.clear();
  }

  private mirrorEndpoint(url: string): Endpoint {
    let u: URL;
    try { u = new URL(url); } catch { throw new InvalidArgumentError(`registry-mirrors: invalid URL "${url}"`); }
    const host = u.host;
    const scheme = u.protocol === 'http:' ? 'http' : 'https';
    const verify = scheme === 'https' && !this.isInsecure(host);
    return this.make(host, host, scheme, verify, this.tlsMaterial(host), true);
  }

  private make(apiHost: string, host: string, scheme: 'http' | 'https', verify: boolean,
    tls: https.AgentOptions, mirror: boolean): Endpoint {
    const agent = scheme === 'http'
      ? new http.Agent({ keepAlive: true, maxSockets: 16 })
      : new https.Agent({ keepAlive: true, maxSockets: 16, rejectUnauthorized: verify, ...tls });
    return { base: `${scheme}://${apiHost}`, host, agent, tlsVerify: verify, mirror };
  }

  /** Reads `<certsDir>/<host>/`: every `*.crt` is a CA; `x.cert` pairs with `x.key`. */
  private tlsMaterial(host: string): https.AgentOptions {
    const dir = path.join(this.cfg.certsDir, host);
    let names: string[];
    try { names = fs.readdirSync(dir); } catch { return {}; }
    const ca: Buffer[] = [];
    let cert: Buffer | undefined;
    let key: Buffer | undefined;
    for (const n of names.sort()) {
      const p = path.join(dir, n);
      if (n.endsWith('.crt')) ca.push(fs.readFileSync(p));
      else if (n.endsWith('.cert')) {
        const keyFile = path.join(dir, n.slice(0, -'.cert'.length) + '.key');
        if (!fs.existsSync(keyFile)) {
          throw new InvalidArgumentError(`missing key ${keyFile} for client certificate ${p}`);
        }
        cert = fs.readFileSync(p);
        key = fs.readFileSync(keyFile);
      } else if (n.endsWith('.key')) {
        const certFile = path.join(dir, n.slice(0, -'.key'.length) + '.cert');
        if (!fs.existsSync(certFile)) {
          throw new InvalidArgumentError(`missing client certificate ${certFile} for key ${p}`);
        }
      }
    }
    const opts: https.AgentOptions = {};
    if (ca.length) {
      // Docker adds certs.d CAs to the system pool rather than replacing it.
      opts.ca = [...tls.rootCertificates, ...ca.map((b) => b.toString())];
    }
    if (cert && key) { opts.cert = cert; opts.key = key; }
    return opts;
  }
}
