/**
 * Turns the daemon config and the plugin options into a running client:
 * builds the Distribution, provides `registry:client`, registers the jobs.
 * Kept apart from index.ts (the manifest only), containerd-style.
 */
import type { PluginContext } from '../../core';
import { Distribution } from './distribution';
import type { RegistryOptions } from './options';
import { DistributionClient } from './registry-client';
import { registerRegistryJobs } from './registry-jobs';

/** One Distribution per init (several kernels may live in one process, as in tests). */
const live = new Set<Distribution>();

/** The plugin's init: see the file comment. */
export function initRegistryPlugin(ctx: PluginContext<RegistryOptions>): void {
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
}

/** The plugin's close: drops keep-alive sockets and cached tokens. */
export function closeRegistryPlugin(): void {
  for (const d of live) d.close();
  live.clear();
}
