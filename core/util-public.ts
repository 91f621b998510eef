/** Small helpers the kernel shares with plugins. Keep this file short; add only what two plugins need. */
export * from './fs/atomic-write';
export * from './native/loader';
