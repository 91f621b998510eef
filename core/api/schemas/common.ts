/** Building blocks of the request body schemas (JSON Schema, checked by ajv). */
import type { JSONSchema } from '../../plugins/manifest';

/** A string. */
export const str: JSONSchema = { type: 'string' };
/** A boolean. */
export const bool: JSONSchema = { type: 'boolean' };
/** An integer. */
export const int: JSONSchema = { type: 'integer' };
/** An array of strings. */
export const strArr: JSONSchema = { type: 'array', items: str };
/** Docker's StrSlice: a string or an array of strings. */
export const strSlice: JSONSchema = { anyOf: [str, strArr, { type: 'null' }] };
/** An object of string values (labels, options). */
export const strMap: JSONSchema = { type: 'object', additionalProperties: str };
/** Any object. */
export const obj: JSONSchema = { type: 'object' };

/** `schema` or JSON null (Go's nil pointers / maps / slices). */
export function nullable(schema: JSONSchema): JSONSchema {
  return { anyOf: [schema, { type: 'null' }] };
}
