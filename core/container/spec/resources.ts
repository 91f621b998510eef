/**
 * Cgroup resources from a HostConfig: Docker's validation rules and messages
 * (moby `daemon/daemon_unix.go verifyPlatformContainerResources`) and the
 * mapping to the exec driver's Resources.
 */
import { existsSync } from 'node:fs';
import * as os from 'node:os';
import { InvalidArgumentError } from '../../errors';
import type { Resources } from '../../drivers/execdriver';
import type { HostConfig } from '../types';
import { DEFAULT_CPU_PERIOD } from './defaults';

/** Docker's minimum memory limit (6 MiB). */
export const MIN_MEMORY = 6 * 1024 * 1024;

export type ResourceFields = Pick<HostConfig,
  'Memory' | 'MemorySwap' | 'MemoryReservation' | 'CpuShares' | 'NanoCpus' | 'CpuQuota' | 'CpuPeriod' |
  'CpusetCpus' | 'CpusetMems' | 'PidsLimit' | 'BlkioWeight'>;

/** What the host supports, so warnings are honest (probed once by the service). */
export interface ResourceSupport {
  swapLimit: boolean;
  cpus: number;
  /** The unified cgroup v2 hierarchy is mounted at /sys/fs/cgroup (the default cgroup namespace is then private). */
  cgroupV2?: boolean;
}

/** Probes this host's cgroups for swap accounting (v1 memsw files or v2 memory.swap.max). */
export function probeResourceSupport(): ResourceSupport {
  const swapLimit = existsSync('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes')
    || existsSync('/sys/fs/cgroup/cgroup.controllers');
  return { swapLimit, cpus: os.cpus().length, cgroupV2: existsSync('/sys/fs/cgroup/cgroup.controllers') };
}

function parseCpuList(list: string, what: string, max: number): number[] {
  const out: number[] = [];
  for (const part of list.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new InvalidArgumentError(`Invalid value ${list} for ${what}.`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw new InvalidArgumentError(`Invalid value ${list} for ${what}.`);
    for (let i = a; i <= b; i++) out.push(i);
  }
  if (out.some((c) => c >= max)) {
    throw new InvalidArgumentError(`Requested ${what === 'cpuset.cpus' ? 'CPUs' : 'memory nodes'} are not available - requested ${list}, available: 0-${max - 1}.`);
  }
  return out;
}

/**
 * Checks the resource fields with Docker's rules; returns warnings (for the
 * create response) and throws InvalidArgumentError with Docker's message for
 * impossible values. May adjust `hc` like Docker does (MemorySwap = -1 when
 * the kernel has no swap accounting).
 */
export function validateResources(hc: ResourceFields, support: ResourceSupport): string[] {
  const warnings: string[] = [];
  if (hc.Memory < 0) throw new InvalidArgumentError('/HostConfig/Memory: must not be negative');
  if (hc.Memory > 0 && hc.Memory < MIN_MEMORY) throw new InvalidArgumentError('Minimum memory limit allowed is 6MB');
  if (hc.MemorySwap > 0 && hc.Memory === 0) {
    throw new InvalidArgumentError('You should always set the Memory limit when using Memoryswap limit, see usage');
  }
  if (hc.Memory > 0 && hc.MemorySwap > 0 && hc.MemorySwap < hc.Memory) {
    throw new InvalidArgumentError('Minimum memoryswap limit should be larger than memory limit, see usage');
  }
  if (hc.Memory > 0 && hc.MemorySwap !== -1 && !support.swapLimit) {
    warnings.push('Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.');
    hc.MemorySwap = -1;
  }
  if (hc.MemoryReservation > 0 && hc.Memory > 0 && hc.Memory < hc.MemoryReservation) {
    throw new InvalidArgumentError('Minimum memory limit can not be less than memory reservation limit, see usage');
  }
  if (hc.CpuShares < 0) throw new InvalidArgumentError('/HostConfig/CpuShares: must not be negative');
  if (hc.NanoCpus > 0 && hc.CpuPeriod > 0) throw new InvalidArgumentError('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  if (hc.NanoCpus > 0 && hc.CpuQuota > 0) throw new InvalidArgumentError('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  if (hc.NanoCpus < 0 || hc.NanoCpus > support.cpus * 1e9) {
    throw new InvalidArgumentError(`Range of CPUs is from 0.01 to ${support.cpus}.00, as there are only ${support.cpus} CPUs available`);
  }
  if (hc.CpuPeriod !== 0 && (hc.CpuPeriod < 1000 || hc.CpuPeriod > 1_000_000)) {
    throw new InvalidArgumentError('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  }
  if (hc.CpuQuota > 0 && hc.CpuQuota < 1000) throw new InvalidArgumentError('CPU cfs quota can not be less than 1ms (i.e. 1000)');
  if (hc.BlkioWeight > 0 && (hc.BlkioWeight < 10 || hc.BlkioWeight > 1000)) {
    throw new InvalidArgumentError('Range of blkio weight is from 10 to 1000');
  }
  if (hc.CpusetCpus) parseCpuList(hc.CpusetCpus, 'cpuset.cpus', support.cpus);
  if (hc.CpusetMems) parseCpuList(hc.CpusetMems, 'cpuset.mems', 1);
  return warnings;
}

/** The exec driver's Resources for a HostConfig: absent fields mean no limit. */
export function toResources(hc: ResourceFields): Resources {
  const r: Resources = {};
  if (hc.Memory > 0) {
    r.memory = hc.Memory;
    // Docker: unset swap → as much swap as memory (memsw = 2×memory); -1 → unlimited
    r.memorySwap = hc.MemorySwap === 0 ? hc.Memory * 2 : hc.MemorySwap;
  }
  if (hc.CpuShares > 0) r.cpuShares = hc.CpuShares;
  if (hc.NanoCpus > 0) {
    r.cpuPeriod = DEFAULT_CPU_PERIOD;
    r.cpuQuota = Math.round((hc.NanoCpus * DEFAULT_CPU_PERIOD) / 1e9);
  } else {
    if (hc.CpuQuota > 0) r.cpuQuota = hc.CpuQuota;
    if (hc.CpuPeriod > 0) r.cpuPeriod = hc.CpuPeriod;
  }
  if (hc.CpusetCpus) r.cpusetCpus = hc.CpusetCpus;
  if (hc.CpusetMems) r.cpusetMems = hc.CpusetMems;
  if (hc.PidsLimit !== null && hc.PidsLimit > 0) r.pidsLimit = hc.PidsLimit;
  if (hc.BlkioWeight > 0) r.blkioWeight = hc.BlkioWeight;
  return r;
}
