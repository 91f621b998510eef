import { definePlugin, FailedPreconditionError, type VolumeDriver } from '../../core';
import { discover } from './discovery';
import { PluginClient } from './plugin-client';
import { RemoteVolumeDriver } from './remote-volume-driver';

interface Options { socketDirs: string[]; specDirs: string[]; timeoutMs: number }

/**
 * volumedriver.docker-plugins: makes out-of-process Docker volume plugins
 * usable with `--driver NAME`, discovered by socket or spec file and activated
 * with the Plugin.Activate handshake (provides `volume:plugins`).
 */
export default definePlugin<Options>({
  kind: 'volumedriver',
  id: 'docker-plugins',
  version: '1.0.0',
  apiVersion: '^1.0.0',
  description: "Docker's volume plugin protocol (out-of-process plugins by socket or spec file)",
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      socketDirs: { type: 'array', items: { type: 'string' } },
      specDirs: { type: 'array', items: { type: 'string' } },
      timeoutMs: { type: 'integer', minimum: 100 },
    },
  },
  defaults: { socketDirs: ['/run/docker/plugins'], specDirs: ['/etc/docker/plugins', '/usr/lib/docker/plugins'], timeoutMs: 30_000 },
  init(ctx) {
    const active = new Map<string, Promise<VolumeDriver>>();
    const activate = async (name: string): Promise<VolumeDriver> => {
      const client = new PluginClient(name, discover(name, ctx.options), ctx.options.timeoutMs);
      const implemented = await client.activate();
      if (!implemented.includes('VolumeDriver')) {
        throw new FailedPreconditionError(`plugin ${name} does not implement VolumeDriver (it implements: ${implemented.join(', ') || 'nothing'})`);
      }
      const driver = new RemoteVolumeDriver(client);
      await driver.init();
      ctx.log.info({ volumePlugin: name }, `activated volume plugin ${name}`);
      return driver;
    };
    ctx.provide('volume:plugins', {
      lookup(name: string): Promise<VolumeDriver> {
        let p = active.get(name);
        if (!p) {
          p = activate(name);
          active.set(name, p);
          p.catch(() => active.delete(name));
        }
        return p;
      },
    });
  },
});
