/**
 * Which sandbox files still have a process inside: the daemon-restart test
 * for "is this container still running" when nobody tells us. A bind-mounted
 * netns file has the namespace's inode; every process's /proc/<pid>/ns/net
 * links to `net:[inode]`.
 */
import { readdirSync, readlinkSync, statSync } from 'node:fs';
import * as path from 'node:path';

/** Sandbox paths (among those under the directories given, or any path later asked) in use by a process. */
export function findRunningSandboxes(): Set<string> & { has(p: string): boolean } {
  const inodes = new Set<number>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const m = /^net:\[(\d+)\]$/.exec(readlinkSync(path.join('/proc', pid, 'ns', 'net')));
      if (m) inodes.add(Number(m[1]));
    } catch { /* gone */ }
  }
  const out = new Set<string>();
  const has = out.has.bind(out);
  out.has = (p: string): boolean => {
    if (has(p)) return true;
    try {
      if (inodes.has(statSync(p).ino)) { out.add(p); return true; }
    } catch { /* no such sandbox */ }
    return false;
  };
  return out;
}
