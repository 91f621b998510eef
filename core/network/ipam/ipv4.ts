/** IPv4 arithmetic for IPAM: addresses as unsigned 32-bit numbers, CIDRs as base + prefix. */
import { InvalidArgumentError } from '../../errors';

export interface Cidr { base: number; prefix: number }

/** Parses a dotted quad; InvalidArgumentError naming `what` when it is not one. */
export function parseIPv4(s: string, what = 'address'): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s.trim());
  if (!m) throw new InvalidArgumentError(`invalid IPv4 ${what}: ${JSON.stringify(s)}`);
  const b = m.slice(1).map(Number);
  if (b.some((x) => x > 255)) throw new InvalidArgumentError(`invalid IPv4 ${what}: ${JSON.stringify(s)}`);
  return ((b[0] << 24) >>> 0) + (b[1] << 16) + (b[2] << 8) + b[3];
}

/** Formats a 32-bit number as a dotted quad. */
export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** Netmask of a prefix length as a number. */
export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/**
 * Parses `a.b.c.d/n`. With `strict`, host bits must be zero (Docker:
 * "invalid subnet … it should be …"); otherwise they are masked off.
 */
export function parseCidr(s: string, what = 'subnet', strict = true): Cidr {
  const [ip, p, extra] = s.trim().split('/');
  const prefix = Number(p);
  if (extra !== undefined || p === undefined || !/^\d{1,2}$/.test(p) || prefix > 32) {
    throw new InvalidArgumentError(`invalid ${what}: ${JSON.stringify(s)} is not in CIDR form (a.b.c.d/n)`);
  }
  const addr = parseIPv4(ip, what);
  const base = (addr & maskOf(prefix)) >>> 0;
  if (strict && base !== addr) {
    throw new InvalidArgumentError(`invalid ${what} ${s}: it should be ${formatIPv4(base)}/${prefix}`);
  }
  return { base, prefix };
}

/** `a.b.c.d/n` of a Cidr. */
export function formatCidr(c: Cidr): string {
  return `${formatIPv4(c.base)}/${c.prefix}`;
}

/** Last address of a CIDR (the broadcast address). */
export function lastOf(c: Cidr): number {
  return (c.base | (~maskOf(c.prefix) >>> 0)) >>> 0;
}

/** Whether two CIDRs share any address. */
export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.base <= lastOf(b) && b.base <= lastOf(a);
}

/** Whether `ip` lies within `c`. */
export function contains(c: Cidr, ip: number): boolean {
  return ip >= c.base && ip <= lastOf(c);
}
