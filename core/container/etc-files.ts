/**
 * /etc/resolv.conf for containers that the network service does not set up
 * (network mode `none`, or `host`, or no network service in an embedded
 * engine), with Docker's contents; their /etc/hosts comes from the network
 * domain's hostsFile (core/network/container-files.ts), the one generator.
 */
import { readFileSync } from 'node:fs';
import { parseResolvConf, resolvConf } from '../network/container-files';

/**
 * The host's resolv.conf with loopback nameservers removed (they mean nothing
 * in another network namespace), as Docker's FilterResolvDNS; `dns` and
 * `search`/`options` from the container's HostConfig replace the host's, and
 * then the file is written in dockerd's order (resolvconf.Build: search,
 * nameservers, options) instead of the host's.
 */
export function containerResolvConf(hostText: string, dns: readonly string[] = [], search: readonly string[] = [], options: readonly string[] = []): string {
  if (dns.length > 0 || search.length > 0 || options.length > 0) {
    return resolvConf(parseResolvConf(hostText), { embedded: false, dns: [...dns], search: [...search], options: [...options] });
  }
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

/** Reads a host file, '' when it is absent. */
export function readHostFile(p: string): string {
  try { return readFileSync(p, 'utf8'); } catch { return ''; }
}
