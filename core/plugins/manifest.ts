/**
 * The plugin contract: what a plugin module exports and what it gets.
 *
 * A plugin module's default export (or `module.exports.manifest`) is a
 * PluginManifest. The host checks `apiVersion` against PLUGIN_API_VERSION,
 * validates the options against `optionsSchema` (ajv, defaults applied from
 * `defaults`), orders `init` by `requires`, and calls `init(ctx)` once. A
 * plugin registers what it provides with `ctx.provide(name, value)` — by
 * convention `<kind>:<id>`, e.g. `graphdriver:overlay2` — taps hooks under
 * `ctx.uri`, and may register jobs of its own on `ctx.engine`.
 */
import type { Logger } from 'pino';
import type { Engine } from '../engine/engine';
import type { Hooks } from '../hooks/hooks';
import type { DaemonConfig } from '../config/daemon-config';

/** The plugin API version this kernel implements. Plugins declare a semver range of it. */
export const PLUGIN_API_VERSION = '1.0.0';

/** Plugin kinds, as versioned strings (containerd-style). */
export const PluginKinds = Object.freeze({
  graphdriver: 'graphdriver',
  networkdriver: 'networkdriver',
  execdriver: 'execdriver',
  logdriver: 'logdriver',
  volumedriver: 'volumedriver',
  registry: 'registry',
  authz: 'authz',
  generic: 'generic',
} as const);
export type PluginKind = keyof typeof PluginKinds;

/** A JSON Schema object (draft 2020-12 subset understood by ajv). */
export type JSONSchema = Record<string, unknown>;

export interface PluginContext<Opts = Record<string, unknown>> {
  /** `<kind>.<id>`: keys the plugin's options, its log lines and its hook taps. */
  readonly uri: string;
  /** Options after validation and defaults; frozen. */
  readonly options: Readonly<Opts>;
  /** The effective daemon config; frozen. */
  readonly config: Readonly<DaemonConfig>;
  /** `<data-root>`; a plugin keeps its own state under `<data-root>/plugins/<uri>` (`stateDir`). */
  readonly dataRoot: string;
  /** A directory for this plugin's state, created before init. */
  readonly stateDir: string;
  /** A child logger with `{ plugin: uri }`. */
  readonly log: Logger;
  readonly hooks: Hooks;
  readonly engine: Engine;
  /** Registers something this plugin provides under a global name (`graphdriver:vfs`). */
  provide(name: string, value: unknown): void;
  /** Resolves something another plugin (or the kernel) provided; NotFoundError if none did. */
  resolve<T>(name: string): T;
  /** Whether anything is provided under this name. */
  has(name: string): boolean;
  /**
   * Registers a function to run when the kernel closes (reverse init order,
   * before the manifest's `close`). Prefer it to module-level state: one
   * process may run several kernels (tests, embedders).
   */
  onClose(fn: () => Promise<void> | void): void;
}

export interface PluginManifest<Opts = Record<string, unknown>> {
  kind: PluginKind;
  /** Unique within its kind: `overlay2`, `bridge`. */
  id: string;
  /** The plugin's own version (semver). */
  version: string;
  /** Semver range of PLUGIN_API_VERSION this plugin was written for: `^1.0.0`. */
  apiVersion: string;
  description?: string;
  /** URIs (`execdriver.native`) or kinds (`execdriver`) that must init first. */
  requires?: string[];
  /** JSON Schema of the options; unknown options are refused when it sets additionalProperties: false. */
  optionsSchema?: JSONSchema;
  defaults?: Partial<Opts>;
  /** Called once, in dependency order. Throwing marks the plugin failed. */
  init(ctx: PluginContext<Opts>): Promise<void> | void;
  /** Called on shutdown in reverse init order. */
  close?(): Promise<void> | void;
}

/** Typed identity helper for plugin authors: `export default definePlugin({...})`. */
export function definePlugin<Opts = Record<string, unknown>>(m: PluginManifest<Opts>): PluginManifest<Opts> {
  return m;
}
