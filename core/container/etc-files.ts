/**
 * /etc/hosts and /etc/resolv.conf for containers that the network service
 * does not set up (network mode `none`, or `host`, or no network service in
 * an embedded engine), with Docker's contents.
 */
import { readFileSync } from 'node:fs';

/** Docker's /etc/hosts for a container on no network: the loopback entries, then `--add-host` ones. */
export function defaultHosts(extraHosts: readonly string[] = []): string {
  const lines = [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'ff00::0\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
  ];
  for (const h of extraHosts) {
    const i = h.indexOf(':');
    if (i > 0) lines.push(`${h.slice(i + 1)}\t${h.slice(0, i)}`);
  }
  return lines.join('\n') + '\n';
}

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
