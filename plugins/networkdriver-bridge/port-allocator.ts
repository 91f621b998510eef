/**
 * Host port reservations for published ports. A (protocol, host IP, port)
 * triple belongs to one endpoint; 0.0.0.0 overlaps every address. Ports
 * picked for `-P` / `-p 80` come from the kernel's ephemeral range
 * (/proc/sys/net/ipv4/ip_local_port_range) in order, as dockerd's port
 * allocator hands them out: per protocol and host address, the one after
 * the last handed out, from the start of the range and wrapping at its end
 * (so the first is 32768 on a default kernel). A port some host process
 * already holds is skipped the same way (checked by binding it briefly).
 */
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as dgram from 'node:dgram';
import { ConflictError } from '../../core';

interface Held { owner: string; proto: string; ip: string; port: number }

export class PortAllocator {
  private readonly held: Held[] = [];
  private readonly range: [number, number];
  /** Per `proto/ip`: the last port handed out from the range (dockerd's portRange.last). */
  private readonly last = new Map<string, number>();

  constructor(range?: [number, number]) {
    this.range = range ?? ephemeralRange();
  }

  /**
   * Reserves a host port for `owner` and resolves with it; `port` 0 picks the
   * next free one of the ephemeral range (in order, wrapping); `port`..`portEnd` the first
   * free one of that range. ConflictError
   * `Bind for IP:PORT failed: port is already allocated` when it is taken.
   */
  async reserve(owner: string, proto: 'tcp' | 'udp', hostIp: string, port: number, portEnd?: number): Promise<number> {
    const ip = hostIp || '0.0.0.0';
    if (port !== 0 && portEnd !== undefined && portEnd > port) {
      for (let p = port; p <= portEnd; p++) {
        if (this.taken(proto, ip, p)) continue;
        this.claim(owner, proto, ip, p);
        if (await freeOnHost(proto, ip, p)) return p;
        this.releaseOne(owner, proto, ip, p);
      }
      throw new ConflictError(`Bind for ${ip}:${port}-${portEnd} failed: port is already allocated`);
    }
    if (port !== 0) {
      this.claim(owner, proto, ip, port);
      if (!(await freeOnHost(proto, ip, port))) {
        this.releaseOne(owner, proto, ip, port);
        throw new ConflictError(`Bind for ${ip}:${port} failed: port is already allocated`);
      }
      return port;
    }
    const [lo, hi] = this.range;
    const span = hi - lo + 1;
    const key = `${proto}/${ip}`;
    for (let i = 0; i < span; i++) {
      // the cursor moves before any await: concurrent reservations get different ports
      const prev = this.last.get(key) ?? hi;
      const p = prev >= hi || prev < lo ? lo : prev + 1;
      this.last.set(key, p);
      if (this.taken(proto, ip, p)) continue;
      this.claim(owner, proto, ip, p);
      if (await freeOnHost(proto, ip, p)) return p;
      this.releaseOne(owner, proto, ip, p);
    }
    throw new ConflictError(`no free host port for ${proto} on ${ip} in ${lo}-${hi}: port is already allocated`);
  }

  /** Re-takes a port known to belong to `owner` (daemon restart); no host check. */
  restore(owner: string, proto: 'tcp' | 'udp', hostIp: string, port: number): void {
    if (!this.taken(proto, hostIp || '0.0.0.0', port)) this.held.push({ owner, proto, ip: hostIp || '0.0.0.0', port });
  }

  /** Releases every port held by `owner`. */
  release(owner: string): void {
    for (let i = this.held.length - 1; i >= 0; i--) if (this.held[i].owner === owner) this.held.splice(i, 1);
  }

  private releaseOne(owner: string, proto: string, ip: string, port: number): void {
    const i = this.held.findIndex((h) => h.owner === owner && h.proto === proto && h.ip === ip && h.port === port);
    if (i >= 0) this.held.splice(i, 1);
  }

  private taken(proto: string, ip: string, port: number): boolean {
    return this.held.some((h) => h.proto === proto && h.port === port && (h.ip === ip || h.ip === '0.0.0.0' || ip === '0.0.0.0'));
  }

  private claim(owner: string, proto: string, ip: string, port: number): void {
    if (this.taken(proto, ip, port)) throw new ConflictError(`Bind for ${ip}:${port} failed: port is already allocated`);
    this.held.push({ owner, proto, ip, port });
  }
}

function ephemeralRange(): [number, number] {
  try {
    const [a, b] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (a > 0 && b >= a) return [a, b];
  } catch { /* fall through */ }
  return [32768, 60999];
}

/** Whether a host socket could bind proto ip:port now. */
function freeOnHost(proto: 'tcp' | 'udp', ip: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (proto === 'tcp') {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen({ port, host: ip, exclusive: true }, () => s.close(() => resolve(true)));
    } else {
      const s = dgram.createSocket('udp4');
      s.once('error', () => { s.close(); resolve(false); });
      s.bind({ port, address: ip, exclusive: true }, () => s.close(() => resolve(true)));
    }
  });
}
