/**
 * Whether overlayfs can work for a driver home: the kernel must list
 * `overlay` in /proc/filesystems, the home must be on a filesystem overlay
 * accepts as an upper layer, and a real test mount with two lower layers must
 * succeed. Anything else is a FailedPreconditionError saying why.
 */
import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { FailedPreconditionError, backingFs } from '../../core';

const run = promisify(execFile);

/** Filesystems that cannot hold overlay upper/work dirs. */
const UNSUPPORTED_BACKING = new Set(['overlayfs', 'aufs', 'ecryptfs', 'nfs', 'fuse']);

/** Reads /proc/filesystems (overridable for tests). */
export async function kernelHasOverlay(procFilesystems = '/proc/filesystems'): Promise<boolean> {
  try {
    const text = await fsp.readFile(procFilesystems, 'utf8');
    return text.split('\n').some((l) => l.trim().split(/\s+/).pop() === 'overlay');
  } catch {
    return false;
  }
}

/**
 * Options berth adds to every overlay mount where the kernel knows them:
 * index, redirect_dir and metacopy change how copy-up and renames are
 * recorded in the upper dir, and the native differ reads the upper dir as
 * plain files plus whiteouts (Docker turns native diff off for the same reason).
 */
export const SAFE_DIFF_OPTIONS = 'index=off,redirect_dir=off,metacopy=off';

/** What the support check found. */
export interface OverlaySupport {
  /** Backing filesystem name (`extfs`, `xfs`, ...). */
  fsName: string;
  /** Extra mount options to append (SAFE_DIFF_OPTIONS, or '' on kernels without them). */
  extraOptions: string;
}

/**
 * Checks the three conditions above for `home` (which must exist). Throws
 * FailedPreconditionError with the reason when one fails.
 */
export async function checkOverlaySupport(home: string, procFilesystems?: string): Promise<OverlaySupport> {
  if (!(await kernelHasOverlay(procFilesystems))) {
    throw new FailedPreconditionError('overlay2: the kernel does not support overlay (no "overlay" in /proc/filesystems; load the module with `modprobe overlay`)');
  }
  const fs = await backingFs(home);
  if (UNSUPPORTED_BACKING.has(fs.name)) {
    throw new FailedPreconditionError(`overlay2: ${home} is on ${fs.name}, which overlay cannot use as a backing filesystem for upper layers`);
  }
  const t = await fsp.mkdtemp(path.join(home, '.tmp-check-'));
  try {
    for (const d of ['l1', 'l2', 'u', 'w', 'm']) await fsp.mkdir(path.join(t, d));
    const tryMount = async (extra: string): Promise<string | null> => {
      const opts = `lowerdir=l2:l1,upperdir=u,workdir=w${extra ? `,${extra}` : ''}`;
      try {
        await run('mount', ['-t', 'overlay', 'overlay', '-o', opts, path.join(t, 'm')], { cwd: t });
      } catch (e) {
        return (e as { stderr?: string }).stderr?.trim() || String(e);
      }
      await run('umount', [path.join(t, 'm')]);
      return null;
    };
    if ((await tryMount(SAFE_DIFF_OPTIONS)) === null) return { fsName: fs.name, extraOptions: SAFE_DIFF_OPTIONS };
    const why = await tryMount('');
    if (why !== null) throw new FailedPreconditionError(`overlay2: a test overlay mount on ${fs.name} (${home}) failed: ${why}`);
    return { fsName: fs.name, extraOptions: '' };
  } finally {
    await fsp.rm(t, { recursive: true, force: true });
  }
}
