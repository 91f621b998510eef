/**
 * registry.distribution — berth's distribution client (Docker Registry HTTP
 * API v2 / OCI distribution): provides `registry:client` and the image.pull,
 * image.push and image.search jobs. See docs/registry.md.
 */
import { definePlugin } from '../../core';
import { Distribution } from './distribution';
import { defaults, optionsSchema, type RegistryOptions } from './options';
import { DistributionClient } from './registry-client';
import { registerRegistryJobs } from './registry-jobs';

/** One Distribution per init (several kernels may live in one process, as in tests). */
const live = new Set<Distribution>();

export default definePlugin<RegistryOptions>({
  kind: 'registry',
  id: 'distribution',
  version: '0.1.0',
  apiVersion: '^1.0.0',
  description: 'Pull and push against OCI / Docker registries (HTTP API v2), atomic and resumable',
  optionsSchema,
  defaults,
  init(ctx) {
    const c = ctx.config;
    const dist = new Distribution({
      insecureRegistries: c['insecure-registries'] ?? [],
      mirrors: c['registry-mirrors'] ?? [],
      certsDir: ctx.options.certsDir,
      dockerConfig: ctx.options.dockerConfig,
      maxConcurrentDownloads: c['max-concurrent-downloads'] ?? 3,
      maxConcurrentUploads: c['max-concurrent-uploads'] ?? 5,
      chunkSize: ctx.options.chunkSize,
      loopbackInsecure: ctx.options.loopbackInsecure,
    });
    live.add(dist);
    const client = new DistributionClient(dist, ctx);
    ctx.provide('registry:client', client);
    registerRegistryJobs(ctx.engine, client, ctx.uri);
  },
  close() {
    for (const d of live) d.close();
    live.clear();
  },
});
