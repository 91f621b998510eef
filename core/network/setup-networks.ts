/**
 * setupNetworks(kernel): builds the NetworkService, registers it under
 * Tokens.NetworkService and as `kernel:networks`-compatible service in DI,
 * registers the network.* jobs, and starts it (reconcile + built-in networks).
 */
import type { Kernel } from '../daemon/kernel';
import { Tokens } from '../daemon/kernel';
import { registerNetworkJobs } from './network-jobs';
import { NetworkService, NetworkServiceOptionsToken, type NetworkServiceOptions } from './network-service';

/** DI name under which plugins find the service through the kernel (`kernel:networks`). */
export const KERNEL_NETWORKS = 'kernel:networks';

/** Builds, registers and starts the network domain; resolves with the service. */
export async function setupNetworks(kernel: Kernel, options: NetworkServiceOptions = {}): Promise<NetworkService> {
  if (!kernel.di.isRegistered(Tokens.Kernel)) kernel.di.registerInstance(Tokens.Kernel, kernel);
  kernel.di.registerInstance(NetworkServiceOptionsToken, options);
  const svc = kernel.di.resolve(NetworkService);
  kernel.di.registerInstance(Tokens.NetworkService, svc);
  kernel.di.registerInstance(KERNEL_NETWORKS, svc);
  registerNetworkJobs(kernel.engine, svc);
  await svc.start();
  return svc;
}
