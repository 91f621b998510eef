/**
 * User resolution, as runc's libcontainer/user.GetExecUser and Docker's
 * GroupAdd: `uid[:gid]`, `name[:group]`, resolved against the image's
 * /etc/passwd and /etc/group (text passed in, so this stays pure).
 */
import { InvalidArgumentError } from '../../errors';

export interface PasswdEntry { name: string; uid: number; gid: number; home: string }
export interface GroupEntry { name: string; gid: number; members: string[] }

/** Parses /etc/passwd text; malformed lines are skipped like libc does. */
export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const f = line.split(':');
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (f.length < 4 || !Number.isInteger(uid) || !Number.isInteger(gid)) continue;
    out.push({ name: f[0], uid, gid, home: f[5] ?? '' });
  }
  return out;
}

/** Parses /etc/group text. */
export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const f = line.split(':');
    const gid = Number(f[2]);
    if (f.length < 3 || !Number.isInteger(gid)) continue;
    out.push({ name: f[0], gid, members: (f[3] ?? '').split(',').map((s) => s.trim()).filter(Boolean) });
  }
  return out;
}

export interface ResolvedUser { uid: number; gid: number; additionalGids: number[]; home: string }

const isNum = (s: string): boolean => /^\d+$/.test(s);
const MAX_ID = 2 ** 31 - 1;

/**
 * Resolves Docker's `User` (`""`, `uid`, `name`, `uid:gid`, `name:group`)
 * plus `GroupAdd`; the primary gid leads the supplementary groups, as in
 * current Docker. Throws InvalidArgumentError `unable to find user X: no
 * matching entries in passwd file` (or group) like Docker does.
 */
export function resolveUser(spec: string, passwd: PasswdEntry[], groups: GroupEntry[], groupAdd: readonly string[] = []): ResolvedUser {
  const [userArg, groupArg = ''] = spec.split(':', 2) as [string, string?];
  const res: ResolvedUser = { uid: 0, gid: 0, additionalGids: [], home: '/' };
  const match = userArg === ''
    ? passwd.find((u) => u.uid === 0)
    : isNum(userArg) ? passwd.find((u) => u.uid === Number(userArg)) : passwd.find((u) => u.name === userArg);
  let matchedName = '';
  if (match) {
    matchedName = match.name;
    res.uid = match.uid; res.gid = match.gid; res.home = match.home || '/';
  } else if (userArg !== '') {
    if (!isNum(userArg)) throw new InvalidArgumentError(`unable to find user ${userArg}: no matching entries in passwd file`);
    res.uid = Number(userArg);
    if (res.uid > MAX_ID) throw new InvalidArgumentError(`user id ${userArg} is out of range`);
  }
  if (groupArg !== '') {
    const g = isNum(groupArg) ? groups.find((x) => x.gid === Number(groupArg)) : groups.find((x) => x.name === groupArg);
    if (g) res.gid = g.gid;
    else if (isNum(groupArg)) res.gid = Number(groupArg);
    else throw new InvalidArgumentError(`unable to find group ${groupArg}: no matching entries in group file`);
    if (res.gid > MAX_ID) throw new InvalidArgumentError(`group id ${groupArg} is out of range`);
  } else if (matchedName !== '') {
    res.additionalGids = groups.filter((g) => g.members.includes(matchedName)).map((g) => g.gid);
  }
  for (const ga of groupAdd) {
    const g = isNum(ga) ? { gid: Number(ga) } : groups.find((x) => x.name === ga);
    if (!g) throw new InvalidArgumentError(`Unable to find group ${ga}`);
    res.additionalGids.push(g.gid);
  }
  // the primary group is a supplementary group too (moby's fix for GHSA-hqxw-f8mx-cpmw)
  res.additionalGids = [...new Set([res.gid, ...res.additionalGids])];
  return res;
}
