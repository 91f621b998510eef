/**
 * Reading files of a container's root filesystem from the host without
 * following symlinks out of it: every component is resolved against the
 * root, as if chrooted (what Docker's symlink.FollowSymlinkInScope does).
 * The walk is core/image/secure-path's, with synchronous lstat and readlink:
 * a handful of microseconds each, where a thread-pool round trip costs ~65
 * (these run on every container start).
 */
import { readFileSync } from 'node:fs';
import { resolveInRootSync } from '../image/secure-path';

/** The host path of `p` inside `root`, symlinks resolved within `root` (InvalidArgumentError for a symlink loop). */
export async function resolveInRoot(root: string, p: string): Promise<string> {
  return resolveInRootSync(root, p);
}

/** Text of a file inside the root, '' when absent or unreadable. */
export async function readInRoot(root: string, p: string): Promise<string> {
  try {
    return readFileSync(resolveInRootSync(root, p), 'utf8');
  } catch {
    return '';
  }
}
