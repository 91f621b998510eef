/**
 * `setupImages(kernel)`: picks the graph driver, builds the ImageService,
 * registers both in the kernel (`Tokens.GraphDriver`, `Tokens.ImageService`,
 * `kernel:images`) and the image jobs on the engine.
 */
import 'reflect-metadata';
import type { Kernel } from '../daemon/kernel';
import { Tokens } from '../daemon/kernel';
import { selectGraphDriver } from './graph-driver-select';
import { registerImageJobs } from './image-jobs';
import { ImageService } from './image-service';

/** Sets up the image domain; resolves with the service once its stores are open and cleaned. */
export async function setupImages(kernel: Kernel): Promise<ImageService> {
  const driver = await selectGraphDriver(kernel);
  kernel.di.register(Tokens.GraphDriver, { useValue: driver });
  const svc = kernel.di.resolve(ImageService);
  try {
    await svc.init();
  } catch (err) {
    await driver.cleanup().catch(() => undefined);
    throw err;
  }
  kernel.di.register(Tokens.ImageService, { useValue: svc });
  kernel.plugins.provide('kernel:images', svc, 'core');
  registerImageJobs(kernel, svc);
  kernel.hooks.engine.shutdown.tapPromise('core.images', () => svc.close());
  return svc;
}
