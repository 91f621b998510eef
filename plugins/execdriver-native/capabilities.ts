/**
 * Linux capabilities by name: the numbering of <linux/capability.h>, masks
 * for the shim, and what this host's bounding set allows (for --privileged).
 */
import * as fs from 'node:fs';
import { InvalidArgumentError } from '../../core';

/** Capability names in kernel order (index = capability number). */
export const CAPABILITY_NAMES: readonly string[] = Object.freeze([
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER',
  'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
]);

/** `chown`, `CHOWN`, `cap_chown` → `CAP_CHOWN`. */
export function normalizeCapability(name: string): string {
  const up = name.trim().toUpperCase();
  return up.startsWith('CAP_') ? up : `CAP_${up}`;
}

/** The 64-bit mask of a set of capability names; InvalidArgumentError naming an unknown one. */
export function capabilityMask(names: readonly string[]): bigint {
  let mask = 0n;
  for (const n of names) {
    const idx = CAPABILITY_NAMES.indexOf(normalizeCapability(n));
    if (idx < 0) throw new InvalidArgumentError(`unknown capability: ${n}`);
    mask |= 1n << BigInt(idx);
  }
  return mask;
}

/** Names of the capabilities in a mask (unknown high bits are dropped). */
export function capabilityNames(mask: bigint): string[] {
  return CAPABILITY_NAMES.filter((_, i) => (mask >> BigInt(i)) & 1n);
}

/** The bounding set of this process (`CapBnd` of /proc/self/status). */
export function hostBoundingSet(): bigint {
  const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? BigInt(`0x${m[1]}`) : (1n << BigInt(CAPABILITY_NAMES.length)) - 1n;
}

/**
 * Every capability --privileged can get here: all known ones the host's
 * bounding set allows. `missing` names the ones this host cannot give
 * (CAP_SYS_RESOURCE on the CI machine), so callers can say so instead of failing.
 */
export function privilegedCapabilities(): { capabilities: string[]; missing: string[] } {
  const bnd = hostBoundingSet();
  const all = (1n << BigInt(CAPABILITY_NAMES.length)) - 1n;
  return { capabilities: capabilityNames(all & bnd), missing: capabilityNames(all & ~bnd) };
}

/**
 * Docker's `--cap-add` / `--cap-drop` over a base set: drop first (`ALL`
 * empties the base), then add (`ALL` adds every known capability).
 */
export function applyCapabilityChanges(base: readonly string[], add: readonly string[] = [], drop: readonly string[] = []): string[] {
  const set = new Set(base.map(normalizeCapability));
  for (const d of drop) {
    if (d.toUpperCase() === 'ALL') set.clear();
    else { capabilityMask([d]); set.delete(normalizeCapability(d)); }
  }
  for (const a of add) {
    if (a.toUpperCase() === 'ALL') CAPABILITY_NAMES.forEach((n) => set.add(n));
    else { capabilityMask([a]); set.add(normalizeCapability(a)); }
  }
  return CAPABILITY_NAMES.filter((n) => set.has(n));
}
