/**
 * Builds the bridge driver and its sandbox provider from the plugin context:
 * what index.ts's init calls, kept apart so tests and the benchmark build the
 * same objects without a daemon.
 */
import * as path from 'node:path';
import type { DaemonConfig } from '../../core';
import { BridgeDriver } from './bridge-driver';
import { DisabledFirewall, IptablesFirewall, type Firewall } from './firewall';
import type { LinkOps } from './link-ops';
import { IpCommandLinkOps } from './link-ops-ip';
import { NetlinkLinkOps } from './link-ops-netlink';
import { NetnsSandboxes } from './netns-sandboxes';
import { bridgeDefaults, type BridgePluginOptions } from './options';
import { PortAllocator } from './port-allocator';

export interface BridgeParts {
  driver: BridgeDriver;
  sandboxes: NetnsSandboxes;
  firewall: Firewall;
  links: LinkOps;
}

/** The driver, sandboxes and firewall for this config (`iptables: false` → no firewall). */
export function createBridgeParts(
  config: Pick<DaemonConfig, 'exec-root' | 'iptables' | 'ip-forward' | 'icc' | 'mtu' | 'bridge'>,
  options: Partial<BridgePluginOptions>,
  stateDir: string,
  log?: { warn(msg: string): void },
): BridgeParts {
  const o = { ...bridgeDefaults, ...options };
  const links = pickLinkOps(o.linkBackend, log);
  const firewall: Firewall = config.iptables === false ? new DisabledFirewall() : new IptablesFirewall(o.chainPrefix);
  const driver = new BridgeDriver({
    links, firewall, ports: new PortAllocator(), stateDir,
    defaultBridge: config.bridge || o.defaultBridge,
    vethPrefix: o.vethPrefix,
    mtu: config.mtu || 1500,
    icc: config.icc !== false,
    ipForward: config['ip-forward'] !== false,
  });
  const sandboxes = new NetnsSandboxes(path.join(config['exec-root'], 'netns'), links);
  return { driver, sandboxes, firewall, links };
}

/** The asked backend; rtnetlink falls back to `ip` (with a warning) when the addon is not built. */
function pickLinkOps(backend: 'netlink' | 'ip', log?: { warn(msg: string): void }): LinkOps {
  if (backend === 'ip') return new IpCommandLinkOps();
  try {
    return new NetlinkLinkOps();
  } catch (err) {
    log?.warn(`rtnetlink backend unavailable (${(err as Error).message}); forking ip per step instead`);
    return new IpCommandLinkOps();
  }
}
