/**
 * The system domain: registers `system.info`, `system.version`, `system.df`
 * and `system.events` (and `engine.ping` / `engine.plugins` when the kernel
 * did not), bridges the domain hooks into `hooks.engine.event`, and keeps the
 * engine id in `<data-root>/engine-id`.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Kernel } from '../daemon/kernel';
import { atomicWrite } from '../fs/atomic-write';
import { EventsBroker } from './events-broker';
import { EventsBridge } from './events-bridge';
import { streamEvents } from './events-job';
import { systemDf } from './system-df';
import { systemInfo } from './system-info';
import './system-jobs';
import { systemVersion } from './system-version';

export interface SystemService {
  readonly events: EventsBroker;
  readonly bridge: EventsBridge;
  readonly engineId: string;
}

/** Reads the engine id, creating it (atomically) on first start. */
async function engineId(dataRoot: string): Promise<string> {
  const file = path.join(dataRoot, 'engine-id');
  try {
    const id = fs.readFileSync(file, 'utf8').trim();
    if (id) return id;
  } catch { /* first start */ }
  const id = randomUUID();
  fs.mkdirSync(dataRoot, { recursive: true, mode: 0o711 });
  await atomicWrite(file, id + '\n', 0o600);
  return id;
}

/** Sets up the system domain on `kernel` (see the file comment). */
export async function setupSystem(kernel: Kernel): Promise<SystemService> {
  const events = new EventsBroker(kernel.hooks);
  const bridge = new EventsBridge(kernel);
  bridge.install();
  const id = await engineId(kernel.config['data-root']);
  const e = kernel.engine;
  e.register('system.version', () => systemVersion());
  e.register('system.info', () => systemInfo(kernel, id, events.listeners));
  e.register('system.df', (job) => systemDf(kernel, job.input.type));
  e.register('system.events', (job) => streamEvents(events, job));
  if (!e.has('engine.ping')) e.register('engine.ping', () => 'OK' as const);
  if (!e.has('engine.plugins')) e.register('engine.plugins', () => kernel.plugins.list());
  return { events, bridge, engineId: id };
}
