/**
 * The json-file driver's `--log-opt` values: which exist, and how each is
 * parsed, with Docker's rules and messages (moby daemon/logger/jsonfilelog).
 */
import { InvalidArgumentError } from '../../core';

/** Options json-file understands (Docker's list plus the daemon-wide `mode` and `max-buffer-size`). */
export const JSON_FILE_OPTIONS: readonly string[] = Object.freeze([
  'max-file', 'max-size', 'compress', 'labels', 'labels-regex', 'env', 'env-regex', 'tag',
  'mode', 'max-buffer-size',
]);

export interface JsonFileOptions {
  /** Rotate when the file reaches this many bytes; -1: never. */
  maxSize: number;
  /** Files kept, the current one included (1: truncate in place). */
  maxFile: number;
  /** Gzip rotated files. */
  compress: boolean;
}

const SIZE = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/;
const UNIT_POWER: Record<string, number> = { k: 1, m: 2, g: 3, t: 4, p: 5 };

/**
 * Parses a human size as go-units does: `FromHumanSize` (decimal, `10m` =
 * 10,000,000) or, with `binary`, `RAMInBytes` (`10m` = 10 MiB).
 */
export function parseHumanSize(option: string, value: string, binary = false): number {
  const m = SIZE.exec(value);
  if (!m) throw new InvalidArgumentError(`invalid value for log opt '${option}': invalid size: '${value}'`);
  const base = binary ? 1024 : 1000;
  const power = m[2] ? UNIT_POWER[m[2].toLowerCase()] : 0;
  return Math.trunc(parseFloat(m[1]) * base ** power);
}

/** Go's strconv.ParseBool. */
export function parseGoBool(option: string, value: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  throw new InvalidArgumentError(`invalid value for log opt '${option}': strconv.ParseBool: parsing ${JSON.stringify(value)}: invalid syntax`);
}

/** Throws InvalidArgumentError naming the first option json-file does not know (Docker's wording). */
export function checkKnownOptions(options: Record<string, string>): void {
  for (const key of Object.keys(options)) {
    if (!JSON_FILE_OPTIONS.includes(key)) {
      throw new InvalidArgumentError(`unknown log opt '${key}' for json-file log driver`);
    }
  }
}

/** Parses and checks max-size, max-file and compress together, as Docker does at create. */
export function parseJsonFileOptions(options: Record<string, string>): JsonFileOptions {
  let maxSize = -1;
  if (options['max-size'] !== undefined) {
    maxSize = parseHumanSize('max-size', options['max-size']);
    if (maxSize <= 0) throw new InvalidArgumentError(`invalid value for log opt 'max-size': max-size must be a positive number`);
  }
  let maxFile = 1;
  if (options['max-file'] !== undefined) {
    const v = options['max-file'];
    if (!/^[+-]?\d+$/.test(v)) {
      throw new InvalidArgumentError(`invalid value for log opt 'max-file': strconv.Atoi: parsing ${JSON.stringify(v)}: invalid syntax`);
    }
    maxFile = Number(v);
    if (maxFile < 1) throw new InvalidArgumentError(`invalid value for log opt 'max-file': max-file cannot be less than 1`);
  }
  let compress = false;
  if (options.compress !== undefined) {
    compress = parseGoBool('compress', options.compress);
    if (compress && (maxFile === 1 || maxSize === -1)) {
      throw new InvalidArgumentError(`invalid value for log opt 'compress': compress cannot be true when max-file is less than 2 or max-size is not set`);
    }
  }
  for (const key of ['labels-regex', 'env-regex']) {
    if (options[key] === undefined) continue;
    try { new RegExp(options[key]); } catch (err) {
      throw new InvalidArgumentError(`invalid value for log opt '${key}': ${(err as Error).message}`);
    }
  }
  if (options.mode !== undefined && options.mode !== 'blocking' && options.mode !== 'non-blocking') {
    throw new InvalidArgumentError(`invalid value for log opt 'mode': logger: logging mode not supported: ${options.mode}`);
  }
  if (options['max-buffer-size'] !== undefined) {
    if (options.mode !== 'non-blocking') {
      throw new InvalidArgumentError(`invalid value for log opt 'max-buffer-size': logger: max-buffer-size option is only supported with 'mode=non-blocking'`);
    }
    parseHumanSize('max-buffer-size', options['max-buffer-size'], true);
  }
  return { maxSize, maxFile, compress };
}
