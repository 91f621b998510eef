/**
 * The `none` log driver (`--log-driver none`): discards every message, has no
 * read ability (`docker logs` then fails, as with Docker) and no log path.
 * The kernel provides it as `logdriver:none`.
 */
import type { LogDriver, LogDriverFactory } from '../drivers/logdriver';

class NoneLogDriver implements LogDriver {
  /** Discards the message. */
  log(): Promise<void> { return Promise.resolve(); }
  /** Nothing to flush. */
  close(): Promise<void> { return Promise.resolve(); }
}

export const noneLogDriverFactory: LogDriverFactory = Object.freeze({
  name: 'none',
  /** Accepts any options, as Docker does for `none`. */
  validate(): void { /* nothing to check */ },
  /** A driver that discards everything. */
  create: async () => new NoneLogDriver(),
  /** No file: inspect shows `LogPath: ""`. */
  logPath: () => '',
});
