/**
 * Walking a layer's tree without following symlinks: every path below a
 * root, relative, parents before children, siblings sorted — the order tar
 * streams and change lists use.
 */
import { promises as fsp, type BigIntStats } from 'node:fs';
import * as path from 'node:path';

/** One path below the walked root, relative, with its lstat (bigint). */
export interface TreeEntry { rel: string; st: BigIntStats }

/** All entries under `root` (the root itself excluded), in tar order. */
export async function walkTree(root: string): Promise<TreeEntry[]> {
  const out: TreeEntry[] = [];
  const visit = async (relDir: string): Promise<void> => {
    let names: string[];
    try { names = await fsp.readdir(path.join(root, relDir)); } catch { return; }
    names.sort();
    for (const n of names) {
      const rel = relDir ? `${relDir}/${n}` : n;
      const st = await fsp.lstat(path.join(root, rel), { bigint: true });
      out.push({ rel, st });
      if (st.isDirectory()) await visit(rel);
    }
  };
  await visit('');
  return out;
}
