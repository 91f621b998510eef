/**
 * Choosing and checking a container's log driver: `--log-driver` /
 * `--log-opt`, defaulting to the daemon's `log-driver` / `log-opts`. The
 * factory is looked up as `logdriver:<name>` among what plugins provided;
 * `none` is always available. The daemon-wide options `mode` and
 * `max-buffer-size` are checked here (Docker's rules and messages) and not
 * shown to the driver's own validate; the driver's other options are.
 */
import type { LogContext, LogDriver, LogDriverFactory, LogReader } from '../drivers/logdriver';
import { InvalidArgumentError } from '../errors';
import { DEFAULT_MAX_BUFFER_SIZE, type LogCopierOptions } from './log-copier';
import { noneLogDriverFactory } from './none-driver';

/** Where log driver factories are found: the kernel's plugin registry, or a plugin context. */
export interface LogDriverResolver {
  resolve<T>(name: string): T;
  has(name: string): boolean;
}

/** Options handled by the daemon itself for every driver. */
export const DAEMON_LOG_OPTIONS: readonly string[] = Object.freeze(['mode', 'max-buffer-size']);

function registryOf(k: LogDriverResolver | { plugins: LogDriverResolver }): LogDriverResolver {
  return 'plugins' in k && k.plugins ? k.plugins : (k as LogDriverResolver);
}

/** The factory for `name`; InvalidArgumentError `logger: no log driver named 'x' is registered` when none. */
export function resolveLogDriverFactory(kernel: LogDriverResolver | { plugins: LogDriverResolver }, name: string): LogDriverFactory {
  const reg = registryOf(kernel);
  const key = `logdriver:${name}`;
  if (reg.has(key)) return reg.resolve<LogDriverFactory>(key);
  if (name === 'none') return noneLogDriverFactory;
  throw new InvalidArgumentError(`logger: no log driver named '${name}' is registered`);
}

/** Parses `mode` and `max-buffer-size` the way Docker does (`max-buffer-size` in binary units: `4m` = 4 MiB). */
export function parseLogMode(options: Record<string, string> = {}): Required<Pick<LogCopierOptions, 'mode' | 'maxBufferSize'>> {
  options ??= {};
  const mode = options.mode ?? 'blocking';
  if (mode !== 'blocking' && mode !== 'non-blocking' && mode !== '') {
    throw new InvalidArgumentError(`logger: logging mode not supported: ${mode}`);
  }
  let maxBufferSize = DEFAULT_MAX_BUFFER_SIZE;
  const raw = options['max-buffer-size'];
  if (raw !== undefined) {
    if (mode !== 'non-blocking') {
      throw new InvalidArgumentError(`logger: max-buffer-size option is only supported with 'mode=non-blocking'`);
    }
    const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(raw);
    if (!m) throw new InvalidArgumentError(`error parsing option max-buffer-size: invalid size: '${raw}'`);
    const power = m[2] ? 'kmgtp'.indexOf(m[2].toLowerCase()) + 1 : 0;
    maxBufferSize = Math.trunc(parseFloat(m[1]) * 1024 ** power);
    if (maxBufferSize <= 0) throw new InvalidArgumentError(`error parsing option max-buffer-size: must be positive: '${raw}'`);
  }
  return { mode: mode === 'non-blocking' ? 'non-blocking' : 'blocking', maxBufferSize };
}

/**
 * Checks a container's log configuration at create time: the driver exists,
 * `mode`/`max-buffer-size` are valid, and the driver accepts its options.
 * Throws InvalidArgumentError naming what is wrong; returns the copier options.
 */
export function validateLogConfig(
  kernel: LogDriverResolver | { plugins: LogDriverResolver }, name: string, options: Record<string, string> = {},
): Required<Pick<LogCopierOptions, 'mode' | 'maxBufferSize'>> {
  options ??= {};
  const factory = resolveLogDriverFactory(kernel, name);
  if (name === 'none') return { mode: 'blocking', maxBufferSize: DEFAULT_MAX_BUFFER_SIZE };
  const copier = parseLogMode(options);
  const own: Record<string, string> = {};
  for (const [k, v] of Object.entries(options)) if (!DAEMON_LOG_OPTIONS.includes(k)) own[k] = v;
  factory.validate(own);
  return copier;
}

/**
 * Creates the container's log driver instance: validates as validateLogConfig,
 * then `factory.create` with `ctx.options` set to `options`.
 */
export async function createLogDriver(
  kernel: LogDriverResolver | { plugins: LogDriverResolver }, ctx: LogContext, name: string, options: Record<string, string> = {},
): Promise<LogDriver & Partial<LogReader>> {
  options ??= {};
  validateLogConfig(kernel, name, options);
  const factory = resolveLogDriverFactory(kernel, name);
  return factory.create({ ...ctx, options: { ...options } });
}

/** Inspect's `LogPath` for a container ("" when the driver keeps no file). */
export function logPathOf(
  kernel: LogDriverResolver | { plugins: LogDriverResolver }, name: string, ctx: Pick<LogContext, 'containerId' | 'containerDir'>,
): string {
  const factory = resolveLogDriverFactory(kernel, name);
  return factory.logPath ? factory.logPath(ctx) : '';
}
