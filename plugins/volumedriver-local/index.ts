import * as path from 'node:path';
import { definePlugin } from '../../core';
import { LocalVolumeDriver } from './local-driver';

/** volumedriver.local: Docker's local driver — directories under `<data-root>/volumes`, or tmpfs/bind mounts by option. */
export default definePlugin({
  kind: 'volumedriver',
  id: 'local',
  version: '1.0.0',
  apiVersion: '^1.0.0',
  description: 'Named volumes as directories under the data root (type/device/o options for tmpfs and binds)',
  optionsSchema: { type: 'object', additionalProperties: false, properties: {} },
  async init(ctx) {
    const driver = new LocalVolumeDriver(path.join(ctx.dataRoot, 'volumes'));
    await driver.cleanupLeftovers();
    ctx.provide('volumedriver:local', driver);
    ctx.onClose(() => driver.close());
  },
});
