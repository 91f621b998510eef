/**
 * Finds and loads a plugin module (an npm package name or a path) and checks
 * that what it exports is a manifest. Errors name the module.
 */
import * as path from 'node:path';
// Only the three functions used: `semver` itself loads all 47 of its modules.
import satisfies from 'semver/functions/satisfies';
import valid from 'semver/functions/valid';
import validRange from 'semver/ranges/valid';
import { InvalidArgumentError } from '../errors';
import { PLUGIN_API_VERSION, PluginKinds, type PluginManifest } from './manifest';

/** Resolves a module reference: paths relative to `baseDir`, names through Node's resolution from `baseDir`. */
export function resolvePluginModule(ref: string, baseDir: string): string {
  const isPath = ref.startsWith('.') || ref.startsWith('/');
  const target = isPath ? path.resolve(baseDir, ref) : ref;
  try {
    return require.resolve(target, { paths: [baseDir, process.cwd()] });
  } catch (err) {
    throw new InvalidArgumentError(`plugin ${ref}: cannot find module (looked from ${baseDir}): ${(err as Error).message.split('\n')[0]}`);
  }
}

/** Loads the module at `file` and returns its manifest, checked for shape and API version. */
export function loadManifest(file: string, label: string): PluginManifest {
  let mod: unknown;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(file);
  } catch (err) {
    throw new InvalidArgumentError(`plugin ${label}: failed to load: ${(err as Error).message}`, { cause: err });
  }
  const m = mod as { default?: unknown; manifest?: unknown };
  const manifest = (m.default ?? m.manifest ?? mod) as Partial<PluginManifest>;
  const problems: string[] = [];
  if (typeof manifest !== 'object' || manifest === null) problems.push('exports no manifest object');
  else {
    if (typeof manifest.kind !== 'string' || !(manifest.kind in PluginKinds)) problems.push(`kind must be one of ${Object.keys(PluginKinds).join(', ')}`);
    if (typeof manifest.id !== 'string' || !/^[a-z0-9][a-z0-9_.-]*$/.test(manifest.id)) problems.push('id must match ^[a-z0-9][a-z0-9_.-]*$');
    if (typeof manifest.version !== 'string' || !valid(manifest.version)) problems.push('version must be a semver version');
    if (typeof manifest.apiVersion !== 'string' || !validRange(manifest.apiVersion)) problems.push('apiVersion must be a semver range');
    if (typeof manifest.init !== 'function') problems.push('init must be a function');
  }
  if (problems.length > 0) throw new InvalidArgumentError(`plugin ${label}: invalid manifest: ${problems.join('; ')}`);
  const full = manifest as PluginManifest;
  if (!satisfies(PLUGIN_API_VERSION, full.apiVersion)) {
    throw new InvalidArgumentError(
      `plugin ${full.kind}.${full.id} (${label}): written for plugin API ${full.apiVersion}, but this berth implements ${PLUGIN_API_VERSION}`,
    );
  }
  return full;
}
