/**
 * The default bridge network's request, from daemon.json: `bip` (the
 * bridge's own address/prefix → gateway and subnet), `fixed-cidr` (the
 * allocation range; the subnet too when there is no bip), else nothing (IPAM
 * picks Docker's 172.17.0.0/16 or the next free pool), and Docker's options.
 */
import type { DaemonConfig } from '../config/daemon-config';
import { InvalidArgumentError } from '../errors';
import type { PoolRequest } from './ipam/ipam';
import { formatCidr, formatIPv4, parseCidr } from './ipam/ipv4';

export const OPT_DEFAULT_BRIDGE = 'com.docker.network.bridge.default_bridge';

/** Pool request and driver options of the default network; InvalidArgumentError naming `bip`/`fixed-cidr` when malformed. */
export function defaultNetworkRequest(c: Readonly<Partial<DaemonConfig>>): { pool: PoolRequest; options: Record<string, string> } {
  const pool: PoolRequest = {};
  if (c.bip) {
    const cidr = parseCidr(c.bip, 'bip', false);
    pool.subnet = formatCidr(cidr);
    pool.gateway = c.bip.split('/')[0];
    if (pool.gateway === formatIPv4(cidr.base)) {
      throw new InvalidArgumentError(`bip ${c.bip}: give the bridge's own address (e.g. ${formatIPv4(cidr.base + 1)}/${cidr.prefix}), not the network address`);
    }
  }
  if (c['fixed-cidr']) {
    pool.ipRange = formatCidr(parseCidr(c['fixed-cidr'], 'fixed-cidr', false));
    pool.subnet ??= pool.ipRange;
  }
  const options: Record<string, string> = {
    [OPT_DEFAULT_BRIDGE]: 'true',
    'com.docker.network.bridge.enable_icc': String(c.icc !== false),
    'com.docker.network.bridge.enable_ip_masquerade': 'true',
    'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
    'com.docker.network.driver.mtu': String(c.mtu || 1500),
  };
  if (c.bridge) options['com.docker.network.bridge.name'] = c.bridge;
  return { pool, options };
}
