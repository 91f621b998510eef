/** The driver interfaces: one file per kind. See docs/plugin-api.md. */
export * from './graphdriver';
export * from './execdriver';
export * from './networkdriver';
export * from './logdriver';
export * from './volumedriver';
export * from './registry';
