/** The filesystem a directory lives on, by statfs magic, named as Docker names them. */
import { promises as fsp } from 'node:fs';

const MAGICS: Record<number, string> = {
  0xef53: 'extfs',
  0x58465342: 'xfs',
  0x9123683e: 'btrfs',
  0x01021994: 'tmpfs',
  0x794c7630: 'overlayfs',
  0x2fc12fc1: 'zfs',
  0x6969: 'nfs',
  0xf2f52010: 'f2fs',
  0x61756673: 'aufs',
  0xf15f: 'ecryptfs',
  0x65735546: 'fuse',
  0x858458f6: 'ramfs',
  0x73717368: 'squashfs',
};

/** `{ magic, name }` of the filesystem holding `dir` (name `unknown(0x…)` when not known). */
export async function backingFs(dir: string): Promise<{ magic: number; name: string }> {
  const st = await fsp.statfs(dir);
  const magic = Number(st.type) >>> 0;
  return { magic, name: MAGICS[magic] ?? `unknown(0x${magic.toString(16)})` };
}
