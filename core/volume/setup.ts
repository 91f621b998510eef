/** Builds the volume service, registers it and its jobs. */
import type { Kernel } from '../daemon/kernel';
import { Tokens } from '../daemon/kernel';
import { registerVolumeJobs } from './jobs';
import { VolumeService } from './volume-service';

/** setupVolumes(kernel): the VolumeService under Tokens.VolumeService and `kernel:volumes`, plus the volume.* jobs. */
export async function setupVolumes(kernel: Kernel): Promise<VolumeService> {
  const service = kernel.di.resolve(VolumeService);
  kernel.di.register(Tokens.VolumeService, { useValue: service });
  kernel.plugins.provide('kernel:volumes', service);
  registerVolumeJobs(kernel.engine, service);
  return service;
}
