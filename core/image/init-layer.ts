/**
 * The init layer between an image and a container's read-write layer, as
 * Docker makes it: empty mount points for what the runtime mounts over
 * (`/etc/hosts`, `/etc/hostname`, `/etc/resolv.conf`, `/dev/console`,
 * `/dev/pts`, `/dev/shm`, `/proc`, `/sys`), `/.dockerenv`, and `/etc/mtab →
 * /proc/mounts`. Container changes and commits are taken against it, so those
 * mount points never show up in `docker diff` or in committed images.
 * Only what is missing is created; every path is resolved inside the root
 * (an image whose /etc is a symlink to the host cannot steer it out).
 */
import { constants as C, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { resolveInRoot } from './secure-path';

const INIT_ENTRIES: ReadonlyArray<[string, 'dir' | 'file' | { symlink: string }]> = [
  ['/dev/pts', 'dir'],
  ['/dev/shm', 'dir'],
  ['/proc', 'dir'],
  ['/sys', 'dir'],
  ['/.dockerenv', 'file'],
  ['/etc/resolv.conf', 'file'],
  ['/etc/hosts', 'file'],
  ['/etc/hostname', 'file'],
  ['/dev/console', 'file'],
  ['/etc/mtab', { symlink: '/proc/mounts' }],
];

/** Creates the missing init entries in the mounted tree `root`. */
export async function setupInitLayer(root: string): Promise<void> {
  for (const [p, kind] of INIT_ENTRIES) {
    const rel = p.slice(1);
    const parent = await resolveInRoot(root, path.posix.dirname(rel));
    const target = path.join(parent, path.posix.basename(rel));
    if (await fsp.lstat(target).then(() => true, () => false)) continue;
    await fsp.mkdir(parent, { recursive: true, mode: 0o755 });
    if (kind === 'dir') {
      await fsp.mkdir(target, { mode: 0o755 });
    } else if (kind === 'file') {
      const fh = await fsp.open(target, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o755);
      await fh.close();
    } else {
      await fsp.symlink(kind.symlink, target);
    }
  }
}
