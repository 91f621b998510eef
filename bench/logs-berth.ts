/**
 * The berth side of `npm run bench:logs`: 1,000,000 lines from a real
 * `seq 1 1000000` through the log copier into the json-file driver, then read
 * back through the driver's reader (as LogMessage objects, and as LogBatch blocks).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { LogBatch, LogContext } from '../core';
import { startLogCopier } from '../core/logging';
import { jsonFileLogDriverFactory } from '../plugins/logdriver-json/json-file-factory';

export interface LogBenchResult {
  lines: number;
  writeSeconds: number;
  readSeconds: number;
  /** Reading everything as LogBatch blocks (readBatches, what `docker logs` uses). */
  readBatchesSeconds: number;
  tailSeconds: number;
  fileBytes: number;
}

/** Runs the berth measurement; the temp dir is removed afterwards. */
export async function benchBerthLogs(lines: number): Promise<LogBenchResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-logs-'));
  try {
    const ctx: LogContext = {
      containerId: 'b'.repeat(64), containerName: '/bench', imageName: 'busybox', imageId: 'sha256:' + '0'.repeat(64),
      containerLabels: {}, containerEnv: [], containerDir: dir, options: {},
    };
    const t0 = process.hrtime.bigint();
    const driver = await jsonFileLogDriverFactory.create(ctx);
    const child = spawn('seq', ['1', String(lines)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const copier = startLogCopier({ stdin: null, stdout: child.stdout, stderr: child.stderr }, driver, { mode: 'blocking' });
    await copier.wait();
    await driver.close();
    const t1 = process.hrtime.bigint();
    if (copier.copied !== lines) throw new Error(`copied ${copier.copied} of ${lines} lines`);

    const reader = await jsonFileLogDriverFactory.create(ctx);
    let n = 0;
    for await (const m of reader.read!({ follow: false })) { void m; n++; }
    const t2 = process.hrtime.bigint();
    if (n !== lines) throw new Error(`read back ${n} of ${lines} lines`);
    let nb = 0;
    for await (const b of reader.readBatches!({ follow: false }) as AsyncIterable<LogBatch>) nb += b.length;
    const tb = process.hrtime.bigint();
    if (nb !== lines) throw new Error(`read back ${nb} of ${lines} lines in batches`);
    for await (const m of reader.read!({ follow: false, tail: 10 })) void m;
    const t3 = process.hrtime.bigint();
    await reader.close();
    const fileBytes = fs.statSync(path.join(dir, `${ctx.containerId}-json.log`)).size;
    return { lines, writeSeconds: Number(t1 - t0) / 1e9, readSeconds: Number(t2 - t1) / 1e9, readBatchesSeconds: Number(tb - t2) / 1e9, tailSeconds: Number(t3 - tb) / 1e9, fileBytes };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
