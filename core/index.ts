/**
 * berth's public API: what plugins (built-in and third-party) and embedders
 * import. Plugins import from here only, never from deeper paths.
 */
import 'reflect-metadata';

export * from './errors';
export * from './drivers';
export * from './engine/job';
export * from './engine/job-map';
export { Engine } from './engine/engine';
export type { JobHandler, RunOptions } from './engine/engine';
export * from './hooks/hooks';
export * from './hooks/events';
export * from './plugins/manifest';
export type { DaemonConfig, PluginRef } from './config/daemon-config';
export * from './util-public';
export { createEngine, type CreateEngineOptions, type EmbeddedEngine } from './embed/create-engine';
/** Image reference parsing shared by the graph and the registry plugin (one parser, Docker's rules). */
export { parseReference, familiarString, familiarName, referenceString, withDefaultTag, type Reference } from './image/reference';
