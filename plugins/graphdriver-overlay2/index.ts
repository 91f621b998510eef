import { definePlugin, type GraphDriverFactory } from '../../core';
import { Overlay2Driver } from './overlay2-driver';

/** graphdriver.overlay2: overlayfs layers; preferred where the kernel has overlay (priority 10). */
export default definePlugin({
  kind: 'graphdriver',
  id: 'overlay2',
  version: '1.0.0',
  apiVersion: '^1.0.0',
  description: 'Layers stacked with overlayfs (Docker overlay2 layout)',
  optionsSchema: { type: 'object', additionalProperties: false, properties: {} },
  init(ctx) {
    const factory: GraphDriverFactory = {
      name: 'overlay2',
      priority: 10,
      create: (home, options) => Overlay2Driver.open(home, options),
    };
    ctx.provide('graphdriver:overlay2', factory);
  },
});
