/**
 * networkdriver.bridge: Linux bridges, veth pairs, iptables NAT and port
 * publishing. Provides `networkdriver:bridge` (NetworkDriver) and
 * `network:sandboxes` (SandboxProvider). See docs/networking.md.
 */
import { definePlugin } from '../../core';
import { createBridgeParts } from './create-bridge';
import { bridgeDefaults, bridgeOptionsSchema, type BridgePluginOptions } from './options';

export default definePlugin<BridgePluginOptions>({
  kind: 'networkdriver',
  id: 'bridge',
  version: '0.1.0',
  apiVersion: '^1.0.0',
  description: 'Linux bridge networking with veth pairs, IPAM-assigned addresses, iptables NAT and published ports',
  optionsSchema: bridgeOptionsSchema,
  defaults: bridgeDefaults,
  init(ctx) {
    const { driver, sandboxes } = createBridgeParts(ctx.config, ctx.options, ctx.stateDir, { warn: (m) => ctx.log.warn(m) });
    ctx.provide('networkdriver:bridge', driver);
    ctx.provide('network:sandboxes', sandboxes);
  },
});
