export { VolumeService } from './volume-service';
export type { ContainerVolumeMount, VolumePluginLookup } from './volume-service';
export { setupVolumes } from './setup';
export { validateVolumeName } from './volume-names';
export type { DockerVolume, VolumeCreateBody } from './types';
