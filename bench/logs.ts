/**
 * `npm run bench:logs` — not a test. Lines per second written and read back
 * for 1,000,000 lines (`seq 1 1000000`):
 *   1. copier + json-file alone (a plain `seq` child process);
 *   2. the whole pipeline: a container, its shim, the copier, json-file, and
 *      `container.logs` (where containers can run here);
 *   3. dockerd's json-file, the same container, where docker.io is installed.
 * Prints the ratios berth / dockerd (the goal is ≥ 2× for both).
 */
import { benchBerthLogs } from './logs-berth';
import { benchContainerLogs, containerBenchUnavailable } from './logs-container';
import { benchDockerdLogs, dockerdUnavailable } from './logs-dockerd';

const LINES = Number(process.env.BENCH_LOG_LINES ?? 1_000_000);
const rate = (lines: number, s: number): string => `${Math.round(lines / s).toLocaleString('en-US')} lines/s`;

async function main(): Promise<void> {
  console.log(`bench:logs — ${LINES.toLocaleString('en-US')} lines of \`seq 1 ${LINES}\``);

  const p = await benchBerthLogs(LINES);
  console.log(`berth copier+json-file (process): write ${rate(LINES, p.writeSeconds)} (${p.writeSeconds.toFixed(2)} s), ` +
    `read ${rate(LINES, p.readSeconds)} (${p.readSeconds.toFixed(2)} s), read in batches ${rate(LINES, p.readBatchesSeconds)} (${p.readBatchesSeconds.toFixed(2)} s), tail 10: ${(p.tailSeconds * 1000).toFixed(1)} ms, file ${(p.fileBytes / 1e6).toFixed(1)} MB`);

  let berth: { writeSeconds: number; readSeconds: number } | null = null;
  const noContainers = containerBenchUnavailable();
  if (noContainers) {
    console.log(`berth container pipeline: skipped — ${noContainers}`);
  } else {
    try {
      const c = await benchContainerLogs(LINES);
      berth = c;
      console.log(`berth container pipeline: write ${rate(LINES, c.writeSeconds)} (${c.writeSeconds.toFixed(2)} s), ` +
        `read (container.logs) ${rate(LINES, c.readSeconds)} (${c.readSeconds.toFixed(2)} s, ${c.readBytes} bytes)`);
    } catch (err) {
      console.log(`berth container pipeline: failed — ${(err as Error).message}`);
    }
  }

  const noDocker = dockerdUnavailable();
  if (noDocker) {
    console.log(`dockerd json-file: skipped — ${noDocker}`);
    console.log('ratio: not available without dockerd');
    return;
  }
  const d = await benchDockerdLogs(LINES);
  console.log(`dockerd ${d.version} json-file: write ${rate(LINES, d.writeSeconds)} (${d.writeSeconds.toFixed(2)} s), ` +
    `read (docker logs) ${rate(LINES, d.readSeconds)} (${d.readSeconds.toFixed(2)} s, ${d.readBytes} bytes)`);
  const b = berth ?? p;
  console.log(`ratio berth/dockerd (${berth ? 'container pipeline' : 'process'}): write ${(d.writeSeconds / b.writeSeconds).toFixed(2)}×, read ${(d.readSeconds / b.readSeconds).toFixed(2)}×`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
