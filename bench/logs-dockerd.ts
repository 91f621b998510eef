/**
 * The dockerd side of `npm run bench:logs`, run only where Debian's docker.io
 * (dockerd) is installed: a private dockerd on a temp socket and data root
 * (no bridge, no iptables), a busybox image imported from the host's static
 * busybox, `seq 1 N` in a container with the json-file driver, then
 * `docker logs` read back. Everything it starts is stopped and removed.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeBusyboxRootfs } from '../test/helpers/busybox-rootfs';

export interface DockerdLogBench { writeSeconds: number; readSeconds: number; readBytes: number; version: string }

function which(cmd: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const p = path.join(dir, cmd);
    try { fs.accessSync(p, fs.constants.X_OK); return p; } catch { /* next */ }
  }
  return null;
}

/** Why the dockerd comparison cannot run here, or null when it can. */
export function dockerdUnavailable(): string | null {
  if (!which('dockerd')) return "dockerd is not installed (Debian's docker.io package); the docker CLI alone cannot run containers";
  if (!which('docker')) return 'the docker CLI is not installed';
  if (process.getuid?.() !== 0) return 'dockerd needs root';
  return null;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs the dockerd measurement. */
export async function benchDockerdLogs(lines: number): Promise<DockerdLogBench> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-dockerd-'));
  const sock = path.join(dir, 'docker.sock');
  const env = { ...process.env, DOCKER_HOST: `unix://${sock}` };
  const docker = (...args: string[]): string => execFileSync('docker', args, { env, encoding: 'utf8', maxBuffer: 1 << 26 }).trim();
  const daemon = spawn('dockerd', [
    '--data-root', path.join(dir, 'data'), '--exec-root', path.join(dir, 'exec'), '--pidfile', path.join(dir, 'docker.pid'),
    '-H', `unix://${sock}`, '--bridge=none', '--iptables=false', '--ip-masq=false', '--log-driver=json-file',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let daemonErr = '';
  daemon.stderr.on('data', (d: Buffer) => { daemonErr = (daemonErr + d.toString()).slice(-4000); });
  try {
    for (let i = 0; ; i++) {
      if (spawnSync('docker', ['version'], { env, stdio: 'ignore' }).status === 0) break;
      if (i > 150 || daemon.exitCode !== null) throw new Error(`dockerd did not come up: ${daemonErr}`);
      await sleep(200);
    }
    const version = docker('version', '--format', '{{.Server.Version}}');
    const root = makeBusyboxRootfs(path.join(dir, 'rootfs'));
    const tar = path.join(dir, 'rootfs.tar');
    execFileSync('tar', ['-C', root, '-cf', tar, '.']);
    docker('import', tar, 'berth-bench-busybox:latest');
    const id = docker('create', '--network', 'none', '--log-driver', 'json-file', 'berth-bench-busybox:latest', 'seq', '1', String(lines));
    const t0 = process.hrtime.bigint();
    docker('start', id);
    docker('wait', id);
    const t1 = process.hrtime.bigint();
    const res = spawnSync('docker', ['logs', id], { env, maxBuffer: 1 << 30 });
    const t2 = process.hrtime.bigint();
    const readBytes = res.stdout.length + res.stderr.length;
    docker('rm', '-f', id);
    return { writeSeconds: Number(t1 - t0) / 1e9, readSeconds: Number(t2 - t1) / 1e9, readBytes, version };
  } finally {
    daemon.kill('SIGTERM');
    for (let i = 0; i < 100 && daemon.exitCode === null && daemon.signalCode === null; i++) await sleep(100);
    if (daemon.exitCode === null && daemon.signalCode === null) daemon.kill('SIGKILL');
    spawnSync('umount', ['-R', path.join(dir, 'data')], { stdio: 'ignore' });
    spawnSync('umount', ['-R', path.join(dir, 'exec')], { stdio: 'ignore' });
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
