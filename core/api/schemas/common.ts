/** Building blocks of the request body schemas (JSON Schema, checked by ajv). */
import type { JSONSchema } from '../../plugins/manifest';

export const str: JSONSchema = { type: 'string' };
export const bool: JSONSchema = { type: 'boolean' };
export const int: JSONSchema = { type: 'integer' };
export const strArr: JSONSchema = { type: 'array', items: str };
/** Docker's StrSlice: a string or an array of strings. */
export const strSlice: JSONSchema = { anyOf: [str, strArr, { type: 'null' }] };
export const strMap: JSONSchema = { type: 'object', additionalProperties: str };
export const obj: JSONSchema = { type: 'object' };

/** `schema` or JSON null (Go's nil pointers / maps / slices). */
export function nullable(schema: JSONSchema): JSONSchema {
  return { anyOf: [schema, { type: 'null' }] };
}
