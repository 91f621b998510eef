/**
 * What the embedded DNS of one container may answer itself, computed from
 * the network records: names on the container's user-defined networks
 * (Docker's scoping — the default bridge has no name resolution).
 */
import type { NetworkRecords } from '../network-records';

/**
 * Addresses `name` (lower case, no trailing dot) has for container
 * `containerId`: on each of its user-defined networks, every container's
 * name, `<name>.<network>`, aliases, full and 12-character id. Null when
 * nothing matches (the query is forwarded).
 */
export function lookupName(records: NetworkRecords, containerId: string, name: string): string[] | null {
  const me = records.attachments.get(containerId);
  if (!me) return null;
  const ips: string[] = [];
  for (const mine of me.endpoints) {
    const net = records.networks.get(mine.networkId);
    if (!net || net.builtin) continue;
    for (const { att, ep } of records.endpointsOn(net.id)) {
      const cname = att.containerName.replace(/^\//, '').toLowerCase();
      const names = [cname, `${cname}.${net.name.toLowerCase()}`, ...ep.aliases.map((a) => a.toLowerCase())];
      const idMatch = (name.length === 12 || name.length === 64) && att.containerId.startsWith(name);
      if (idMatch || names.includes(name)) {
        const ip = ep.info.ipv4Address.split('/')[0];
        if (!ips.includes(ip)) ips.push(ip);
      }
    }
  }
  return ips.length ? ips : null;
}

/** `<name>.<network>` of the container holding `ip` on one of `containerId`'s user-defined networks, or null. */
export function lookupAddress(records: NetworkRecords, containerId: string, ip: string): string | null {
  const me = records.attachments.get(containerId);
  if (!me) return null;
  for (const mine of me.endpoints) {
    const net = records.networks.get(mine.networkId);
    if (!net || net.builtin) continue;
    for (const { att, ep } of records.endpointsOn(net.id)) {
      if (ep.info.ipv4Address.split('/')[0] === ip) return `${att.containerName.replace(/^\//, '')}.${net.name}`;
    }
  }
  return null;
}
