/** The daemon's structured logger (pino, JSON lines on stderr). */
import pino, { type Logger } from 'pino';
import type { DaemonConfig } from '../config/daemon-config';

/** A pino logger at the config's level (`debug: true` → debug). `silent` for tests. */
export function createLogger(config: Pick<DaemonConfig, 'log-level'> | { 'log-level': 'silent' }): Logger {
  return pino({ level: config['log-level'], base: { service: 'berthd' } }, pino.destination(2));
}
