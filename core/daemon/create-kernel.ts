/**
 * Builds the kernel from an effective config: engine, hooks, plugin host
 * (load + init), and the tsyringe container holding the kernel services.
 * Used by berthd, by the embedded engine, and by tests.
 */
import 'reflect-metadata';
import type { Logger } from 'pino';
import { container as rootContainer } from 'tsyringe';
import type { DaemonConfig } from '../config/daemon-config';
import { Engine } from '../engine/engine';
import { createHooks } from '../hooks/hooks';
import { PluginHost } from '../plugins/plugin-host';
import type { Kernel } from './kernel';
import { Tokens } from './kernel';

export interface CreateKernelOptions {
  /** Directory relative third-party plugin paths are resolved from (the config file's). */
  configDir?: string;
  /** Built-in plugins to load instead of all (the embedded engine's trimmed list). */
  builtins?: readonly string[];
}

/** A kernel together with what is needed to shut it down. */
export interface OwnedKernel extends Kernel {
  readonly host: PluginHost;
  /** Runs `hooks.engine.shutdown` and closes the plugins in reverse order. */
  close(): Promise<void>;
}

/** Loads and initialises the plugins and returns the kernel. Startup errors are thrown. */
export async function createKernel(config: Readonly<DaemonConfig>, log: Logger, opts: CreateKernelOptions = {}): Promise<OwnedKernel> {
  const engine = new Engine(log);
  const hooks = createHooks();
  const host = new PluginHost({ config, log, engine, hooks, configDir: opts.configDir, builtins: opts.builtins });
  host.load();
  await host.init();

  const di = rootContainer.createChildContainer();
  engine.register('engine.ping', () => 'OK' as const);
  engine.register('engine.plugins', () => host.list());

  let closed = false;
  const kernel: OwnedKernel = {
    config, log, engine, hooks, plugins: host, di, host,
    async close() {
      if (closed) return;
      closed = true;
      await hooks.engine.shutdown.promise().catch((err: Error) => log.warn({ err: err.message }, 'shutdown hook failed'));
      await host.close();
    },
  };
  di.register(Tokens.Kernel, { useValue: kernel });
  di.register(Tokens.Config, { useValue: config });
  di.register(Tokens.Logger, { useValue: log });
  di.register(Tokens.Engine, { useValue: engine });
  di.register(Tokens.Hooks, { useValue: hooks });
  di.register(Tokens.Plugins, { useValue: host });
  return kernel;
}
