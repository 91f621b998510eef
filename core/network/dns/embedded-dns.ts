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
import * as net from 'node:net';
import * as dnsPacket from 'dns-packet';
import type { Logger } from 'pino';

/** Upstream `ip` or `ip:port` (port 53 when absent). */
export interface Upstream { host: string; port: number }

/** Parses `1.2.3.4` / `1.2.3.4:5353`. */
export function parseUpstream(s: string): Upstream {
  const m = /^(\d+\.\d+\.\d+\.\d+)(?::(\d+))?$/.exec(s.trim());
  return m ? { host: m[1], port: m[2] ? Number(m[2]) : 53 } : { host: s.trim(), port: 53 };
}

/** What the server may answer itself: names → IPv4 addresses, IPv4 → name (PTR). Null: forward. */
export interface Lookup {
  forward(name: string): string[] | null;
  reverse(ip: string): string | null;
}

const FORWARD_TIMEOUT_MS = 2000;

export class EmbeddedDnsServer {
  private readonly sock: dgram.Socket;
  private readonly tcp: net.Server | undefined;

  /**
   * Serves on an already bound UDP socket `udpFd` and, when given, a
   * listening TCP socket `tcpFd` (both owned from now on).
   */
  constructor(udpFd: number, tcpFd: number | undefined, private readonly lookup: Lookup, private readonly upstreams: () => Upstream[], private readonly log?: Logger) {
    this.sock = dgram.createSocket('udp4');
    this.sock.on('message', (msg, rinfo) => {
      void this.answer(msg).then((reply) => { if (reply) this.sock.send(reply, rinfo.port, rinfo.address); });
    });
    this.sock.on('error', (err) => this.log?.warn({ err }, 'embedded dns socket error'));
    this.sock.bind({ fd: udpFd });
    if (tcpFd !== undefined) {
      this.tcp = net.createServer((conn) => this.serveTcp(conn));
      this.tcp.on('error', (err) => this.log?.warn({ err }, 'embedded dns tcp error'));
      this.tcp.listen({ fd: tcpFd });
    }
  }

  /** Stops serving and closes the sockets. */
  close(): void {
    try { this.sock.close(); } catch { /* already closed */ }
    this.tcp?.close();
  }

  /** DNS over TCP: 2-byte length-prefixed messages, answered in order. */
  private serveTcp(conn: net.Socket): void {
    let buf = Buffer.alloc(0);
    conn.setTimeout(10000, () => conn.destroy());
    conn.on('error', () => conn.destroy());
    conn.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        void this.answer(Buffer.from(msg)).then((reply) => {
          if (!reply || conn.destroyed) return;
          const len = Buffer.alloc(2);
          len.writeUInt16BE(reply.length);
          conn.write(Buffer.concat([len, reply]));
        });
      }
    });
  }

  /** The reply to one query: own answer, else the upstream's, else SERVFAIL; null for garbage. */
  private async answer(msg: Buffer): Promise<Buffer | null> {
    let q: dnsPacket.Packet;
    try {
      q = dnsPacket.decode(msg);
    } catch {
      return null;
    }
    const question = q.questions?.[0];
    const flags = dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | dnsPacket.AUTHORITATIVE_ANSWER;
    if (question && (question.type === 'A' || question.type === 'AAAA')) {
      const ips = this.lookup.forward(question.name.toLowerCase().replace(/\.$/, ''));
      if (ips) {
        return dnsPacket.encode({
          id: q.id, type: 'response', flags, questions: [question],
          answers: question.type === 'A' ? ips.map((ip) => ({ type: 'A' as const, name: question.name, ttl: 600, class: 'IN' as const, data: ip })) : [],
        });
      }
    }
    if (question && question.type === 'PTR') {
      const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\.in-addr\.arpa\.?$/i.exec(question.name);
      const name = m ? this.lookup.reverse([m[4], m[3], m[2], m[1]].join('.')) : null;
      if (name) {
        return dnsPacket.encode({
          id: q.id, type: 'response', flags, questions: [question],
          answers: [{ type: 'PTR', name: question.name, ttl: 600, class: 'IN', data: name }],
        });
      }
    }
    return (await this.forward(msg)) ?? servfail(q);
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
