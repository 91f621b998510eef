/**
 * Builds a minimal root filesystem from the host's static busybox
 * (Debian `busybox-static`, /bin/busybox): the binary, one symlink per applet,
 * /etc/passwd and /etc/group, and the usual empty directories. Never touches
 * the network. Shared by every test that needs a container root.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const HOST_BUSYBOX = '/bin/busybox';

/** Whether the host has a static busybox to build roots from. */
export function hasBusybox(): boolean {
  return fs.existsSync(HOST_BUSYBOX);
}

/** Fills `dir` (created if missing) with a busybox root filesystem. Returns `dir`. */
export function makeBusyboxRootfs(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root', 'home', 'var/www', 'run']) {
    fs.mkdirSync(path.join(dir, d), { recursive: true });
  }
  fs.chmodSync(path.join(dir, 'tmp'), 0o1777);
  fs.copyFileSync(HOST_BUSYBOX, path.join(dir, 'bin/busybox'));
  fs.chmodSync(path.join(dir, 'bin/busybox'), 0o755);
  const applets = execFileSync(HOST_BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const a of applets) {
    if (a === 'busybox') continue;
    const link = path.join(dir, 'bin', a);
    if (!fs.existsSync(link)) fs.symlinkSync('busybox', link);
  }
  fs.writeFileSync(path.join(dir, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/bin/false\nnobody:x:65534:65534:nobody:/home:/bin/false\nwww-data:x:33:33:www-data:/var/www:/bin/false\n');
  fs.writeFileSync(path.join(dir, 'etc/group'),
    'root:x:0:\ndaemon:x:1:\nwww-data:x:33:\nnogroup:x:65534:\nstaff:x:50:\n');
  return dir;
}
