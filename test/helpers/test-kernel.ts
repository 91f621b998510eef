/**
 * A real kernel for tests: the real config defaults, the real plugin host and
 * createKernel, with a temporary data root and exec root and only the plugins
 * a test asks for. Close it in an after hook (`await kernel.close()`), and
 * remove `dataRoot` yourself if the test made it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import pino from 'pino';
import { defaultConfig } from '../../core/config/defaults';
import type { DaemonConfig } from '../../core/config/daemon-config';
import { createKernel, type OwnedKernel } from '../../core/daemon/create-kernel';

export interface TestKernelOptions {
  /** Data root (created); the exec root defaults to `<dataRoot>/run`. */
  dataRoot: string;
  /** Values provided after plugins init (plugins resolve at use time), e.g. `{ "graphdriver:fake": factory }`. */
  provide?: Record<string, unknown>;
  config?: Partial<DaemonConfig>;
  /** Built-in plugins to load, e.g. `['plugins/graphdriver-vfs']`; none by default. */
  builtins?: readonly string[];
}

/** Builds and returns a kernel whose plugins are initialised. */
export async function makeTestKernel(opts: TestKernelOptions): Promise<OwnedKernel> {
  fs.mkdirSync(opts.dataRoot, { recursive: true });
  const config: DaemonConfig = {
    ...defaultConfig(),
    'data-root': opts.dataRoot,
    'exec-root': path.join(opts.dataRoot, 'run'),
    pidfile: path.join(opts.dataRoot, 'run', 'berthd.pid'),
    ...opts.config,
  };
  const kernel = await createKernel(Object.freeze(config), pino({ level: 'silent' }), { builtins: opts.builtins ?? [] });
  for (const [name, value] of Object.entries(opts.provide ?? {})) kernel.plugins.provide(name, value, 'test');
  return kernel;
}
