/**
 * The dockerd side of `npm run bench:logs`, run only where Debian's docker.io
 * (dockerd) is installed: a private dockerd (test/plugins/logdriver-json/
 * private-dockerd.ts: temp socket and data root, no bridge, no iptables),
 * `seq 1 N` in a busybox container with the json-file driver, then
 * `docker logs` read back. Everything it starts is stopped and removed.
 */
import { DOCKERD_IMAGE, startPrivateDockerd } from '../test/plugins/logdriver-json/private-dockerd';

export { dockerdUnavailable } from '../test/plugins/logdriver-json/private-dockerd';

export interface DockerdLogBench { writeSeconds: number; readSeconds: number; readBytes: number; version: string }

/** Runs the dockerd measurement. */
export async function benchDockerdLogs(lines: number): Promise<DockerdLogBench> {
  const d = await startPrivateDockerd();
  try {
    const id = d.docker('create', '--network', 'none', '--log-driver', 'json-file', DOCKERD_IMAGE, 'seq', '1', String(lines));
    const t0 = process.hrtime.bigint();
    d.docker('start', id);
    d.docker('wait', id);
    const t1 = process.hrtime.bigint();
    const out = d.dockerRaw('logs', id);
    const t2 = process.hrtime.bigint();
    d.docker('rm', '-f', id);
    return { writeSeconds: Number(t1 - t0) / 1e9, readSeconds: Number(t2 - t1) / 1e9, readBytes: out.stdout.length + out.stderr.length, version: d.version };
  } finally {
    await d.stop();
  }
}
