/**
 * registry.distribution — berth's distribution client (Docker Registry HTTP
 * API v2 / OCI distribution): provides `registry:client` and the image.pull,
 * image.push and image.search jobs. See docs/registry.md.
 */
import { definePlugin } from '../../core';
import { defaults, optionsSchema, type RegistryOptions } from './options';
import { closeRegistryPlugin, initRegistryPlugin } from './plugin-init';

export default definePlugin<RegistryOptions>({
  kind: 'registry',
  id: 'distribution',
  version: '0.1.0',
  apiVersion: '^1.0.0',
  description: 'Pull and push against OCI / Docker registries (HTTP API v2), atomic and resumable',
  optionsSchema,
  defaults,
  init: initRegistryPlugin,
  close: closeRegistryPlugin,
});
