/**
 * A container's volumes and the volume service: anonymous ones are named at
 * create (kept in `VolumeRequests`, so restarts reuse them), every one is
 * mounted at start (copy-up by the volume service) and released at exit;
 * `rm -v` removes the anonymous ones.
 */
import type { Logger } from 'pino';
import type { ExecMount } from '../drivers/execdriver';
import { NotImplementedError } from '../errors';
import type { VolumePort } from './ports';
import type { ParsedMount } from './spec/mounts';
import type { Container, ContainerRecord } from './types';

/**
 * Records what each volume mount asks for, creating anonymous volumes (their
 * names pushed to `created`, so a failed create can remove them).
 */
export async function nameContainerVolumes(volumes: VolumePort | null, record: ContainerRecord, mounts: ParsedMount[], created: string[]): Promise<void> {
  if (mounts.length === 0) return;
  if (!volumes) throw new NotImplementedError('volume mounts need the volume service, which is not set up');
  record.VolumeRequests ??= {};
  for (const m of mounts) {
    const req = { ...m.volume!, name: m.volume?.name ?? '' };
    if (req.name === '') {
      req.name = (await volumes.create({ Driver: req.driver, DriverOpts: req.driverOpts, Labels: req.labels }, true)).Name;
      created.push(req.name);
    }
    record.VolumeRequests[m.destination] = req;
    const mp = record.MountPoints.find((x) => x.Type === 'volume' && x.Destination === m.destination);
    if (mp) mp.Name = req.name;
  }
}

/** Mounts the container's volumes; their host paths as bind mounts (read-only when the mount point is). */
export async function mountContainerVolumes(volumes: VolumePort | null, c: Container, rootfs: string): Promise<ExecMount[]> {
  const reqs = Object.entries(c.record.VolumeRequests ?? {});
  if (reqs.length === 0) return [];
  if (!volumes) throw new NotImplementedError('volume mounts need the volume service, which is not set up');
  const out: ExecMount[] = [];
  for (const [destination, req] of reqs) {
    const mp = c.record.MountPoints.find((m) => m.Type === 'volume' && m.Destination === destination);
    const got = await volumes.mountForContainer({ ...req, containerId: c.record.ID, rootfs, destination });
    if (mp) { mp.Source = got.source; mp.Name = got.name; mp.Driver = got.driver; }
    out.push({ type: 'bind', source: got.source, destination, options: ['rbind', mp && !mp.RW ? 'ro' : 'rw', 'rprivate'] });
  }
  return out;
}

/** Releases the container's volume mounts. Best effort, idempotent. */
export async function unmountContainerVolumes(volumes: VolumePort | null, c: Container, log: Logger): Promise<void> {
  if (!volumes) return;
  for (const req of Object.values(c.record.VolumeRequests ?? {})) {
    await volumes.unmountForContainer(req.name, c.record.ID).catch((err: Error) => log.warn({ container: c.record.ID, err: err.message }, 'volume unmount'));
  }
}

/** `rm -v`: removes the container's anonymous volumes (named ones stay, as in Docker). */
export async function removeAnonymousVolumes(volumes: VolumePort | null, c: Container, log: Logger): Promise<void> {
  if (!volumes) return;
  for (const req of Object.values(c.record.VolumeRequests ?? {})) {
    if (await volumes.isAnonymous(req.name).catch(() => false)) {
      await volumes.remove(req.name).catch((err: Error) => log.warn({ volume: req.name, err: err.message }, 'volume remove'));
    }
  }
}
