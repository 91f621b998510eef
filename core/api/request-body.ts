/**
 * Request bodies: read whole (JSON bodies are small) with a size cap, parsed as
 * JSON with a 400 naming the problem when malformed, and validated against the
 * route's JSON Schema with ajv so a wrong type or value is a 400 naming the
 * field, before any job runs.
 */
import type { Readable } from 'node:stream';
import type { ErrorObject } from 'ajv';
import { lazySchema, type SchemaOptions } from '../validation/compile-schema';
import { InvalidArgumentError } from '../errors';
import type { JSONSchema } from '../plugins/manifest';

/** Largest JSON body accepted (Docker's create bodies are a few KiB). */
export const MAX_JSON_BODY = 10 * 1024 * 1024;

/** Reads a stream to the end, refusing more than `limit` bytes. */
export async function readAll(stream: Readable, limit = MAX_JSON_BODY): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    size += b.length;
    if (size > limit) throw new InvalidArgumentError(`request body is larger than ${limit} bytes`);
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

/**
 * Parses a JSON body. Empty (or whitespace) → undefined. Malformed →
 * InvalidArgumentError `invalid JSON in request body: <parser message>`.
 */
export function parseJsonBody(raw: Buffer): unknown {
  const text = raw.toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InvalidArgumentError(`invalid JSON in request body: ${(err as Error).message}`);
  }
}

/** The options request body schemas are compiled with (the first error only; no coercion, no defaults). */
export const BODY_SCHEMA_OPTIONS: SchemaOptions = { allErrors: false, useDefaults: false };

function fieldOf(e: ErrorObject): string {
  const parts = e.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (e.keyword === 'required') parts.push(String((e.params as { missingProperty: string }).missingProperty));
  if (e.keyword === 'additionalProperties') parts.push(String((e.params as { additionalProperty: string }).additionalProperty));
  return parts.length === 0 ? 'body' : parts.reduce((acc, p) => (/^[0-9]+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}

/** A body validator: throws InvalidArgumentError naming the first bad field. */
export type BodyValidator = (body: unknown) => void;

/**
 * A route's body schema as a validator, compiled at its first use: most
 * routes of a daemon are never called, and every compiled schema stays in
 * its heap (generated code and its source).
 */
export function compileBodySchema(schema: JSONSchema): BodyValidator {
  const validate = lazySchema(schema, BODY_SCHEMA_OPTIONS);
  return (body: unknown): void => {
    if (validate(body)) return;
    const e = validate.errors?.[0];
    if (!e) throw new InvalidArgumentError('invalid request body');
    const field = fieldOf(e);
    if (e.keyword === 'required') throw new InvalidArgumentError(`invalid request body: ${field} is required`);
    const what = e.keyword === 'enum'
      ? `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`
      : e.message ?? 'is invalid';
    throw new InvalidArgumentError(`invalid value for ${field}: ${what}`);
  };
}
