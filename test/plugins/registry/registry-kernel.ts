/**
 * A real kernel for the registry end-to-end tests: the vfs graph driver and
 * the registry plugin loaded by the plugin host, the image domain set up on a
 * temp data root. Also runs jobs collecting their progress lines.
 */
import { PassThrough, Readable } from 'node:stream';
import type { DaemonConfig } from '../../../core/config/daemon-config';
import type { OwnedKernel } from '../../../core/daemon/create-kernel';
import type { JobInput, JobName, JobOutput } from '../../../core/engine/job-map';
import type { ImageService } from '../../../core/image/image-service';
import { setupImages } from '../../../core/image/setup';
import type { ProgressMessage } from '../../../core';
import { makeTestKernel } from '../../helpers/test-kernel';

export interface RegistryKernel { kernel: OwnedKernel; images: ImageService }

/** Boots the kernel with `plugin-options["registry.distribution"] = options` on graph driver `driver` (vfs by default). */
export async function bootRegistryKernel(dataRoot: string, options: Record<string, unknown>, config: Partial<DaemonConfig> = {},
  driver: 'vfs' | 'overlay2' = 'vfs'): Promise<RegistryKernel> {
  const kernel = await makeTestKernel({
    dataRoot,
    builtins: [`plugins/graphdriver-${driver}`, 'plugins/registry'],
    config: { 'storage-driver': driver, 'plugin-options': { 'registry.distribution': options }, ...config },
  });
  try {
    return { kernel, images: await setupImages(kernel) };
  } catch (err) {
    await kernel.close();
    throw err;
  }
}

/** Runs a streaming job; resolves with its output and the JSON lines it wrote to stdout. */
export async function runWithProgress<N extends JobName>(kernel: OwnedKernel, name: N, input: JobInput<N>):
Promise<{ output: JobOutput<N>; msgs: ProgressMessage[] }> {
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (c: Buffer) => chunks.push(c));
  const stderr = new PassThrough();
  stderr.resume();
  const output = await kernel.engine.run(name, input, { io: { stdin: Readable.from([]), stdout, stderr } });
  const msgs = Buffer.concat(chunks).toString().split('\r\n').filter(Boolean).map((l) => JSON.parse(l) as ProgressMessage);
  return { output, msgs };
}
