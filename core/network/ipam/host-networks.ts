/**
 * The IPv4 networks the host already uses (routes of the main table and
 * interface addresses), which the default pools must not overlap — like
 * Docker's check before it picks 172.17.0.0/16 for its bridge.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { formatIPv4, maskOf, type Cidr } from './ipv4';

/** Host routes (except the default route) and addresses, as CIDRs. */
export function hostNetworks(): Cidr[] {
  const out: Cidr[] = [];
  try {
    for (const line of readFileSync('/proc/net/route', 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 8) continue;
      const dst = leHex(f[1]);
      const mask = leHex(f[7]);
      const prefix = popcount(mask);
      if (prefix === 0) continue;
      out.push({ base: (dst & maskOf(prefix)) >>> 0, prefix });
    }
  } catch { /* no procfs: nothing known */ }
  try {
    const addrs = JSON.parse(execFileSync('ip', ['-j', '-4', 'addr', 'show'], { encoding: 'utf8' })) as Array<{ addr_info?: Array<{ local: string; prefixlen: number }> }>;
    for (const l of addrs) {
      for (const a of l.addr_info ?? []) {
        const parts = a.local.split('.').map(Number);
        const n = ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
        out.push({ base: (n & maskOf(a.prefixlen)) >>> 0, prefix: a.prefixlen });
      }
    }
  } catch { /* no ip: routes only */ }
  return out;
}

function leHex(h: string): number {
  const n = parseInt(h, 16) >>> 0;
  return (((n & 255) << 24) >>> 0) + (((n >>> 8) & 255) << 16) + (((n >>> 16) & 255) << 8) + (n >>> 24);
}

function popcount(n: number): number {
  let c = 0;
  for (let x = n >>> 0; x; x = (x & (x - 1)) >>> 0) c++;
  return c;
}

/** For log lines. */
export function describe(c: Cidr): string {
  return `${formatIPv4(c.base)}/${c.prefix}`;
}
