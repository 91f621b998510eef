/** The image domain: what the rest of core (and the registry plugin, via `kernel:images`) uses. */
export { setupImages } from './setup';
export { ImageService, type UsageCheck } from './image-service';
export type { ImageRecord, ImageSummary, ImageInspect, HistoryResponseItem, ImageDeleteResponseItem, ImagePruneResponse, CommitOptions } from './image-types';
export type { OciImageConfigFile, ImageRunConfig, HistoryEntry } from './image-config';
export { parseImageConfig, configBytes, hostArchitecture } from './image-config';
export { ContentStore, type IngestWriter } from './content-store';
export { LayerStore, type LayerInfo, type MountInfo } from './layer-store';
export { parseReference, familiarName, familiarString, referenceString, withDefaultTag, type Reference } from './reference';
export { chainIds, chainIdOf, sha256Digest, isDigest, DigestStream } from './digest';
export { applyChanges } from './changes';
export { selectGraphDriver, storageOptions } from './graph-driver-select';
export { saveImages, loadImages } from './docker-archive';
export { buildTar, type TarEntrySpec } from './tar-build';
export * from './layer-tools';
