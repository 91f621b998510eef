/** The container domain: service, store, jobs and the pure builders other code may reuse. */
export { setupContainers, KERNEL_CONTAINERS } from './setup';
export { ContainerService, DEFAULT_STOP_TIMEOUT } from './container-service';
export type { CreateResult } from './container-service';
export type { UpdateBody } from './container-update';
export { ExecService } from './exec-service';
export { ContainerStore } from './store';
export { buildContainerSpec } from './spec/build-spec';
export type { SpecInput, SpecDefaults, BuiltSpec } from './spec/build-spec';
export { normaliseCreateBody } from './normalise-create';
export { mergeImageConfig, entrypointAndArgs } from './merge-config';
export type { ImagePort, NetworkPort, ImageRecordLike } from './ports';
export type * from './types';
import './job-types';
