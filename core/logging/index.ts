/** Container logging in the daemon: the copier, driver selection, the `none` driver, `docker logs` formatting. */
export * from './log-copier';
export * from './create-log-driver';
export * from './none-driver';
export * from './format-entry';
export { nowNs } from './log-clock';
export { LineSplitter } from './line-splitter';
export * from './write-log-batches';
