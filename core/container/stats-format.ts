/**
 * Docker's stats JSON (`GET /containers/{id}/stats`, StatsJSON v1.41) from
 * the exec driver's ContainerStats; `precpu_stats` is the previous sample.
 */
import type { ContainerStats } from '../drivers/execdriver';

export type DockerStats = Record<string, unknown>;

const ZERO_TIME_STATS = '0001-01-01T00:00:00Z';

function cpuStats(s: ContainerStats | null): Record<string, unknown> {
  if (!s) {
    return { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } };
  }
  const usage: Record<string, unknown> = { total_usage: s.cpu.totalUsage, usage_in_kernelmode: 0, usage_in_usermode: 0 };
  if (s.cpu.percpuUsage) usage.percpu_usage = s.cpu.percpuUsage;
  return {
    cpu_usage: usage,
    system_cpu_usage: s.cpu.systemUsage,
    online_cpus: s.cpu.onlineCpus,
    throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
  };
}

/** One stats object in Docker's shape. `cur` null means "not running" (all zeros, as Docker sends). */
export function dockerStats(id: string, name: string, cur: ContainerStats | null, prev: ContainerStats | null): DockerStats {
  const memory: Record<string, unknown> = cur
    ? { usage: cur.memory.usage, limit: cur.memory.limit, ...(cur.memory.maxUsage !== undefined ? { max_usage: cur.memory.maxUsage } : {}), stats: cur.memory.stats ?? {} }
    : {};
  const pids: Record<string, unknown> = cur ? { current: cur.pids.current, ...(cur.pids.limit !== undefined ? { limit: cur.pids.limit } : {}) } : {};
  return {
    read: cur?.read ?? ZERO_TIME_STATS,
    preread: prev?.read ?? ZERO_TIME_STATS,
    pids_stats: pids,
    blkio_stats: {
      io_service_bytes_recursive: null, io_serviced_recursive: null, io_queue_recursive: null, io_service_time_recursive: null,
      io_wait_time_recursive: null, io_merged_recursive: null, io_time_recursive: null, sectors_recursive: null,
    },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpuStats(cur),
    precpu_stats: cpuStats(prev),
    memory_stats: memory,
    name,
    id,
  };
}
