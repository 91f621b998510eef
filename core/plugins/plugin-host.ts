/**
 * The plugin host: loads built-in and third-party plugins, checks their API
 * version, validates their options (ajv, defaults applied), orders init by
 * `requires`, gives each plugin its own awilix scope, and records a plugin
 * whose init fails with its error while the daemon keeps booting — unless the
 * config marks it required.
 *
 * Startup errors (thrown from `load`): a module that cannot be found or is not
 * a manifest, a wrong API version, a duplicate URI, a dependency cycle, bad
 * options (naming the plugin and the option).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
// awilix's "./browser" entry: the same container without its module loader
// (awilix/lib/list-modules pulls in fast-glob, micromatch, picomatch, braces
// and @nodelib: ~75 modules berthd never runs, ~1 MiB of heap).
import type * as Awilix from 'awilix';
import type { AwilixContainer } from 'awilix';
import type { Logger } from 'pino';
import type { DaemonConfig } from '../config/daemon-config';
import { formatAjvError } from '../config/load-config';
import { compileSchema, type SchemaOptions } from '../validation/compile-schema';
import type { Engine } from '../engine/engine';
import type { PluginStatus } from '../engine/job-map';
import { InvalidArgumentError, NotFoundError, AlreadyExistsError, FailedPreconditionError } from '../errors';
import type { Hooks } from '../hooks/hooks';
import type { PluginRegistry } from '../daemon/kernel';
import { BUILTIN_PLUGINS } from './builtin';
import { loadManifest, resolvePluginModule } from './load-module';
import type { PluginContext, PluginManifest } from './manifest';
import { orderPlugins } from './plugin-order';

/** Where a plugin came from and how the config asked for it. */
export interface PluginSource {
  /** Module reference as written (`plugins/graphdriver-vfs`, `./my-plugin`, `berth-zfs`). */
  ref: string;
  builtin: boolean;
  options?: Record<string, unknown>;
  required?: boolean;
}

interface LoadedPlugin {
  uri: string;
  kind: string;
  requires: readonly string[];
  manifest: PluginManifest;
  source: PluginSource;
  file: string;
  status: PluginStatus;
  options: Record<string, unknown>;
  closers: Array<() => Promise<void> | void>;
}

export interface PluginHostOptions {
  config: Readonly<DaemonConfig>;
  log: Logger;
  engine: Engine;
  hooks: Hooks;
  /** Directory relative plugin paths in the config are resolved from (the config file's). */
  configDir?: string;
  /** Package root the built-in plugin paths are relative to (the compiled dist/). */
  builtinRoot?: string;
  /** Overrides the built-in list (the embedded engine passes only what it wants). */
  builtins?: readonly string[];
  /** Milliseconds one init may take before it is recorded as failed. */
  initTimeoutMs?: number;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { asValue, createContainer } = require('awilix/browser') as typeof Awilix;

/** The options a plugin's options schema is compiled with (every error; `default`s filled in). */
export const PLUGIN_OPTIONS_SCHEMA_OPTIONS: SchemaOptions = { allErrors: true, useDefaults: true };

/** The compiled package root: dist/ (this file is dist/core/plugins/plugin-host.js). */
function defaultBuiltinRoot(): string {
  return path.resolve(__dirname, '..', '..');
}

export class PluginHost implements PluginRegistry {
  private readonly root: AwilixContainer = createContainer({ strict: true });
  private readonly providers = new Map<string, { scope: AwilixContainer; uri: string }>();
  private plugins: LoadedPlugin[] = [];
  private initialised: LoadedPlugin[] = [];

  constructor(private readonly opts: PluginHostOptions) {}

  /** The plugin sources the config asks for: built-ins minus `disable-plugins`, then `plugins`. */
  sources(): PluginSource[] {
    const cfg = this.opts.config;
    const disabled = new Set(cfg['disable-plugins']);
    const builtins = (this.opts.builtins ?? BUILTIN_PLUGINS)
      .filter((ref) => !disabled.has(ref) && !disabled.has(path.basename(ref)))
      .map((ref): PluginSource => ({ ref, builtin: true }));
    const third = cfg.plugins.map((p): PluginSource => (typeof p === 'string'
      ? { ref: p, builtin: false }
      : { ref: p.module, builtin: false, options: p.options, required: p.required }));
    return [...builtins, ...third];
  }

  /** Loads every plugin module and validates manifests and options; throws on startup errors. */
  load(): void {
    const cfg = this.opts.config;
    const seen = new Map<string, string>();
    const loaded: LoadedPlugin[] = [];
    for (const source of this.sources()) {
      const file = source.builtin
        ? path.join(this.opts.builtinRoot ?? defaultBuiltinRoot(), source.ref)
        : resolvePluginModule(source.ref, this.opts.configDir ?? process.cwd());
      let entry = file;
      if (source.builtin) {
        try {
          entry = require.resolve(file);
        } catch {
          throw new InvalidArgumentError(`built-in plugin ${source.ref} is missing (${file}): run \`npm run build\``);
        }
      }
      const manifest = loadManifest(entry, source.ref);
      const uri = `${manifest.kind}.${manifest.id}`;
      if (cfg['disable-plugins'].includes(uri)) continue;
      const prev = seen.get(uri);
      if (prev !== undefined) {
        throw new InvalidArgumentError(`duplicate plugin ${uri}: provided by both ${prev} and ${source.ref}`);
      }
      seen.set(uri, source.ref);
      const options = this.validateOptions(uri, manifest, source.options ?? cfg['plugin-options'][uri] ?? {});
      loaded.push({
        uri, kind: manifest.kind, requires: manifest.requires ?? [], manifest, source, file, options, closers: [],
        status: {
          uri, kind: manifest.kind, id: manifest.id, version: manifest.version,
          apiVersion: manifest.apiVersion, source: source.builtin ? 'builtin' : file, status: 'disabled',
        },
      });
    }
    this.plugins = orderPlugins(loaded);
  }

  private validateOptions(uri: string, m: PluginManifest, given: Record<string, unknown>): Record<string, unknown> {
    const options = structuredClone({ ...(m.defaults ?? {}), ...given }) as Record<string, unknown>;
    if (m.optionsSchema) {
      let validate;
      try {
        validate = compileSchema(m.optionsSchema, PLUGIN_OPTIONS_SCHEMA_OPTIONS);
      } catch (err) {
        throw new InvalidArgumentError(`plugin ${uri}: invalid options schema: ${(err as Error).message}`);
      }
      if (!validate(options)) {
        const lines = (validate.errors ?? []).map((e) => `plugin ${uri}: option ${formatAjvError(e)}`);
        throw new InvalidArgumentError(lines.join('\n'));
      }
    }
    return Object.freeze(options);
  }

  /**
   * Initialises the loaded plugins in dependency order. A plugin whose
   * requirements failed is failed too. Failures are recorded; a required
   * plugin's failure is thrown as FailedPreconditionError.
   */
  async init(): Promise<void> {
    const cfg = this.opts.config;
    const failed = new Set<string>();
    for (const p of this.plugins) {
      const missing = p.requires.filter((r) => {
        const exact = this.plugins.find((q) => q.uri === r);
        if (exact) return failed.has(exact.uri);
        const ofKind = this.plugins.filter((q) => q.kind === r);
        return ofKind.length === 0 || ofKind.every((q) => failed.has(q.uri));
      });
      const t0 = process.hrtime.bigint();
      try {
        if (missing.length > 0) throw new FailedPreconditionError(`requires ${missing.join(', ')}, which did not load`);
        await this.initOne(p, cfg);
        p.status.status = 'ok';
        this.initialised.push(p);
      } catch (err) {
        failed.add(p.uri);
        p.status.status = 'failed';
        p.status.error = (err as Error).message;
        this.opts.log.warn({ plugin: p.uri, err: (err as Error).message }, `plugin ${p.uri} failed to initialise`);
        if (p.source.required) {
          throw new FailedPreconditionError(`required plugin ${p.uri} failed to initialise: ${(err as Error).message}`, { cause: err });
        }
      } finally {
        p.status.initMs = Number(process.hrtime.bigint() - t0) / 1e6;
      }
    }
  }

  private async initOne(p: LoadedPlugin, cfg: Readonly<DaemonConfig>): Promise<void> {
    const scope = this.root.createScope();
    const stateDir = path.join(cfg['data-root'], 'plugins', p.uri);
    fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const ctx: PluginContext = {
      uri: p.uri,
      options: p.options,
      config: cfg,
      dataRoot: cfg['data-root'],
      stateDir,
      log: this.opts.log.child({ plugin: p.uri }),
      hooks: this.opts.hooks,
      engine: this.opts.engine,
      provide: (name, value) => this.provide(name, value, p.uri, scope),
      resolve: <T>(name: string) => this.resolve<T>(name),
      has: (name) => this.has(name),
      onClose: (fn) => { p.closers.push(fn); },
    };
    const timeout = this.opts.initTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.resolve(p.manifest.init(ctx)),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new FailedPreconditionError(`init did not finish within ${timeout} ms`)), timeout);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Registers a value under a global name; the kernel uses this for its own services too. */
  provide(name: string, value: unknown, owner = 'kernel', scope?: AwilixContainer): void {
    const prev = this.providers.get(name);
    if (prev) throw new AlreadyExistsError(`${name} is already provided by ${prev.uri}; ${owner} cannot provide it again`);
    const s = scope ?? this.root;
    s.register(name, asValue(value));
    this.providers.set(name, { scope: s, uri: owner });
  }

  resolve<T>(name: string): T {
    const p = this.providers.get(name);
    if (!p) {
      const kind = name.split(':')[0];
      const same = this.names(`${kind}:`);
      throw new NotFoundError(`nothing provides ${name}${same.length ? ` (available: ${same.join(', ')})` : ''}`);
    }
    return p.scope.resolve<T>(name);
  }

  has(name: string): boolean {
    return this.providers.has(name);
  }

  names(prefix = ''): string[] {
    return [...this.providers.keys()].filter((n) => n.startsWith(prefix)).sort();
  }

  list(): PluginStatus[] {
    return this.plugins.map((p) => ({ ...p.status }));
  }

  /** Closes initialised plugins in reverse init order; errors are logged, not thrown. */
  async close(): Promise<void> {
    for (const p of [...this.initialised].reverse()) {
      try {
        for (const fn of [...p.closers].reverse()) await fn();
        await p.manifest.close?.();
      } catch (err) {
        this.opts.log.warn({ plugin: p.uri, err: (err as Error).message }, `plugin ${p.uri} failed to close`);
      }
    }
    this.initialised = [];
    await this.root.dispose();
  }
}
