/**
 * JSON Schema validators, compiled ahead of time where the schema is known
 * at build time.
 *
 * berth's own schemas (daemon.json, the API's request bodies, container
 * create, volume create, the built-in plugins' options, seccomp profiles)
 * are compiled to JavaScript by the build (`npm run build:ts` runs
 * precompile.ts after tsc: ajv's standalone code, one module per schema in
 * dist/core/validation/generated/). At run time such a schema is found by a
 * hash of its JSON and its options and its module is loaded on first use, so
 * a daemon never loads ajv itself, nor compiles: ajv (63 modules) and the
 * validators it generated at run time (their source kept in the heap, the
 * draft-07 meta-schema's validator once per instance) were ~3 MiB of a
 * fresh berthd's 60 (docs/footprint.md).
 *
 * Any other schema (a third-party plugin's options) is compiled with ajv,
 * loaded then, as before. A schema edited without rebuilding has another
 * hash, so it is compiled at run time too: a stale generated module is never
 * used.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { default as AjvClass, ErrorObject, Options } from 'ajv';

/** The ajv options berth's schemas differ by (all of them run with `strict: false`). */
export interface SchemaOptions {
  /** Report every error instead of the first. */
  allErrors?: boolean;
  /** Fill in `default` values of missing properties (mutates the data). */
  useDefaults?: boolean;
}

/** A compiled schema: true when `data` is valid; otherwise `errors` holds ajv's error objects. */
export interface SchemaValidator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

/** Where the build writes the precompiled validators. */
export const GENERATED_DIR = path.join(__dirname, 'generated');

/** The ajv options for a SchemaOptions (the same at build time and at run time). */
export function ajvOptions(opts: SchemaOptions): Options {
  return { strict: false, allErrors: opts.allErrors === true, useDefaults: opts.useDefaults === true };
}

/** The name of a schema's precompiled module: a hash of its JSON and its options. */
export function schemaKey(schema: object, opts: SchemaOptions): string {
  const o = ajvOptions(opts);
  return createHash('sha256').update(JSON.stringify([o.allErrors, o.useDefaults, schema])).digest('hex').slice(0, 24);
}

const runtimeAjv = new Map<string, AjvClass>();

/** Told of every schema compileSchema and lazySchema are given (the build's precompile step). */
export type SchemaRecorder = (schema: object, opts: SchemaOptions) => void;
let recorder: SchemaRecorder | undefined;

/** Sets (or, with undefined, clears) the recorder; only the build's precompile step uses it. */
export function setSchemaRecorder(r: SchemaRecorder | undefined): void {
  recorder = r;
}

/** An ajv instance per option set, created (and ajv loaded) only when a schema was not precompiled. */
function ajvFor(opts: SchemaOptions): AjvClass {
  const o = ajvOptions(opts);
  const k = `${o.allErrors}/${o.useDefaults}`;
  let ajv = runtimeAjv.get(k);
  if (!ajv) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Ajv = (require('ajv') as { default: typeof AjvClass }).default;
    ajv = new Ajv(o);
    runtimeAjv.set(k, ajv);
  }
  return ajv;
}

/**
 * The validator of `schema`: its precompiled module when the build made one
 * for this schema and these options, otherwise compiled now with ajv. Throws
 * ajv's error for a schema that is not valid JSON Schema.
 */
export function compileSchema(schema: object, opts: SchemaOptions = {}): SchemaValidator {
  recorder?.(schema, opts);
  const file = generatedFile(schema, opts);
  if (fs.existsSync(file)) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(file) as SchemaValidator;
  }
  return ajvFor(opts).compile(schema) as SchemaValidator;
}

/**
 * Like compileSchema, but compiled at the first validation: for schemas most
 * processes never use (most API routes are never called).
 */
export function lazySchema(schema: object, opts: SchemaOptions = {}): SchemaValidator {
  recorder?.(schema, opts);
  let v: SchemaValidator | undefined;
  const validate = ((data: unknown): boolean => {
    v ??= compileSchema(schema, opts);
    const ok = v(data);
    validate.errors = v.errors;
    return ok;
  }) as SchemaValidator;
  return validate;
}

/** Whether `schema` with `opts` has a precompiled module. */
export function isPrecompiled(schema: object, opts: SchemaOptions = {}): boolean {
  return fs.existsSync(generatedFile(schema, opts));
}

/** Where the build writes the validator of `schema` with `opts`. */
function generatedFile(schema: object, opts: SchemaOptions): string {
  return path.join(GENERATED_DIR, `${schemaKey(schema, opts)}.js`);
}
