/**
 * /etc/resolv.conf for containers that the network service does not set up
 * (network mode `none`, or `host`, or no network service in an embedded
 * engine), with Docker's contents; their /etc/hosts comes from the network
 * domain's hostsFile (core/network/container-files.ts), the one generator.
 */
import { readFileSync } from 'node:fs';

/**
 * The host's resolv.conf with loopback nameservers removed (they mean nothing
 * in another network namespace), as Docker's FilterResolvDNS; `dns` and
 * `search`/`options` from the container's HostConfig replace the host's, and
 * then the file is written in dockerd's order (resolvconf.Build: search,
 * nameservers, options) instead of the host's.
 */
export function containerResolvConf(hostText: string, dns: readonly string[] = [], search: readonly string[] = [], options: readonly string[] = []): string {
  if (dns.length > 0 || search.length > 0 || options.length > 0) return builtResolvConf(hostText, dns, search, options);
  const keep: string[] = [];
  for (const line of hostText.split('\n')) {
    const t = line.trim();
    if (t === '' || t.startsWith('#') || t.startsWith(';')) continue;
    const [key, value = ''] = t.split(/\s+/, 2);
    if (key === 'nameserver' && /^(127\.|::1$|0:0:0:0:0:0:0:1$)/.test(value)) continue;
    keep.push(t);
  }
  return keep.join('\n') + '\n';
}

/** dockerd's resolvconf.Build with the host's lists where the container gives none (its loopback nameservers left out). */
function builtResolvConf(hostText: string, dns: readonly string[], search: readonly string[], options: readonly string[]): string {
  const host = { nameserver: [] as string[], search: [] as string[], options: [] as string[] };
  for (const line of hostText.split('\n')) {
    const [key, ...rest] = line.trim().split(/\s+/);
    if (key === 'nameserver' && rest[0] && !/^(127\.|::1$|0:0:0:0:0:0:0:1$)/.test(rest[0])) host.nameserver.push(rest[0]);
    else if (key === 'search' || key === 'domain') host.search = rest;
    else if (key === 'options') host.options = rest;
  }
  const lines: string[] = [];
  const s = search.length > 0 ? search : host.search;
  if (s.length > 0 && s.join(' ').trim() !== '.') lines.push(`search ${s.join(' ')}`);
  for (const d of dns.length > 0 ? dns : host.nameserver) lines.push(`nameserver ${d}`);
  const o = options.length > 0 ? options : host.options;
  if (o.length > 0) lines.push(`options ${o.join(' ')}`);
  return lines.join('\n') + '\n';
}

/** Reads a host file, '' when it is absent. */
export function readHostFile(p: string): string {
  try { return readFileSync(p, 'utf8'); } catch { return ''; }
}
