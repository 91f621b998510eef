/** The LogDriverFactory the plugin provides as `logdriver:json-file`. */
import type { LogContext, LogDriverFactory } from '../../core';
import { checkTagTemplate } from './log-attrs';
import { JsonFileLogger, jsonLogPath } from './json-file-logger';
import { checkKnownOptions, parseJsonFileOptions } from './log-options';

export const jsonFileLogDriverFactory: LogDriverFactory = Object.freeze({
  name: 'json-file',

  /** Throws InvalidArgumentError naming the first unknown or bad option. */
  validate(options: Record<string, string> = {}): void {
    options ??= {};
    checkKnownOptions(options);
    parseJsonFileOptions(options);
    if (options.tag !== undefined) checkTagTemplate(options.tag);
  },

  /** Opens `<containerDir>/<id>-json.log` for the container (validating its options first). */
  async create(ctx: LogContext) {
    const c = { ...ctx, options: ctx.options ?? {} };
    jsonFileLogDriverFactory.validate(c.options);
    return JsonFileLogger.create(c);
  },

  /** Inspect's `LogPath`. */
  logPath(ctx: Pick<LogContext, 'containerId' | 'containerDir'>): string {
    return jsonLogPath(ctx);
  },
});
