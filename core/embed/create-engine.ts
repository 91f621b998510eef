/**
 * The embedded engine: berth inside another Node process. The same kernel,
 * domains and job map as berthd, with only the built-in plugins the caller
 * lists, no API socket unless one is asked for, and a `stop()` that leaves
 * nothing running (no listener, no pid file, plugins closed).
 *
 *     const { createEngine } = require('berth');
 *     const e = await createEngine({ dataRoot, execRoot, plugins: ['graphdriver-vfs', 'logdriver-json'] });
 *     console.log(await e.run('system.version', {}));
 *     await e.stop();
 */
import 'reflect-metadata';
import * as path from 'node:path';
import pino, { type Logger } from 'pino';
import type { DaemonConfig } from '../config/daemon-config';
import { defaultConfig } from '../config/defaults';
import { validateConfigObject } from '../config/load-config';
import { createKernel } from '../daemon/create-kernel';
import type { Kernel } from '../daemon/kernel';
import type { Engine, RunOptions } from '../engine/engine';
import type { JobInput, JobName, JobOutput } from '../engine/job-map';
import { FailedPreconditionError, InvalidArgumentError } from '../errors';

export type {} from './job-types';

export interface CreateEngineOptions {
  /** Persistent state (images, containers, volumes); absolute. */
  dataRoot: string;
  /** Runtime state (shim sockets, netns); absolute. */
  execRoot: string;
  /**
   * Built-in plugins to load, by directory name (`graphdriver-vfs`,
   * `logdriver-json`, `networkdriver-bridge`, `execdriver-native`, ...) or
   * as `plugins/<name>`. Every other built-in stays unloaded.
   */
  plugins: readonly string[];
  /** Also serve the Docker Engine API on this unix socket (path or `unix://path`). Default: no socket. */
  socket?: string;
  /** Further daemon.json keys (validated like daemon.json; `data-root`, `exec-root`, `hosts` come from above). */
  config?: Partial<DaemonConfig>;
  /** Logger; default a silent pino logger. */
  logger?: Logger;
}

export interface EmbeddedEngine {
  /** The job engine: `engine.jobs()` lists what this trimmed engine can do. */
  readonly engine: Engine;
  /** The kernel (config, hooks, plugin registry, DI container). */
  readonly kernel: Kernel;
  /** The unix socket path served, when `socket` was given. */
  readonly socket?: string;
  /**
   * Runs a job and resolves with its typed output (Docker's response shape);
   * rejects with a BerthError. After stop(), FailedPreconditionError.
   */
  run<N extends JobName>(job: N, input: JobInput<N>, opts?: RunOptions): Promise<JobOutput<N>>;
  /** Stops listening, shuts the domains down and closes the plugins. Idempotent. */
  stop(): Promise<void>;
}

function pluginRef(name: string): string {
  if (typeof name !== 'string' || !/^(plugins\/)?[a-z0-9][a-z0-9.-]*$/.test(name)) {
    throw new InvalidArgumentError(`createEngine: invalid plugin name ${JSON.stringify(name)}: expected a built-in plugin directory such as "graphdriver-vfs"`);
  }
  return name.startsWith('plugins/') ? name : `plugins/${name}`;
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v as Record<string, unknown>)) deepFreeze(x);
  }
  return v;
}

/**
 * Builds the effective config of an embedded engine: defaults, then
 * `config`, then the roots and socket. Throws InvalidArgumentError naming
 * the bad key (JSON pointer) or option.
 */
export function embeddedConfig(o: CreateEngineOptions): Readonly<DaemonConfig> {
  for (const k of ['dataRoot', 'execRoot'] as const) {
    if (typeof o[k] !== 'string' || !path.isAbsolute(o[k])) {
      throw new InvalidArgumentError(`createEngine: ${k} must be an absolute path, got ${JSON.stringify(o[k])}`);
    }
  }
  if (!Array.isArray(o.plugins)) throw new InvalidArgumentError('createEngine: plugins must be an array of built-in plugin names');
  const socket = o.socket === undefined ? undefined : o.socket.replace(/^unix:\/\//, '');
  if (socket !== undefined && !path.isAbsolute(socket)) {
    throw new InvalidArgumentError(`createEngine: socket must be an absolute path, got ${JSON.stringify(o.socket)}`);
  }
  const given: Partial<DaemonConfig> = {
    ...(o.config ?? {}),
    'data-root': o.dataRoot,
    'exec-root': o.execRoot,
    hosts: socket ? [`unix://${socket}`] : [],
  };
  validateConfigObject(given, 'createEngine config');
  const merged: DaemonConfig = { ...defaultConfig(), pidfile: path.join(o.execRoot, 'berthd.pid'), ...given };
  if (merged.debug) merged['log-level'] = 'debug';
  return deepFreeze(merged);
}

/**
 * Starts an embedded engine: loads only the listed built-in plugins (plus
 * third-party ones named in `config.plugins`), sets up the kernel domains,
 * and serves the API on `socket` if given. Startup failures reject after
 * undoing what was started.
 */
export async function createEngine(o: CreateEngineOptions): Promise<EmbeddedEngine> {
  const config = embeddedConfig(o);
  const builtins = o.plugins.map(pluginRef);
  const log = o.logger ?? pino({ level: 'silent' });
  const kernel = await createKernel(config, log, { builtins, configDir: process.cwd() });
  let daemon: { stop(): Promise<void>; sockets: string[] };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { startDaemon } = require('../daemon/daemon') as typeof import('../daemon/daemon');
    daemon = await startDaemon(kernel, { hosts: [...config.hosts], pidfile: false });
  } catch (err) {
    await kernel.close();
    throw err;
  }
  let stopped = false;
  return {
    engine: kernel.engine,
    kernel,
    socket: daemon.sockets[0],
    run(job, input, opts) {
      if (stopped) return Promise.reject(new FailedPreconditionError(`the embedded engine is stopped; cannot run ${String(job)}`));
      return kernel.engine.run(job, input, opts);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await daemon.stop();
      await kernel.close();
    },
  };
}
