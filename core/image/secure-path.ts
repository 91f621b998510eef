/**
 * Path resolution confined to a root, like a chroot: symlinks met on the way
 * are followed but interpreted relative to the root, and `..` never climbs
 * above it. This is what keeps hostile layer tars inside their layer.
 */
import * as fs from 'node:fs';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError } from '../errors';

const MAX_HOPS = 255;

/**
 * Normalises a tar entry name to a relative path ('' for the root), refusing
 * absolute names and any `..` component with InvalidArgumentError.
 */
export function cleanEntryName(name: string): string {
  if (name.startsWith('/')) throw new InvalidArgumentError(`layer entry "${name}": absolute path refused`);
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new InvalidArgumentError(`layer entry "${name}": ".." component refused`);
  return parts.join('/');
}

/** One step of a resolution: lstat a path (null: absent), or read a symlink. */
type Step = { lstat: string } | { readlink: string };

/** resolveInRoot's walk, asking its caller (sync or async) to lstat and readlink. */
function* resolveSteps(root: string, rel: string): Generator<Step, string, fs.Stats | string | null> {
  const parts = rel.split('/').filter((p) => p !== '' && p !== '.');
  const stack: string[] = [];
  let hops = 0;
  let missing = false;
  while (parts.length) {
    const c = parts.shift() as string;
    if (c === '..') { stack.pop(); missing = false; continue; }
    if (missing) { stack.push(c); continue; }
    const cand = path.join(root, ...stack, c);
    const st = (yield { lstat: cand }) as fs.Stats | null;
    if (!st) { stack.push(c); missing = true; continue; }
    if (st.isSymbolicLink()) {
      if (++hops > MAX_HOPS) throw new InvalidArgumentError(`path "${rel}": too many levels of symbolic links`);
      const target = (yield { readlink: cand }) as string;
      if (target.startsWith('/')) stack.length = 0;
      parts.unshift(...target.split('/').filter((p) => p !== '' && p !== '.'));
      continue;
    }
    stack.push(c);
  }
  return path.join(root, ...stack);
}

/**
 * Resolves `rel` under `root`, following every symlink (targets taken as
 * relative to `root`, absolute ones restarting at `root`) and clamping `..`
 * at `root`. Returns an absolute path that is always inside `root`. Components
 * that do not exist are appended as they are.
 */
export async function resolveInRoot(root: string, rel: string): Promise<string> {
  const walk = resolveSteps(root, rel);
  for (let r = walk.next(null); ; ) {
    if (r.done) return r.value;
    const step = r.value;
    r = walk.next('lstat' in step ? await fsp.lstat(step.lstat).catch(() => null) : await fsp.readlink(step.readlink));
  }
}

function lstatOrNull(p: string): fs.Stats | null {
  try { return fs.lstatSync(p); } catch { return null; }
}

/** resolveInRoot with synchronous calls (for a worker thread, where blocking is fine). */
export function resolveInRootSync(root: string, rel: string): string {
  const walk = resolveSteps(root, rel);
  for (let r = walk.next(null); ; ) {
    if (r.done) return r.value;
    const step = r.value;
    r = walk.next('lstat' in step ? lstatOrNull(step.lstat) : fs.readlinkSync(step.readlink));
  }
}

/** Whether `p` is `root` or below it (lexically). */
export function isInside(root: string, p: string): boolean {
  const r = path.relative(root, p);
  return r === '' || (!r.startsWith('..') && !path.isAbsolute(r));
}
