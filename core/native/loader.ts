/**
 * Locates the native parts built from native/ by cmake-js: Node-API addons
 * (`native/build/Release/<name>.node`) and executables (`berth-shim`,
 * `berth-init`). A missing build is a clear FailedPreconditionError saying how
 * to build it, never a bare MODULE_NOT_FOUND.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FailedPreconditionError } from '../errors';

/** The repository root (two levels above dist/core/native or core/native). */
function projectRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    if (fs.existsSync(path.join(dir, 'native', 'CMakeLists.txt'))) return dir;
    dir = path.dirname(dir);
  }
  return path.resolve(__dirname, '..', '..', '..');
}

/** Directory holding the built native artefacts; `BERTH_NATIVE_DIR` overrides. */
export function nativeBuildDir(): string {
  return process.env.BERTH_NATIVE_DIR ?? path.join(projectRoot(), 'native', 'build', 'Release');
}

const cache = new Map<string, unknown>();

/** Loads addon `<name>.node`; throws FailedPreconditionError when it is not built. */
export function loadAddon<T>(name: string): T {
  const hit = cache.get(name);
  if (hit) return hit as T;
  const file = path.join(nativeBuildDir(), `${name}.node`);
  if (!fs.existsSync(file)) {
    throw new FailedPreconditionError(`native addon ${name} is not built (${file} missing): run \`npm run build:native\``);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(file) as T;
  cache.set(name, mod);
  return mod;
}

/**
 * Function `fn` of addon `<name>.node`, bound to it, or undefined when the
 * addon is not built or (an older build) lacks it: for callers that run
 * without it (berthd's malloc_trim, reduceMemory, execve).
 */
export function addonFunction<F extends (...args: never[]) => unknown>(name: string, fn: string): F | undefined {
  let addon: Record<string, unknown>;
  try {
    addon = loadAddon<Record<string, unknown>>(name);
  } catch {
    return undefined;
  }
  const f = addon[fn];
  return typeof f === 'function' ? (f.bind(addon) as F) : undefined;
}

/** Absolute path of a native executable; throws FailedPreconditionError when it is not built. */
export function nativeExecutable(name: string): string {
  const file = path.join(nativeBuildDir(), name);
  if (!fs.existsSync(file)) {
    throw new FailedPreconditionError(`native executable ${name} is not built (${file} missing): run \`npm run build:native\``);
  }
  return file;
}
