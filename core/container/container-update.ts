/**
 * `docker update`: the new HostConfig from an update body — resources
 * (Docker's validation) and the restart policy. Pure; the service applies the
 * resources to the running container and persists the result.
 */
import { InvalidArgumentError } from '../errors';
import { validateRestartPolicy } from './restart-policy';
import { type ResourceSupport, validateResources } from './spec/resources';
import type { HostConfig, RestartPolicy } from './types';

/** The body of `POST /containers/{id}/update`: resources and the restart policy. */
export type UpdateBody = Partial<Pick<HostConfig,
  'Memory' | 'MemorySwap' | 'MemoryReservation' | 'CpuShares' | 'NanoCpus' | 'CpuQuota' | 'CpuPeriod' |
  'CpusetCpus' | 'CpusetMems' | 'PidsLimit' | 'BlkioWeight'>> & { RestartPolicy?: RestartPolicy };

const FIELDS = ['Memory', 'MemorySwap', 'MemoryReservation', 'CpuShares', 'NanoCpus', 'CpuQuota', 'CpuPeriod',
  'CpusetCpus', 'CpusetMems', 'PidsLimit', 'BlkioWeight'] as const;

/**
 * Applies `body` to a copy of `hc`. InvalidArgumentError naming the field for
 * a wrong type, Docker's messages for bad values and for a restart policy on
 * an AutoRemove container. Returns the new HostConfig and the warnings.
 */
export function updatedHostConfig(hc: HostConfig, body: UpdateBody, support: ResourceSupport): { next: HostConfig; warnings: string[] } {
  const next: HostConfig = { ...hc };
  for (const f of FIELDS) {
    const v = (body as Record<string, unknown>)[f];
    if (v === undefined || v === null) continue;
    const want = typeof hc[f] === 'string' ? 'string' : 'number';
    if (typeof v !== want) throw new InvalidArgumentError(`/${f}: must be ${want === 'string' ? 'string' : 'integer'}`);
    (next as unknown as Record<string, unknown>)[f] = v;
  }
  // a new memory limit above the old swap limit: swap follows it when not given (Docker)
  if (body.Memory && !body.MemorySwap && next.MemorySwap > 0 && next.MemorySwap < next.Memory) next.MemorySwap = 0;
  if (body.NanoCpus) { next.CpuQuota = body.CpuQuota ?? 0; next.CpuPeriod = body.CpuPeriod ?? 0; }
  const warnings = validateResources(next, support);
  if (body.RestartPolicy && body.RestartPolicy.Name !== undefined) {
    const rp = { Name: body.RestartPolicy.Name || 'no', MaximumRetryCount: body.RestartPolicy.MaximumRetryCount ?? 0 } as RestartPolicy;
    if (hc.AutoRemove && rp.Name !== 'no') throw new InvalidArgumentError('Restart policy cannot be updated because AutoRemove is enabled for the container');
    validateRestartPolicy(rp, false);
    next.RestartPolicy = rp;
  }
  return { next, warnings };
}
