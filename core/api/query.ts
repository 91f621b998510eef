/**
 * Query-string parameters, typed the way Docker's handlers read them:
 * booleans with Go's lenient `boolValue`, integers, Docker's `filters` JSON,
 * repeated keys as lists. A route declares the parameters it reads; the
 * converted values become fields of the job input under Docker's own names.
 */
import { InvalidArgumentError } from '../errors';

/** How one query parameter is read. */
export type QueryType = 'string' | 'bool' | 'int' | 'number' | 'filters' | 'list' | 'json';

/** The declared parameters of a route: Docker name → type. */
export type QuerySpec = Readonly<Record<string, QueryType>>;

/** Docker filters, normalised to `{ key: [values] }`. */
export type Filters = Record<string, string[]>;

/**
 * Docker's `boolValue`: absent → undefined; "", "0", "no", "false", "none"
 * (any case) → false; anything else → true.
 */
export function parseBool(v: string): boolean {
  return !['', '0', 'no', 'false', 'none'].includes(v.trim().toLowerCase());
}

/**
 * Parses Docker's `filters` JSON: both `{"status":["running"]}` and the legacy
 * map form `{"status":{"running":true}}`. InvalidArgumentError naming the
 * problem when it is neither.
 */
export function parseFilters(raw: string): Filters {
  if (raw.trim() === '') return {};
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (err) {
    throw new InvalidArgumentError(`invalid filter: ${(err as Error).message}`);
  }
  if (v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) {
    throw new InvalidArgumentError('invalid filter: filters must be a JSON object of arrays');
  }
  const out: Filters = {};
  for (const [key, val] of Object.entries(v as Record<string, unknown>)) {
    if (Array.isArray(val) && val.every((x) => typeof x === 'string')) {
      out[key] = val as string[];
    } else if (typeof val === 'object' && val !== null && !Array.isArray(val)) {
      out[key] = Object.entries(val).filter(([, on]) => on === true).map(([k]) => k);
    } else {
      throw new InvalidArgumentError(`invalid filter '${key}': values must be an array of strings`);
    }
  }
  return out;
}

function parseOne(name: string, type: QueryType, all: string[]): unknown {
  const v = all[all.length - 1];
  switch (type) {
    case 'string': return v;
    case 'list': return all;
    case 'bool': return parseBool(v);
    case 'int': {
      if (!/^[-+]?[0-9]+$/.test(v.trim())) {
        throw new InvalidArgumentError(`invalid value for query parameter ${name}: ${JSON.stringify(v)} is not an integer`);
      }
      return Number.parseInt(v, 10);
    }
    case 'number': {
      const n = Number(v);
      if (v.trim() === '' || !Number.isFinite(n)) {
        throw new InvalidArgumentError(`invalid value for query parameter ${name}: ${JSON.stringify(v)} is not a number`);
      }
      return n;
    }
    case 'filters': return parseFilters(v);
    case 'json': {
      if (v.trim() === '') return undefined;
      try { return JSON.parse(v); } catch (err) {
        throw new InvalidArgumentError(`invalid value for query parameter ${name}: ${(err as Error).message}`);
      }
    }
  }
}

/**
 * Reads the declared parameters out of `params`. Absent parameters are left
 * out; undeclared ones are ignored (as Docker does). Throws
 * InvalidArgumentError naming the parameter for a malformed value.
 */
export function readQuery(params: URLSearchParams, spec: QuerySpec): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, type] of Object.entries(spec)) {
    const all = params.getAll(name);
    if (all.length === 0) continue;
    const v = parseOne(name, type, all);
    if (v !== undefined) out[name] = v;
  }
  return out;
}
