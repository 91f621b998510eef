/**
 * What every command action gets: the daemon client (built on first use from
 * `-H`, `BERTH_HOST` or the default socket) and Docker's exit-status error.
 */
import type { Command } from 'commander';
import type { ApiClient } from './api-client';

/** Exit statuses as docker uses them. */
export const ExitCode = Object.freeze({
  /** The daemon or the CLI failed (bad flags, daemon error) in run/create/start. */
  Daemon: 125,
  /** The container command was found but could not be invoked. */
  CannotInvoke: 126,
  /** The container command was not found. */
  NotFound: 127,
});

/**
 * Ends the CLI with a status. `message` (if any) is printed on stderr by
 * berth.ts; a StatusError with no message exits quietly (a container's code).
 */
export class StatusError extends Error {
  constructor(readonly status: number, message = '') {
    super(message);
    this.name = 'StatusError';
  }
}

export interface CliContext {
  /** The API client for the selected daemon. */
  client(): ApiClient;
  /** The value of -H / BERTH_HOST / default. */
  host(): string;
}

/** Builds the context from the root program's options. */
export function createContext(program: Command): CliContext {
  let c: ApiClient | undefined;
  const host = (): string => {
    const o = program.opts<{ host?: string }>();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return o.host ?? process.env.BERTH_HOST ?? (require('./api-client') as typeof import('./api-client')).DEFAULT_HOST;
  };
  return {
    host,
    client() {
      if (!c) {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { ApiClient } = require('./api-client') as typeof import('./api-client');
        try {
          c = new ApiClient(host());
        } catch (err) {
          throw new StatusError(1, `berth: ${(err as Error).message}`);
        }
      }
      return c;
    },
  };
}

/** The `exit 125 / 126 / 127` mapping docker applies to a failed container start. */
export function startErrorStatus(message: string): number {
  const m = message.toLowerCase(); // Go's errno strings are lower case, strerror's capitalised
  if (m.includes('executable file not found') || m.includes('no such file or directory')) return ExitCode.NotFound;
  if (m.includes('permission denied') || m.includes('is a directory')) return ExitCode.CannotInvoke;
  return ExitCode.Daemon;
}

/** The local terminal's [rows, cols] when stdout is one, else undefined. */
export function localConsoleSize(): [number, number] | undefined {
  const t = process.stdout as NodeJS.WriteStream;
  if (!t.isTTY) return undefined;
  const [cols, rows] = t.getWindowSize();
  return rows > 0 && cols > 0 ? [rows, cols] : undefined;
}

/** Collects repeated option values. */
export const collect = (v: string, prev: string[] = []): string[] => [...prev, v];
