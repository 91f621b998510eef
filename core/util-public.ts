/** Small helpers the kernel shares with plugins. Keep this file short; add only what two plugins need. */
export * from './fs/atomic-write';
export * from './native/loader';
/** JSON Schema validation, precompiled at build time for schemas loaded as the module loads (plugins use it for their own). */
export { compileSchema, lazySchema, type SchemaOptions, type SchemaValidator } from './validation/compile-schema';
