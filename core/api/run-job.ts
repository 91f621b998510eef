/**
 * Runs a job by its (Docker-operation) name on the kernel's engine, for the
 * API server. Domain jobs are typed in each domain's JobMap declarations; the
 * API only knows names, so inputs and outputs pass through as plain JSON.
 */
import type { Kernel } from '../daemon/kernel';
import type { RunOptions } from '../engine/engine';
import type { JobName } from '../engine/job-map';
import { NotImplementedError } from '../errors';

/**
 * Runs `name` with `input`. NotImplementedError (501) naming the job when no
 * loaded service registers it; otherwise whatever the job returns or throws.
 */
export async function runJob(kernel: Kernel, name: string, input: unknown, opts: RunOptions = {}): Promise<unknown> {
  if (!kernel.engine.has(name)) {
    throw new NotImplementedError(`${name} is not available: no loaded service provides it`);
  }
  return kernel.engine.run(name as JobName, input as never, opts);
}
