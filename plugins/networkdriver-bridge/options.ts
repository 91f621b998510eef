/** Options of the `networkdriver.bridge` plugin (`plugin-options["networkdriver.bridge"]` in daemon.json). */
import type { JSONSchema } from '../../core';

export interface BridgePluginOptions {
  /** `netlink` (berth_net addon, default) or `ip` (fork iproute2 per step). */
  linkBackend: 'netlink' | 'ip';
  /** Prefix of host-side veth names; ≤ 6 characters. */
  vethPrefix: string;
  /** Prefix of berth's iptables chains (`BERTH`, `BERTH-FORWARD`, ...). */
  chainPrefix: string;
  /** Name of the default bridge when daemon.json has no `bridge`. */
  defaultBridge: string;
}

export const bridgeOptionsSchema: JSONSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    linkBackend: { enum: ['netlink', 'ip'] },
    vethPrefix: { type: 'string', pattern: '^[a-z][a-z0-9]{1,5}$' },
    chainPrefix: { type: 'string', pattern: '^[A-Z][A-Z0-9_]{1,9}$' },
    defaultBridge: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,15}$' },
  },
};

export const bridgeDefaults: BridgePluginOptions = {
  linkBackend: 'netlink',
  vethPrefix: 'berthv',
  chainPrefix: 'BERTH',
  defaultBridge: 'berth0',
};
