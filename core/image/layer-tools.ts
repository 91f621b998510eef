/**
 * What graph-driver authors get from core to build a driver (re-exported by
 * core/drivers/graphdriver.ts, hence from the public API): safe extraction,
 * tar packing of trees and change lists, tree comparison, the naive differ,
 * xattr/device helpers and backing-filesystem detection.
 */
export { extractLayer, WHITEOUT_PREFIX, WHITEOUT_META_PREFIX, WHITEOUT_OPAQUE } from './extract';
export type { ExtractOptions, ExtractResult } from './extract';
export { packTree } from './tar-pack';
export type { PackItem } from './tar-pack';
export { walkTree } from './tree-walk';
export type { TreeEntry } from './tree-walk';
export { compareTrees, packItemsFor, changesSize, NaiveDiffDriver, withDiffer } from './naive-differ';
export { setXattrs, getXattrsTree, mknod, isWhiteoutDevice } from './fs-ops';
export type { XattrWrite } from './fs-ops';
export { resolveInRoot, cleanEntryName, isInside } from './secure-path';
export { backingFs } from './backing-fs';
