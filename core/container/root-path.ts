/**
 * Reading files of a container's root filesystem from the host without
 * following symlinks out of it: every component is resolved against the
 * root, as if chrooted (what Docker's symlink.FollowSymlinkInScope does).
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';

const MAX_LINKS = 40;

/** The host path of `p` inside `root`, symlinks resolved within `root`. */
export async function resolveInRoot(root: string, p: string): Promise<string> {
  const parts = path.posix.normalize('/' + p).split('/').filter(Boolean);
  let resolved: string[] = [];
  let links = 0;
  while (parts.length > 0) {
    const part = parts.shift()!;
    if (part === '.') continue;
    if (part === '..') { resolved.pop(); continue; }
    const candidate = path.join(root, ...resolved, part);
    let target: string | undefined;
    try {
      const st = await fsp.lstat(candidate);
      if (st.isSymbolicLink()) target = await fsp.readlink(candidate);
    } catch {
      // missing: keep the rest literal
    }
    if (target === undefined) { resolved.push(part); continue; }
    if (++links > MAX_LINKS) throw new Error(`too many levels of symbolic links in ${p}`);
    if (target.startsWith('/')) resolved = [];
    parts.unshift(...target.split('/').filter(Boolean));
  }
  return path.join(root, ...resolved);
}

/** Text of a file inside the root, '' when absent or unreadable. */
export async function readInRoot(root: string, p: string): Promise<string> {
  try {
    return await fsp.readFile(await resolveInRoot(root, p), 'utf8');
  } catch {
    return '';
  }
}
