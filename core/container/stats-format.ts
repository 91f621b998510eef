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

export interface NetworkStats {
  rx_bytes: number; rx_packets: number; rx_errors: number; rx_dropped: number;
  tx_bytes: number; tx_packets: number; tx_errors: number; tx_dropped: number;
}

/**
 * Docker's `networks` stats from `/proc/<pid>/net/dev` text (the container's
 * own network namespace as PID 1 sees it), loopback left out as Docker does.
 */
export function parseNetDev(text: string): Record<string, NetworkStats> {
  const out: Record<string, NetworkStats> = {};
  for (const line of text.split('\n').slice(2)) {
    const m = /^\s*([^:\s]+):\s*(.*)$/.exec(line);
    if (!m || m[1] === 'lo') continue;
    const f = m[2].trim().split(/\s+/).map(Number);
    if (f.length < 16) continue;
    out[m[1]] = {
      rx_bytes: f[0], rx_packets: f[1], rx_errors: f[2], rx_dropped: f[3],
      tx_bytes: f[8], tx_packets: f[9], tx_errors: f[10], tx_dropped: f[11],
    };
  }
  return out;
}

/** One stats object in Docker's shape. `cur` null means "not running" (all zeros, as Docker sends). */
export function dockerStats(id: string, name: string, cur: ContainerStats | null, prev: ContainerStats | null,
  networks?: Record<string, NetworkStats>): DockerStats {
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
    ...(networks && Object.keys(networks).length > 0 ? { networks } : {}),
  };
}
