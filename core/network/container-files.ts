/**
 * The /etc/hosts and /etc/resolv.conf a container gets, as Docker writes
 * them: hosts with localhost, the IPv6 names, the container's own address and
 * hostname, and `--add-host` entries; resolv.conf pointing at the embedded DNS
 * (127.0.0.11) on user-defined networks, else the host's resolvers without
 * loopback ones (unreachable from a container), or `--dns`.
 */
import { InvalidArgumentError } from '../errors';

/** Parsed host resolv.conf: nameservers, search domains, options. */
export interface ResolvConf { nameservers: string[]; search: string[]; options: string[] }

/** Parses resolv.conf text (unknown lines ignored). */
export function parseResolvConf(text: string): ResolvConf {
  const r: ResolvConf = { nameservers: [], search: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver' && rest[0]) r.nameservers.push(rest[0]);
    else if ((key === 'search' || key === 'domain') && rest.length) r.search = rest;
    else if (key === 'options') r.options.push(...rest);
  }
  return r;
}

/** The hosts file text. `extraHosts` are Docker's `host:ip` strings. */
export function hostsFile(hostname: string, addresses: string[], extraHosts: string[] = []): string {
  const lines = [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'ff00::0\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
  ];
  for (const e of extraHosts) {
    const i = e.indexOf(':');
    if (i <= 0 || i === e.length - 1) throw new InvalidArgumentError(`invalid extra host ${JSON.stringify(e)}: expected host:ip`);
    lines.push(`${e.slice(i + 1)}\t${e.slice(0, i)}`);
  }
  for (const a of addresses) lines.push(`${a}\t${hostname}`);
  return lines.join('\n') + '\n';
}

function isLoopback(ns: string): boolean {
  return ns.startsWith('127.') || ns === '::1';
}

/**
 * resolv.conf for a container. With `embedded`, the embedded DNS answers at
 * 127.0.0.11 and forwards the rest; otherwise `dns` (or the host's
 * non-loopback nameservers).
 */
export function resolvConf(host: ResolvConf, opts: { embedded: boolean; dns?: string[]; search?: string[]; options?: string[] }): string {
  const lines: string[] = [];
  // `--dns-search` / `--dns-option` replace the host's lists; a search list of just "." means none (Docker's rule).
  // The order is dockerd's (libnetwork resolvconf.Build): search, nameservers, options.
  const search = opts.search?.length ? opts.search : host.search;
  if (search.length && search.join(' ').trim() !== '.') lines.push(`search ${search.join(' ')}`);
  if (opts.embedded) {
    lines.push('nameserver 127.0.0.11');
  } else {
    const servers = opts.dns && opts.dns.length > 0 ? opts.dns : host.nameservers.filter((n) => !isLoopback(n));
    for (const s of servers) lines.push(`nameserver ${s.split(':')[0]}`);
  }
  const given = opts.options?.length ? opts.options : host.options;
  // the embedded server answers only single-label names itself: ndots:0 unless the user chose ndots
  const options = opts.embedded && !opts.options?.some((o) => o.startsWith('ndots:'))
    ? ['ndots:0', ...given.filter((o) => !o.startsWith('ndots'))] : given;
  if (options.length) lines.push(`options ${options.join(' ')}`);
  return lines.join('\n') + '\n';
}
