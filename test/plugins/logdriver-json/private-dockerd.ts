/**
 * A private dockerd (Debian's docker.io) for comparing berth with Docker: its
 * own temp data root, exec root, pid file and unix socket, no bridge and no
 * iptables rules (so it touches nothing on the host network), and an image
 * `berth-cmp-busybox` imported from the host's static busybox (plus extra
 * files). `stop()` stops it and removes everything it made.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { hasBusybox, makeBusyboxRootfs } from '../../helpers/busybox-rootfs';

export const DOCKERD_IMAGE = 'berth-cmp-busybox:latest';

export interface PrivateDockerd {
  version: string;
  /** Runs the docker CLI against this daemon; returns stdout (trimmed). */
  docker(...args: string[]): string;
  /** Like docker() but returns raw stdout and stderr bytes. */
  dockerRaw(...args: string[]): { stdout: Buffer; stderr: Buffer };
  stop(): Promise<void>;
}

function which(cmd: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin'])) {
    const p = path.join(dir, cmd);
    try { fs.accessSync(p, fs.constants.X_OK); return p; } catch { /* next */ }
  }
  return null;
}

/** Why a private dockerd cannot run here, or null when it can. */
export function dockerdUnavailable(): string | null {
  if (!which('dockerd')) return "dockerd is not installed (Debian's docker.io package)";
  if (!which('docker')) return 'the docker CLI is not installed';
  if (process.getuid?.() !== 0) return 'dockerd needs root';
  if (!hasBusybox()) return '/bin/busybox (busybox-static) is missing';
  return null;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Starts the daemon and imports the image; `files` are added to the image (path in the image → bytes). */
export async function startPrivateDockerd(files: Record<string, Buffer> = {}): Promise<PrivateDockerd> {
  const dockerd = which('dockerd') as string;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-dockerd-'));
  const sock = path.join(dir, 'docker.sock');
  const env = { ...process.env, DOCKER_HOST: `unix://${sock}` };
  const daemon = spawn(dockerd, [
    '--data-root', path.join(dir, 'data'), '--exec-root', path.join(dir, 'exec'), '--pidfile', path.join(dir, 'docker.pid'),
    '-H', `unix://${sock}`, '--bridge=none', '--iptables=false', '--ip-masq=false', '--log-driver=json-file',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let daemonErr = '';
  daemon.stderr.on('data', (d: Buffer) => { daemonErr = (daemonErr + d.toString()).slice(-4000); });
  const docker = (...args: string[]): string => execFileSync('docker', args, { env, encoding: 'utf8', maxBuffer: 1 << 28 }).trim();
  const dockerRaw = (...args: string[]): { stdout: Buffer; stderr: Buffer } => {
    const r = spawnSync('docker', args, { env, maxBuffer: 1 << 30 });
    if (r.status !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr.toString()}`);
    return { stdout: r.stdout, stderr: r.stderr };
  };
  const stop = async (): Promise<void> => {
    daemon.kill('SIGTERM');
    for (let i = 0; i < 150 && daemon.exitCode === null && daemon.signalCode === null; i++) await sleep(100);
    if (daemon.exitCode === null && daemon.signalCode === null) daemon.kill('SIGKILL');
    for (const sub of ['exec', 'data']) spawnSync('umount', ['-R', path.join(dir, sub)], { stdio: 'ignore' });
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; ; i++) {
      if (spawnSync('docker', ['version'], { env, stdio: 'ignore' }).status === 0) break;
      if (i > 150 || daemon.exitCode !== null) throw new Error(`dockerd did not come up: ${daemonErr}`);
      await sleep(200);
    }
    const root = makeBusyboxRootfs(path.join(dir, 'rootfs'));
    for (const [p, data] of Object.entries(files)) fs.writeFileSync(path.join(root, p), data);
    const tar = path.join(dir, 'rootfs.tar');
    execFileSync('tar', ['-C', root, '-cf', tar, '.']);
    docker('import', tar, DOCKERD_IMAGE);
    return { version: docker('version', '--format', '{{.Server.Version}}'), docker, dockerRaw, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
