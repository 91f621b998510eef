/**
 * Docker's port bindings (`{"80/tcp": [{HostIp, HostPort}]}`, `-P` over the
 * image's ExposedPorts) turned into the driver's PortBinding list.
 */
import { InvalidArgumentError } from '../errors';
import type { PortBinding } from '../drivers/networkdriver';

/** `80`, `80/tcp`, `53/udp` → [port, proto]; InvalidArgumentError naming the key otherwise. */
export function parsePortKey(key: string): [number, 'tcp' | 'udp'] {
  const m = /^(\d{1,5})(?:\/(tcp|udp|sctp))?$/.exec(key.trim());
  const port = m ? Number(m[1]) : NaN;
  if (!m || port < 1 || port > 65535) throw new InvalidArgumentError(`invalid port specification: ${JSON.stringify(key)}`);
  if (m[2] === 'sctp') throw new InvalidArgumentError(`invalid port specification: ${key}: sctp is not supported`);
  return [port, (m[2] ?? 'tcp') as 'tcp' | 'udp'];
}

/** Normalised key (`80/tcp`). */
export function portKey(port: number, proto: string): string {
  return `${port}/${proto}`;
}

/**
 * The bindings to make: every explicit binding, and with `publishAll` a random
 * host port for each exposed port that has none. HostPort '' or '0' → 0 (random).
 */
export function toPortBindings(
  bindings: Record<string, Array<{ HostIp?: string; HostPort?: string }> | null | undefined>,
  publishAll: boolean,
  exposed: string[],
): PortBinding[] {
  const out: PortBinding[] = [];
  const seen = new Set<string>();
  for (const [key, list] of Object.entries(bindings ?? {})) {
    const [containerPort, protocol] = parsePortKey(key);
    seen.add(portKey(containerPort, protocol));
    for (const b of list ?? []) {
      const hp = (b.HostPort ?? '').trim();
      const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(hp);
      if (hp !== '' && !m) {
        throw new InvalidArgumentError(`invalid host port ${JSON.stringify(hp)} for ${key}: expected a port or a range (8000-8010)`);
      }
      const hostPort = m ? Number(m[1]) : 0;
      const hostPortEnd = m?.[2] !== undefined ? Number(m[2]) : undefined;
      if (hostPort > 65535 || (hostPortEnd !== undefined && (hostPortEnd > 65535 || hostPortEnd < hostPort || hostPort === 0))) {
        throw new InvalidArgumentError(`invalid host port ${hp} for ${key}`);
      }
      const hostIp = (b.HostIp ?? '').trim();
      if (hostIp.includes(':')) continue; // IPv6 host addresses: not supported yet (docs/networking.md)
      out.push({ containerPort, protocol, hostIp: hostIp || '0.0.0.0', hostPort, ...(hostPortEnd !== undefined && hostPortEnd !== hostPort ? { hostPortEnd } : {}) });
    }
  }
  if (publishAll) {
    for (const key of exposed) {
      const [containerPort, protocol] = parsePortKey(key);
      if (seen.has(portKey(containerPort, protocol))) continue;
      seen.add(portKey(containerPort, protocol));
      out.push({ containerPort, protocol, hostIp: '0.0.0.0', hostPort: 0 });
    }
  }
  return out;
}
