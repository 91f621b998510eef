/**
 * The kernel: what every domain service (images, containers, networks,
 * volumes, the API server) is built from. Created by `createKernel` in
 * core/daemon/create-kernel.ts after config and plugins are loaded.
 *
 * Domain setup convention: each domain exports
 * `setup<Domain>(kernel: Kernel): Promise<Service>` which constructs its
 * service (a tsyringe `@injectable` class resolved from `kernel.di`),
 * registers the service in `kernel.di` under its token, and registers its jobs
 * on `kernel.engine`. core/daemon/daemon.ts calls them in dependency order:
 * images → networks → volumes → containers → api.
 */
import type { Logger } from 'pino';
import type { DependencyContainer } from 'tsyringe';
import type { DaemonConfig } from '../config/daemon-config';
import type { Engine } from '../engine/engine';
import type { Hooks } from '../hooks/hooks';
import type { PluginStatus } from '../engine/job-map';

/** What plugins provided, by name (`graphdriver:overlay2`, `execdriver:native`, ...). */
export interface PluginRegistry {
  /** NotFoundError naming the name and what is provided when nothing is. */
  resolve<T>(name: string): T;
  has(name: string): boolean;
  /** Names provided, optionally only those starting with `prefix` (`graphdriver:`). */
  names(prefix?: string): string[];
  /** Status of every plugin, loaded or failed. */
  list(): PluginStatus[];
  /** Registers a value under a global name; the kernel provides its services (`kernel:images`, ...) this way. */
  provide(name: string, value: unknown, owner?: string): void;
}

export interface Kernel {
  readonly config: Readonly<DaemonConfig>;
  readonly log: Logger;
  readonly engine: Engine;
  readonly hooks: Hooks;
  readonly plugins: PluginRegistry;
  /** tsyringe container holding the kernel services under the tokens below. */
  readonly di: DependencyContainer;
}

/** tsyringe injection tokens for kernel services. */
export const Tokens = Object.freeze({
  Kernel: Symbol.for('berth.Kernel'),
  Config: Symbol.for('berth.Config'),
  Logger: Symbol.for('berth.Logger'),
  Engine: Symbol.for('berth.Engine'),
  Hooks: Symbol.for('berth.Hooks'),
  Plugins: Symbol.for('berth.Plugins'),
  /** The chosen GraphDriverWithDiff (naive differ applied where needed). */
  GraphDriver: Symbol.for('berth.GraphDriver'),
  ImageService: Symbol.for('berth.ImageService'),
  NetworkService: Symbol.for('berth.NetworkService'),
  VolumeService: Symbol.for('berth.VolumeService'),
  ContainerService: Symbol.for('berth.ContainerService'),
  ApiServer: Symbol.for('berth.ApiServer'),
});
