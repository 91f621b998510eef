/**
 * The whole-pipeline side of `npm run bench:logs`: a real container (native
 * exec driver, shim, vfs, busybox) running `seq 1 N`, its output through the
 * daemon's log copier into json-file, then `container.logs` read back through
 * the job (what `docker logs` runs). Uses the container tests' testbed.
 */
import { Writable } from 'node:stream';
import { makeTestbed } from '../test/core/container/container-harness';

export interface ContainerLogBench { writeSeconds: number; readSeconds: number; readBytes: number }

/** Why containers cannot run here, or null when they can. */
export function containerBenchUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (namespaces, cgroups)';
  const fs = require('node:fs') as typeof import('node:fs');
  if (!fs.existsSync('/bin/busybox')) return '/bin/busybox (busybox-static) is missing';
  if (!fs.existsSync(`${__dirname}/../../native/build/Release/berth_exec.node`)) return 'the native addon is not built (npm run build:native)';
  return null;
}

/** Runs `seq 1 lines` in a container and reads its log back. */
export async function benchContainerLogs(lines: number): Promise<ContainerLogBench> {
  const bed = await makeTestbed();
  try {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const run = (name: string, input: unknown, opts?: object): Promise<any> => bed.kernel.engine.run(name as any, input as any, opts as any);
    const { Id: id } = await run('container.create', { name: 'bt-bench-logs', body: { Image: 'busybox', Cmd: ['seq', '1', String(lines)], HostConfig: { NetworkMode: 'none' } } });
    const t0 = process.hrtime.bigint();
    await run('container.start', { id });
    await run('container.wait', { id });
    const t1 = process.hrtime.bigint();
    let readBytes = 0;
    const sink = (): Writable => new Writable({ write(chunk: Buffer, _e, cb) { readBytes += chunk.length; cb(); } });
    const { PassThrough } = await import('node:stream');
    const stdin = new PassThrough();
    stdin.end();
    await run('container.logs', { id, stdout: true, stderr: true }, { io: { stdin, stdout: sink(), stderr: sink() } });
    const t2 = process.hrtime.bigint();
    return { writeSeconds: Number(t1 - t0) / 1e9, readSeconds: Number(t2 - t1) / 1e9, readBytes };
  } finally {
    await bed.destroy();
  }
}
