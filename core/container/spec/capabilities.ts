/**
 * Capability sets: Docker's `--cap-add` / `--cap-drop` / `--privileged`
 * rules (moby `oci/caps.TweakCapabilities`), limited to what the host's
 * bounding set allows.
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from '../../errors';
import { ALL_CAPABILITIES, DEFAULT_CAPABILITIES } from './defaults';

/**
 * Canonical form of a capability name (`net_admin` → `CAP_NET_ADMIN`, `all`
 * → `ALL`). InvalidArgumentError `unknown capability: "X"` for names Linux
 * does not define.
 */
export function normaliseCapability(name: string): string {
  const up = name.trim().toUpperCase();
  if (up === 'ALL') return 'ALL';
  const full = up.startsWith('CAP_') ? up : `CAP_${up}`;
  if (!ALL_CAPABILITIES.includes(full)) throw new InvalidArgumentError(`unknown capability: "${name}"`);
  return full;
}

/** Parses a CapBnd hex mask into capability names. */
export function capabilitiesFromMask(hex: string): string[] {
  const mask = BigInt(`0x${hex.trim()}`);
  return ALL_CAPABILITIES.filter((_, i) => (mask >> BigInt(i)) & 1n);
}

let hostBounding: string[] | undefined;

/** The capabilities in this process's bounding set (`CapBnd` of /proc/self/status). */
export function hostBoundingSet(): string[] {
  if (!hostBounding) {
    const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    hostBounding = m ? capabilitiesFromMask(m[1]) : [...ALL_CAPABILITIES];
  }
  return hostBounding;
}

export interface CapabilityResult {
  capabilities: string[];
  /** Requested capabilities the host's bounding set lacks (left out, with a warning). */
  missing: string[];
}

/**
 * The exact capability set of a container. Privileged → every capability the
 * bounding set allows; `ALL` in adds → all but the drops; `ALL` in drops → only
 * the adds; otherwise defaults minus drops plus adds. Capabilities the host
 * cannot grant are reported in `missing` rather than failing the start.
 */
export function computeCapabilities(
  adds: readonly string[] | null | undefined,
  drops: readonly string[] | null | undefined,
  privileged: boolean,
  bounding: readonly string[] = hostBoundingSet(),
): CapabilityResult {
  const add = (adds ?? []).map(normaliseCapability);
  const drop = (drops ?? []).map(normaliseCapability);
  let caps: string[];
  if (privileged) caps = [...ALL_CAPABILITIES];
  else if (add.includes('ALL')) caps = ALL_CAPABILITIES.filter((c) => !drop.includes(c));
  else if (drop.includes('ALL')) caps = add.filter((c) => c !== 'ALL');
  else caps = [...DEFAULT_CAPABILITIES.filter((c) => !drop.includes(c)), ...add];
  const unique = [...new Set(caps)];
  const missing = unique.filter((c) => !bounding.includes(c));
  return {
    capabilities: unique.filter((c) => bounding.includes(c)),
    // a privileged container asks for everything; only explicit requests are worth a warning there too
    missing,
  };
}
