/**
 * JobMap: the one place that says which jobs exist and what they take and
 * give. Dotted verb names (`container.create`). Plugins add their own jobs by
 * declaration merging:
 *
 *     declare module 'berth' {            // or the path of core/index
 *       interface JobMap { 'mydriver.gc': { input: {}; output: { freed: number } } }
 *     }
 *
 * Core jobs are added here as their domain lands.
 */
export interface JobMap {
  /** Lists loaded plugins (`berth plugins ls`). */
  'engine.plugins': { input: Record<string, never>; output: PluginStatus[] };
  /** A liveness check: returns `OK`. */
  'engine.ping': { input: Record<string, never>; output: 'OK' };
}

/** One loaded (or failed) plugin, as `berth plugins ls` shows it. */
export interface PluginStatus {
  uri: string;
  kind: string;
  id: string;
  version: string;
  apiVersion: string;
  source: string;
  status: 'ok' | 'failed' | 'disabled';
  error?: string;
  initMs?: number;
}

export type JobName = keyof JobMap;
export type JobInput<N extends JobName> = JobMap[N]['input'];
export type JobOutput<N extends JobName> = JobMap[N]['output'];
