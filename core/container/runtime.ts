/**
 * What the service holds in memory for a container that is running: the
 * exec driver's handle, the shared stdio, the log copier and driver, the spec
 * it was started with, and a promise that settles when its exit has been
 * fully handled (state persisted, network detached, rootfs unmounted).
 */
import type { ContainerSpec, RunningContainer } from '../drivers/execdriver';
import type { LogDriver, LogReader } from '../drivers/logdriver';
import type { LogCopier } from '../logging/log-copier';
import type { HealthMonitor } from './health';
import type { IOFanout } from './io-fanout';
import { DEFAULT_SHM_SIZE } from './spec/defaults';

export interface Runtime {
  running: RunningContainer;
  fanout: IOFanout;
  copier: LogCopier;
  logDriver: LogDriver & Partial<LogReader>;
  spec: ContainerSpec;
  /** Host time (ms) PID 1 started, for the restart back-off. */
  startedAtMs: number;
  /** Resolves once start finished recording the running state (exit handling waits for it). */
  ready: Promise<void>;
  markReady(): void;
  /** Settles once the exit was handled. */
  exited: Promise<void>;
  /** The health check prober, when the container has one. */
  health?: HealthMonitor;
  /** Set when the daemon detaches (live-restore shutdown): the exit is then not handled by this process. */
  detached: boolean;
}

/** The daemon's `default-shm-size` in bytes (Docker's 64 MiB when unset or unreadable). */
export function defaultShmSize(config: { 'default-shm-size'?: string }): number {
  try { return parseRamSize(config['default-shm-size'] || '64M'); } catch { return DEFAULT_SHM_SIZE; }
}

/** Parses Docker's RAMInBytes sizes (`64M`, `1g`, `512k`, `1024`). */
export function parseRamSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)(?:i?b)?$/i.exec(s.trim());
  if (!m) throw new Error(`invalid size: '${s}'`);
  const power = m[2] === '' ? 0 : 'kmgtp'.indexOf(m[2].toLowerCase()) + 1;
  return Math.trunc(Number(m[1]) * 1024 ** power);
}
