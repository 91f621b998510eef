/**
 * The default IPAM, like Docker's: pools from `default-address-pools`
 * (Docker's defaults: 172.17.0.0/16 … 172.31.0.0/16, then 192.168.0.0/20
 * blocks), skipping any that overlap another pool or a host route/address;
 * addresses handed out serially (the next free after the last one given, so a
 * released address is not reused at once). State is persisted atomically to
 * `<data-root>/network/ipam.json` after every change.
 */
import { ConflictError, InvalidArgumentError, NotFoundError, UnavailableError } from '../../errors';
import { readJsonIfExists } from '../../fs/atomic-write';
import { SerialJsonWriter } from '../serial-json-writer';
import { contains, formatCidr, formatIPv4, lastOf, overlaps, parseCidr, parseIPv4, type Cidr } from './ipv4';
import type { Ipam, Pool, PoolRequest } from './ipam';

/** Docker's default-address-pools. */
export const DOCKER_DEFAULT_POOLS: ReadonlyArray<{ base: string; size: number }> = Object.freeze([
  { base: '172.17.0.0/16', size: 16 },
  { base: '172.18.0.0/16', size: 16 },
  { base: '172.19.0.0/16', size: 16 },
  { base: '172.20.0.0/14', size: 16 },
  { base: '172.24.0.0/14', size: 16 },
  { base: '172.28.0.0/14', size: 16 },
  { base: '192.168.0.0/16', size: 20 },
]);

interface PoolState {
  networkId: string;
  subnet: string;
  gateway: string;
  ipRange?: string;
  /** Addresses handed out (the gateway included). */
  allocated: string[];
  /** The last address handed out, as a number: the next search starts after it. */
  cursor: number;
}

interface IpamFile { version: 1; pools: PoolState[] }

interface LivePool {
  st: PoolState;
  subnet: Cidr;
  range: Cidr;
  used: Set<number>;
}

export interface DefaultIpamOptions {
  /** `<data-root>/network/ipam.json`. */
  file: string;
  /** default-address-pools from the config; Docker's when empty. */
  defaultPools?: Array<{ base: string; size: number }>;
  /** Networks the host uses now (routes, addresses): auto-picked pools avoid them. */
  hostNetworks?: () => Cidr[];
}

export class DefaultIpam implements Ipam {
  private readonly pools = new Map<string, LivePool>();
  private readonly writer: SerialJsonWriter;
  private readonly defaults: Array<{ base: Cidr; size: number }>;
  private pending: Promise<void> | undefined;

  constructor(private readonly o: DefaultIpamOptions) {
    this.writer = new SerialJsonWriter(o.file, () => this.snapshot());
    const list = o.defaultPools && o.defaultPools.length > 0 ? o.defaultPools : DOCKER_DEFAULT_POOLS;
    this.defaults = list.map((p, i) => {
      const base = parseCidr(p.base, `default-address-pools[${i}].base`);
      if (!Number.isInteger(p.size) || p.size < base.prefix || p.size > 30) {
        throw new InvalidArgumentError(`default-address-pools[${i}].size: ${p.size} must be between ${base.prefix} and 30`);
      }
      return { base, size: p.size };
    });
  }

  /** See Ipam.load. */
  async load(): Promise<void> {
    const f = await readJsonIfExists<IpamFile>(this.o.file);
    this.pools.clear();
    for (const st of f?.pools ?? []) this.pools.set(st.networkId, live(st));
  }

  /** See Ipam.poolOf. */
  poolOf(networkId: string): Pool | undefined {
    const p = this.pools.get(networkId);
    return p ? { subnet: p.st.subnet, gateway: p.st.gateway, ...(p.st.ipRange ? { ipRange: p.st.ipRange } : {}) } : undefined;
  }

  /** See Ipam.requestPool. */
  async requestPool(networkId: string, req: PoolRequest): Promise<Pool> {
    const have = this.poolOf(networkId);
    if (have) return have;
    let subnet: Cidr;
    if (req.subnet) {
      subnet = parseCidr(req.subnet, 'subnet');
      for (const p of this.pools.values()) {
        if (overlaps(p.subnet, subnet)) {
          throw new ConflictError(`invalid pool request: Pool overlaps with other one on this address space (${formatCidr(subnet)} overlaps ${p.st.subnet})`);
        }
      }
    } else {
      if (req.ipRange || req.gateway) throw new InvalidArgumentError('ip-range and gateway need a subnet');
      subnet = this.pick();
    }
    let range = subnet;
    if (req.ipRange) {
      range = parseCidr(req.ipRange, 'ip-range');
      if (!contains(subnet, range.base) || !contains(subnet, lastOf(range))) {
        throw new InvalidArgumentError(`ip-range ${req.ipRange} is not within subnet ${formatCidr(subnet)}`);
      }
    }
    const gw = req.gateway ? parseIPv4(req.gateway, 'gateway') : subnet.base + 1;
    if (!contains(subnet, gw) || (subnet.prefix < 31 && (gw === subnet.base || gw === lastOf(subnet)))) {
      throw new InvalidArgumentError(`gateway ${formatIPv4(gw)} is not a usable address of subnet ${formatCidr(subnet)}`);
    }
    const st: PoolState = {
      networkId, subnet: formatCidr(subnet), gateway: formatIPv4(gw),
      ...(req.ipRange ? { ipRange: formatCidr(range) } : {}),
      allocated: [formatIPv4(gw)], cursor: gw,
    };
    this.pools.set(networkId, live(st));
    await this.writer.save();
    return this.poolOf(networkId)!;
  }

  /** See Ipam.releasePool. */
  async releasePool(networkId: string): Promise<void> {
    if (!this.pools.delete(networkId)) return;
    await this.writer.save();
  }

  /** See Ipam.requestAddress. */
  async requestAddress(networkId: string, preferred?: string): Promise<string> {
    const p = this.pools.get(networkId);
    if (!p) throw new NotFoundError(`no address pool for network ${networkId}`);
    let ip: number;
    if (preferred) {
      ip = parseIPv4(preferred, 'ipv4Address');
      if (!contains(p.subnet, ip) || ip === p.subnet.base || ip === lastOf(p.subnet)) {
        throw new InvalidArgumentError(`invalid address ${preferred}: it does not belong to subnet ${p.st.subnet}`);
      }
      if (p.used.has(ip)) throw new ConflictError(`Address already in use: ${preferred}`);
    } else {
      ip = this.next(p);
    }
    p.used.add(ip);
    p.st.allocated.push(formatIPv4(ip));
    if (!preferred) p.st.cursor = ip;
    this.dirty();
    return formatIPv4(ip);
  }

  /** See Ipam.claim. */
  claim(networkId: string, address: string): void {
    const p = this.pools.get(networkId);
    if (!p) return;
    const ip = parseIPv4(address.split('/')[0], 'address');
    if (p.used.has(ip)) return;
    p.used.add(ip);
    p.st.allocated.push(formatIPv4(ip));
    this.dirty();
  }

  /** See Ipam.flush. */
  async flush(): Promise<void> {
    if (this.pending) await this.pending;
  }

  /** Schedules a (coalesced) write; flush() waits for it. */
  private dirty(): void {
    const w = this.writer.save();
    this.pending = w;
    w.then(() => { if (this.pending === w) this.pending = undefined; }, () => undefined);
  }

  /** See Ipam.releaseAddress. */
  async releaseAddress(networkId: string, address: string): Promise<void> {
    const p = this.pools.get(networkId);
    if (!p) return;
    const ip = parseIPv4(address.split('/')[0], 'address');
    if (ip === parseIPv4(p.st.gateway) || !p.used.delete(ip)) return;
    p.st.allocated = p.st.allocated.filter((a) => a !== formatIPv4(ip));
    this.dirty();
  }

  private next(p: LivePool): number {
    const lo = Math.max(p.range.base, p.subnet.base + 1);
    const hi = Math.min(lastOf(p.range), lastOf(p.subnet) - 1);
    const span = hi - lo + 1;
    if (span <= 0) throw new UnavailableError(`no addresses available in ${p.st.ipRange ?? p.st.subnet}`);
    const startFrom = p.st.cursor >= lo && p.st.cursor <= hi ? p.st.cursor - lo + 1 : 0;
    for (let i = 0; i < span; i++) {
      const ip = lo + ((startFrom + i) % span);
      if (!p.used.has(ip)) return ip;
    }
    throw new UnavailableError(`no addresses available in network ${p.st.networkId} (${p.st.ipRange ?? p.st.subnet} is full)`);
  }

  private pick(): Cidr {
    const taken = [...this.pools.values()].map((p) => p.subnet);
    const host = this.o.hostNetworks?.() ?? [];
    for (const d of this.defaults) {
      const step = 2 ** (32 - d.size);
      for (let base = d.base.base; base <= lastOf(d.base); base += step) {
        const c = { base: base >>> 0, prefix: d.size };
        if (taken.some((t) => overlaps(t, c)) || host.some((h) => overlaps(h, c))) continue;
        return c;
      }
    }
    throw new UnavailableError('could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network');
  }

  private snapshot(): IpamFile {
    return { version: 1, pools: [...this.pools.values()].map((p) => p.st) };
  }
}

function live(st: PoolState): LivePool {
  const subnet = parseCidr(st.subnet);
  return {
    st, subnet,
    range: st.ipRange ? parseCidr(st.ipRange) : subnet,
    used: new Set(st.allocated.map((a) => parseIPv4(a))),
  };
}
