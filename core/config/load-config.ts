/**
 * Loads the effective daemon config: defaults, then daemon.json, then CLI
 * flags. Validated with ajv; every error names the file, the JSON pointer and
 * what was expected, e.g.
 * `daemon.json: /log-opts/max-size: must match pattern "^[0-9]+[kmg]?$"`.
 * A key given both as a flag and in the file is an error, as in dockerd.
 * The result is deeply frozen.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ErrorObject } from 'ajv';
import { InvalidArgumentError } from '../errors';
import type { DaemonConfig } from './daemon-config';
import { DEFAULT_CONFIG_FILE, defaultConfig } from './defaults';
import { compileSchema, type SchemaOptions } from '../validation/compile-schema';
import { daemonConfigSchema } from './schema';

export interface LoadConfigOptions {
  /** Path of daemon.json. When not given, DEFAULT_CONFIG_FILE is read if it exists. */
  file?: string;
  /** Values from command-line flags, daemon.json key names. */
  flags?: Partial<DaemonConfig>;
}

/** The options daemon.json's schema is compiled with (every error is reported). */
export const CONFIG_SCHEMA_OPTIONS: SchemaOptions = { allErrors: true };
const validateFile = compileSchema(daemonConfigSchema, CONFIG_SCHEMA_OPTIONS);

/** Formats one ajv error as `<pointer>: <message>`, naming unknown keys. */
export function formatAjvError(e: ErrorObject): string {
  const pointer = e.instancePath === '' ? '/' : e.instancePath;
  if (e.keyword === 'additionalProperties') {
    const key = (e.params as { additionalProperty: string }).additionalProperty;
    const where = e.instancePath === '' ? '' : e.instancePath;
    return `${where}/${key}: unknown key "${key}"`;
  }
  if (e.keyword === 'enum') {
    return `${pointer}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return `${pointer}: ${e.message ?? 'is invalid'}`;
}

/** Validates a parsed daemon.json object; throws InvalidArgumentError listing every problem. */
export function validateConfigObject(obj: unknown, label: string): asserts obj is Partial<DaemonConfig> {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    throw new InvalidArgumentError(`${label}: /: must be a JSON object`);
  }
  if (!validateFile(obj)) {
    // anyOf failures produce one error per branch; keep the most specific ones.
    const errs = (validateFile.errors ?? []).filter((e) => e.keyword !== 'anyOf');
    const lines = [...new Set(errs.map(formatAjvError))];
    throw new InvalidArgumentError(lines.map((l) => `${label}: ${l}`).join('\n'));
  }
}

function readConfigFile(file: string, explicit: boolean): Partial<DaemonConfig> {
  const label = path.basename(file) === 'daemon.json' ? 'daemon.json' : file;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !explicit) return {};
    throw new InvalidArgumentError(`${file}: cannot read config file: ${(err as Error).message}`);
  }
  if (text.trim() === '') return {};
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (err) {
    throw new InvalidArgumentError(`${label}: invalid JSON: ${(err as Error).message}`);
  }
  validateConfigObject(obj, label);
  return obj;
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v as Record<string, unknown>)) deepFreeze(x);
  }
  return v;
}

/** Loads, validates, merges and freezes the daemon config. */
export function loadConfig(opts: LoadConfigOptions = {}): Readonly<DaemonConfig> {
  const file = opts.file ?? DEFAULT_CONFIG_FILE;
  const fromFile = readConfigFile(file, opts.file !== undefined);
  const flags = Object.fromEntries(
    Object.entries(opts.flags ?? {}).filter(([, v]) => v !== undefined),
  ) as Partial<DaemonConfig>;
  validateConfigObject(flags, 'flags');
  const conflicts = Object.keys(flags)
    .filter((k) => k in fromFile)
    .map((k) => `${k}: (from flag: ${JSON.stringify(flags[k as keyof DaemonConfig])}, from file: ${JSON.stringify(fromFile[k as keyof DaemonConfig])})`);
  if (conflicts.length > 0) {
    throw new InvalidArgumentError(
      `unable to configure the berth daemon with file ${file}: the following directives are specified both as a flag and in the configuration file: ${conflicts.join(', ')}`,
    );
  }
  const merged: DaemonConfig = { ...defaultConfig(), ...fromFile, ...flags };
  if (merged.debug) merged['log-level'] = 'debug';
  if (merged.hosts.length === 0) merged.hosts = [`unix://${path.join(merged['exec-root'], 'berth.sock')}`];
  return deepFreeze(merged);
}
