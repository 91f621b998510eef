/**
 * The embedded DNS server, like Docker's 127.0.0.11: one UDP socket per
 * sandbox, bound to 127.0.0.11:53 *inside* the container's network namespace
 * (SandboxProvider.bindSocket) but served by the daemon's event loop. It
 * answers A queries for names the sandbox may see (container names, aliases
 * and ids on its user-defined networks: the `lookup` callback) and forwards
 * every other query, unchanged, to the upstream resolvers from the daemon's
 * own namespace (so a loopback resolver on the host works too).
 */
import * as dgram from 'node:dgram';
import * as dnsPacket from 'dns-packet';
import type { Logger } from 'pino';

/** Upstream `ip` or `ip:port` (port 53 when absent). */
export interface Upstream { host: string; port: number }

/** Parses `1.2.3.4` / `1.2.3.4:5353`. */
export function parseUpstream(s: string): Upstream {
  const m = /^(\d+\.\d+\.\d+\.\d+)(?::(\d+))?$/.exec(s.trim());
  return m ? { host: m[1], port: m[2] ? Number(m[2]) : 53 } : { host: s.trim(), port: 53 };
}

export type Lookup = (name: string) => string[] | null;

const FORWARD_TIMEOUT_MS = 2000;

export class EmbeddedDnsServer {
  private readonly sock: dgram.Socket;

  /** Serves on an already bound UDP socket `fd` (owned from now on). */
  constructor(fd: number, private readonly lookup: Lookup, private readonly upstreams: () => Upstream[], private readonly log?: Logger) {
    this.sock = dgram.createSocket('udp4');
    this.sock.on('message', (msg, rinfo) => { void this.handle(msg, rinfo); });
    this.sock.on('error', (err) => this.log?.warn({ err }, 'embedded dns socket error'));
    this.sock.bind({ fd });
  }

  /** Stops serving and closes the socket. */
  close(): void {
    try { this.sock.close(); } catch { /* already closed */ }
  }

  private async handle(msg: Buffer, rinfo: dgram.RemoteInfo): Promise<void> {
    let q: dnsPacket.Packet;
    try {
      q = dnsPacket.decode(msg);
    } catch {
      return;
    }
    const question = q.questions?.[0];
    let reply: Buffer | null = null;
    if (question && (question.type === 'A' || question.type === 'AAAA')) {
      const name = question.name.toLowerCase().replace(/\.$/, '');
      const ips = this.lookup(name);
      if (ips) {
        reply = dnsPacket.encode({
          id: q.id, type: 'response', flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | dnsPacket.AUTHORITATIVE_ANSWER,
          questions: [question],
          answers: question.type === 'A' ? ips.map((ip) => ({ type: 'A' as const, name: question.name, ttl: 600, class: 'IN' as const, data: ip })) : [],
        });
      }
    }
    if (!reply) reply = await this.forward(msg) ?? servfail(q);
    this.sock.send(reply, rinfo.port, rinfo.address);
  }

  private async forward(msg: Buffer): Promise<Buffer | null> {
    for (const u of this.upstreams()) {
      const r = await ask(u, msg).catch(() => null);
      if (r) return r;
    }
    return null;
  }
}

function servfail(q: dnsPacket.Packet): Buffer {
  return dnsPacket.encode({ id: q.id, type: 'response', flags: dnsPacket.RECURSION_AVAILABLE | 2 /* SERVFAIL */, questions: q.questions ?? [] });
}

/** One query to one upstream over UDP, with a timeout. */
function ask(u: Upstream, msg: Buffer): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const s = dgram.createSocket(u.host.includes(':') ? 'udp6' : 'udp4');
    const done = (r: Buffer | null): void => { clearTimeout(t); try { s.close(); } catch { /* closed */ } resolve(r); };
    const t = setTimeout(() => done(null), FORWARD_TIMEOUT_MS);
    s.on('error', () => done(null));
    s.on('message', (m) => done(m));
    s.send(msg, u.port, u.host, (err) => { if (err) done(null); });
  });
}
