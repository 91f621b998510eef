/** The `system.df` job: `GET /system/df`, from the domain list jobs. */
import type { Kernel } from '../daemon/kernel';
import type { JobName } from '../engine/job-map';
import type { SystemDataUsage } from './system-jobs';

async function list<T>(kernel: Kernel, name: string, input: unknown): Promise<T[]> {
  if (!kernel.engine.has(name)) return [];
  const out = await kernel.engine.run(name as JobName, input as never) as unknown;
  if (Array.isArray(out)) return out as T[];
  const volumes = (out as { Volumes?: T[] } | undefined)?.Volumes;
  return Array.isArray(volumes) ? volumes : [];
}

interface ImageRow { Id: string; Size?: number; VirtualSize?: number; SharedSize?: number; Containers?: number }
interface ContainerRow { ImageID?: string }

/** Docker's SystemDataUsageResponse. `type` limits which parts are computed. */
export async function systemDf(kernel: Kernel, type?: string[]): Promise<SystemDataUsage> {
  const want = (t: string): boolean => !type || type.length === 0 || type.includes(t);
  const containers = want('container') || want('image') ? await list<ContainerRow>(kernel, 'container.list', { all: true, size: true }) : [];
  const images = want('image') ? await list<ImageRow>(kernel, 'image.list', { all: false }) : [];
  const volumes = want('volume') ? await list<Record<string, unknown>>(kernel, 'volume.list', {}) : [];
  for (const img of images) {
    img.Containers = containers.filter((c) => c.ImageID === img.Id).length;
    // The CLI's RECLAIMABLE column needs both; berth does not compute layer sharing yet.
    if (img.SharedSize === undefined || img.SharedSize < 0) img.SharedSize = 0;
    if (img.VirtualSize === undefined || img.VirtualSize < 0) img.VirtualSize = img.Size ?? 0;
  }
  return {
    LayersSize: images.reduce((n, i) => n + (i.Size ?? 0), 0),
    Images: images,
    Containers: want('container') ? containers : [],
    Volumes: volumes.map((v) => ({ UsageData: { Size: -1, RefCount: -1 }, ...v })),
    BuildCache: [],
  };
}
