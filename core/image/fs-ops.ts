/**
 * The filesystem operations Node's fs lacks — extended attributes and device
 * nodes — done with the standard tools (`setfattr`/`getfattr` from Debian
 * `attr`, `mknod` from coreutils). Attribute work is batched: one process per
 * layer, not per file.
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { InternalError } from '../errors';

const run = promisify(execFile);

/** Quotes a path the way getfattr/setfattr expect (octal escapes for specials). */
function quotePath(p: string): string {
  let out = '';
  for (const b of Buffer.from(p, 'utf8')) {
    if (b <= 0x20 || b >= 0x7f || b === 0x5c || b === 0x3d) out += '\\' + b.toString(8).padStart(3, '0');
    else out += String.fromCharCode(b);
  }
  return out;
}

function unquotePath(p: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '\\' && /^[0-7]{3}$/.test(p.slice(i + 1, i + 4))) {
      bytes.push(parseInt(p.slice(i + 1, i + 4), 8));
      i += 3;
    } else bytes.push(p.charCodeAt(i));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** One pending xattr write. */
export interface XattrWrite { path: string; name: string; value: Buffer }

/**
 * Sets many extended attributes in one `setfattr --restore` run, on the
 * entries themselves (symlinks are not followed). Like Docker, attributes the
 * filesystem does not support or does not permit (ENOTSUP/EPERM: e.g. user.*
 * on a symlink) are skipped and returned as warnings; any other failure is an
 * InternalError naming the file.
 */
export async function setXattrs(writes: XattrWrite[]): Promise<string[]> {
  if (writes.length === 0) return [];
  const byPath = new Map<string, XattrWrite[]>();
  for (const w of writes) {
    const l = byPath.get(w.path) ?? [];
    l.push(w);
    byPath.set(w.path, l);
  }
  let dump = '';
  for (const [p, ws] of byPath) {
    dump += `# file: ${quotePath(p)}\n`;
    for (const w of ws) dump += `${w.name}=0s${w.value.toString('base64')}\n`;
    dump += '\n';
  }
  return new Promise<string[]>((resolve, reject) => {
    const child = spawn('setfattr', ['-h', '--restore=-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('error', (e) => reject(new InternalError(`setfattr failed to start (install the attr package): ${e.message}`, { cause: e })));
    child.on('close', (code) => {
      const lines = err.split('\n').map((l) => l.trim()).filter(Boolean);
      if (code === 0) { resolve(lines); return; }
      if (lines.length && lines.every((l) => /Operation not (supported|permitted)/.test(l))) { resolve(lines); return; }
      reject(new InternalError(`setting extended attributes failed: ${err.trim() || `exit ${code}`}`));
    });
    child.stdin.end(dump);
  });
}

/**
 * Reads every extended attribute under `root` (recursively, not following
 * symlinks): absolute path → name → value. Missing tool or unsupported
 * filesystem gives an empty map for the affected files.
 */
export async function getXattrsTree(root: string): Promise<Map<string, Map<string, Buffer>>> {
  const out = new Map<string, Map<string, Buffer>>();
  let stdout = '';
  try {
    ({ stdout } = await run('getfattr', ['-R', '-P', '-h', '-d', '-m', '-', '-e', 'base64', '--absolute-names', root],
      { maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' }));
  } catch (e) {
    stdout = (e as { stdout?: string }).stdout ?? '';
  }
  let cur: Map<string, Buffer> | null = null;
  for (const line of stdout.split('\n')) {
    if (line.startsWith('# file: ')) {
      cur = new Map();
      out.set(unquotePath(line.slice(8)), cur);
    } else if (cur && line.includes('=')) {
      const eq = line.indexOf('=');
      const name = line.slice(0, eq);
      const raw = line.slice(eq + 1);
      let value: Buffer;
      if (raw.startsWith('0s')) value = Buffer.from(raw.slice(2), 'base64');
      else if (raw.startsWith('0x')) value = Buffer.from(raw.slice(2), 'hex');
      else value = Buffer.from(raw.replace(/^"|"$/g, ''), 'utf8');
      cur.set(name, value);
    }
  }
  return out;
}

/** Creates a device node or fifo (`type` c, b or p) with `mknod`. */
export async function mknod(file: string, type: 'c' | 'b' | 'p', mode: number, major = 0, minor = 0): Promise<void> {
  const args = ['-m', (mode & 0o7777).toString(8), file, type];
  if (type !== 'p') args.push(String(major), String(minor));
  try {
    await run('mknod', args);
  } catch (e) {
    throw new InternalError(`mknod ${file} failed: ${(e as { stderr?: string }).stderr?.trim() ?? String(e)}`, { cause: e });
  }
}

/** Whether `st` is an overlay whiteout: a character device 0/0. */
export function isWhiteoutDevice(st: { isCharacterDevice(): boolean; rdev: number }): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}
