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
 * `search`/`options` from the container's HostConfig replace the host's.
 */
export function containerResolvConf(hostText: string, dns: readonly string[] = [], search: readonly string[] = [], options: readonly string[] = []): string {
  const keep: string[] = [];
  for (const line of hostText.split('\n')) {
    const t = line.trim();
    if (t === '' || t.startsWith('#') || t.startsWith(';')) continue;
    const [key, value = ''] = t.split(/\s+/, 2);
    if (key === 'nameserver') {
      if (dns.length > 0 || /^(127\.|::1$|0:0:0:0:0:0:0:1$)/.test(value)) continue;
    }
    if (key === 'search' && search.length > 0) continue;
    if (key === 'options' && options.length > 0) continue;
    keep.push(t);
  }
  for (const d of dns) keep.push(`nameserver ${d}`);
  if (search.length > 0) keep.push(`search ${search.join(' ')}`);
  if (options.length > 0) keep.push(`options ${options.join(' ')}`);
  return keep.join('\n') + '\n';
}

/** Reads a host file, '' when it is absent. */
export function readHostFile(p: string): string {
  try { return readFileSync(p, 'utf8'); } catch { return ''; }
}
