/** Shared setup of the json-file tests: a temp container dir and a LogContext for it. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { LogContext, LogMessage } from '../../../core';

export const CONTAINER_ID = 'c0ffee'.padEnd(64, '0');

/** A fresh temp dir under /tmp/berth-test-logs-*. */
export function makeTempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-logs-'));
}

/** A LogContext for a made-up container living in `dir`. */
export function logContext(dir: string, options: Record<string, string> = {}, extra: Partial<LogContext> = {}): LogContext {
  return {
    containerId: CONTAINER_ID,
    containerName: '/berth-test',
    imageName: 'busybox:latest',
    imageId: 'sha256:' + 'ab'.repeat(32),
    containerLabels: {},
    containerEnv: [],
    containerDir: dir,
    options,
    ...extra,
  };
}

/** A stdout message at a fixed time (ns since the epoch). */
export function msgAt(line: string | Buffer, timeNs: bigint, source: 'stdout' | 'stderr' = 'stdout'): LogMessage {
  return { line: Buffer.isBuffer(line) ? line : Buffer.from(line), source, time: new Date(Number(timeNs / 1_000_000n)), timeNs };
}

/** Collects an object stream into an array. */
export async function collect<T>(stream: NodeJS.ReadableStream): Promise<T[]> {
  const out: T[] = [];
  for await (const m of stream) out.push(m as T);
  return out;
}
