/**
 * Docker's `--user` and `--group-add` resolution against the image's own
 * /etc/passwd and /etc/group (read inside the rootfs, symlinks resolved within
 * it), producing ProcessSpec.user plus the HOME Docker sets.
 */
import * as fs from 'node:fs';
import { InvalidArgumentError } from '../../core';
import type { ProcessSpec } from '../../core';
import { resolveInRoot } from './mount-plan';

interface PasswdEntry { name: string; uid: number; gid: number; home: string }
interface GroupEntry { name: string; gid: number; members: string[] }

function readLines(rootfs: string, file: string): string[][] {
  try {
    return fs.readFileSync(resolveInRoot(rootfs, file), 'utf8').split('\n')
      .filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'));
  } catch { return []; }
}

function passwd(rootfs: string): PasswdEntry[] {
  return readLines(rootfs, '/etc/passwd').filter((f) => f.length >= 7)
    .map((f) => ({ name: f[0], uid: Number(f[2]), gid: Number(f[3]), home: f[5] }));
}

function groups(rootfs: string): GroupEntry[] {
  return readLines(rootfs, '/etc/group').filter((f) => f.length >= 4)
    .map((f) => ({ name: f[0], gid: Number(f[2]), members: f[3].split(',').filter(Boolean) }));
}

const isNum = (s: string): boolean => /^\d+$/.test(s);

/**
 * `user` is `name|uid[:group|gid]` (empty = root). Names must exist in the
 * image; numeric ids need not. Supplementary groups are the image's groups
 * listing the user plus `groupAdd` (names or ids). InvalidArgumentError
 * names what could not be found.
 */
export function resolveUser(rootfs: string, user: string | undefined, groupAdd: readonly string[] = []): { user: ProcessSpec['user']; home: string } {
  const [u = '', g] = (user ?? '').split(':', 2);
  const users = passwd(rootfs);
  const grps = groups(rootfs);
  let entry: PasswdEntry | undefined;
  let uid: number;
  if (u === '') { entry = users.find((e) => e.uid === 0); uid = 0; }
  else if (isNum(u)) { uid = Number(u); entry = users.find((e) => e.uid === uid); }
  else {
    entry = users.find((e) => e.name === u);
    if (!entry) throw new InvalidArgumentError(`unable to find user ${u}: no matching entries in passwd file`);
    uid = entry.uid;
  }
  let gid = entry?.gid ?? 0;
  if (g !== undefined && g !== '') {
    if (isNum(g)) gid = Number(g);
    else {
      const ge = grps.find((e) => e.name === g);
      if (!ge) throw new InvalidArgumentError(`unable to find group ${g}: no matching entries in group file`);
      gid = ge.gid;
    }
  }
  const extra = new Set<number>();
  if (entry) for (const ge of grps) if (ge.members.includes(entry.name) && ge.gid !== gid) extra.add(ge.gid);
  for (const a of groupAdd) {
    if (isNum(a)) { extra.add(Number(a)); continue; }
    const ge = grps.find((e) => e.name === a);
    if (!ge) throw new InvalidArgumentError(`unable to find group ${a}: no matching entries in group file`);
    extra.add(ge.gid);
  }
  return { user: { uid, gid, additionalGids: [...extra] }, home: entry?.home ?? '/' };
}
