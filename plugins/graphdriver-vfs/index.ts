import { definePlugin, type GraphDriverFactory } from '../../core';
import { VfsDriver } from './vfs-driver';

/** graphdriver.vfs: plain full copies; works everywhere, the fallback (priority 100). */
export default definePlugin({
  kind: 'graphdriver',
  id: 'vfs',
  version: '1.0.0',
  apiVersion: '^1.0.0',
  description: 'Layers as full directory copies (works on any filesystem)',
  optionsSchema: { type: 'object', additionalProperties: false, properties: {} },
  init(ctx) {
    const factory: GraphDriverFactory = {
      name: 'vfs',
      priority: 100,
      create: (home, options) => VfsDriver.open(home, options),
    };
    ctx.provide('graphdriver:vfs', factory);
  },
});
