/**
 * container.create: the beforeCreate hook (waterfall), the create body's
 * types (ajv) and Docker's value rules, the merge with the image config, the
 * log driver and mounts checks, the name reservation, anonymous volumes, the
 * RW layer, and the persisted container. Anything made is undone on failure.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError, NotImplementedError } from '../errors';
import { logPathOf, validateLogConfig } from '../logging/create-log-driver';
import { rfc3339Nano } from './clock';
import type { ContainerService } from './container-service';
import { nameContainerVolumes } from './container-volumes';
import { readHostFile } from './etc-files';
import { newId, shortId } from './ids';
import { entrypointAndArgs, mergeImageConfig } from './merge-config';
import { normaliseCreateBody } from './normalise-create';
import { imageVolumeMounts, parseMounts, toMountPoint } from './spec/mounts';
import { PhaseTimer } from './phase-timer';
import { defaultShmSize } from './runtime';
import { initialState } from './state';
import type { Container, ContainerRecord } from './types';
import { emptyNetworkSettings } from './views';

export interface CreateResult { Id: string; Warnings: string[] }

/**
 * container.create: runs the beforeCreate hook, validates the body (ajv +
 * Docker's rules), merges it with the image config, creates the RW layer
 * and persists the container. Resolves with `{ Id, Warnings }`.
 */
export async function createContainer(svc: ContainerService, name: string | undefined, rawBody: unknown): Promise<CreateResult> {
  if (typeof rawBody !== 'object' || rawBody === null || Array.isArray(rawBody)) {
    throw new InvalidArgumentError('/: must be object');
  }
  const timer = new PhaseTimer();
  const body = await svc.kernel.hooks.container.beforeCreate.promise({ ...(rawBody as Record<string, unknown>) }, name ?? '');
  const n = normaliseCreateBody(body, svc.support);
  const image = await svc.images.resolve(n.config.Image);
  const config = mergeImageConfig(n.config, image.config.config ?? {});
  const { path: p, args } = entrypointAndArgs(config);
  const hc = n.hostConfig;

  // log config: Docker's mergeAndVerifyLogConfig
  const daemonType = svc.kernel.config['log-driver'] || 'json-file';
  hc.LogConfig.Type = hc.LogConfig.Type || daemonType;
  if (hc.LogConfig.Type === daemonType) {
    for (const [k, v] of Object.entries(svc.kernel.config['log-opts'] ?? {})) if (!(k in hc.LogConfig.Config)) hc.LogConfig.Config[k] = v;
  }
  validateLogConfig(svc.kernel, hc.LogConfig.Type, hc.LogConfig.Config);
  // dockerd records the daemon's default-shm-size in HostConfig at create (inspect shows 67108864)
  if (hc.ShmSize === 0) hc.ShmSize = defaultShmSize(svc.kernel.config);

  const mounts = parseMounts(hc);
  for (const m of mounts) {
    if (m.type === 'bind' && !m.createSource) {
      try { await fsp.stat(m.source); } catch {
        throw new InvalidArgumentError(`invalid mount config for type "bind": bind source path does not exist: ${m.source}`);
      }
    }
  }

  const volumeMounts = [...mounts.filter((m) => m.type === 'volume'), ...imageVolumeMounts(config.Volumes, mounts)];
  const volumes = volumeMounts.length > 0 ? svc.volumes : null;
  if (volumeMounts.length > 0 && !volumes) throw new NotImplementedError('volume mounts need the volume service, which is not set up');

  const net = svc.networks;
  if (net?.inspectNetwork && !['default', 'bridge', 'none', 'host'].includes(hc.NetworkMode) && !hc.NetworkMode.startsWith('container:')) {
    await net.inspectNetwork(hc.NetworkMode);
  }

  timer.mark('validate');
  const id = newId();
  const cname = svc.store.reserveName(id, name);
  if (config.Hostname === '') config.Hostname = hc.NetworkMode === 'host' ? readHostFile('/etc/hostname').trim() || shortId(id) : shortId(id);
  const dir = svc.store.dir(id);
  const record: ContainerRecord = {
    ID: id, Created: rfc3339Nano(), Path: p, Args: args, Config: config, Image: image.id, State: initialState(),
    Name: cname, Driver: svc.graphDriverName(), Platform: image.config.os || 'linux', RestartCount: 0,
    HasBeenStartedBefore: false, HasBeenManuallyStopped: false, NetworkSettings: emptyNetworkSettings(),
    LogPath: '', ResolvConfPath: path.join(dir, 'resolv.conf'), HostnamePath: path.join(dir, 'hostname'),
    HostsPath: path.join(dir, 'hosts'), MountLabel: '', ProcessLabel: '', AppArmorProfile: '',
    MountPoints: [...mounts.filter((m) => !m.fromTmpfsFlag && m.type !== 'volume'), ...volumeMounts].map(toMountPoint),
    VolumeRequests: {},
    NetworkingConfig: { EndpointsConfig: n.endpoints },
  };
  record.LogPath = logPathOf(svc.kernel, hc.LogConfig.Type, { containerId: id, containerDir: dir });
  const c: Container = { record, hostConfig: hc };
  let layer = false;
  const anonymous: string[] = [];
  try {
    await nameContainerVolumes(volumes, record, volumeMounts, anonymous);
    // the layer and the container's directory side by side; config.v2.json,
    // which makes the container exist at the next start, once both are there
    const [made, prepared] = await Promise.allSettled([svc.images.createContainerLayer(id, image.id), svc.store.prepare(c)]);
    layer = made.status === 'fulfilled';
    if (made.status === 'rejected') throw made.reason;
    if (prepared.status === 'rejected') throw prepared.reason;
    timer.mark('layer');
    await svc.store.commit(c);
    timer.mark('store');
  } catch (err) {
    svc.store.releaseName(cname);
    for (const v of anonymous) await volumes!.remove(v, true).catch(() => undefined);
    if (layer) await svc.images.removeContainerLayer(id).catch(() => undefined);
    await fsp.rm(dir, { recursive: true, force: true }).catch(() => undefined);
    throw err;
  }
  await svc.kernel.hooks.container.created.promise(id).catch((err: Error) => svc.kernel.log.warn({ err: err.message }, 'created hook failed'));
  // `docker run --rm` starts next: its rootfs is mounted meanwhile (see premount)
  if (hc.AutoRemove) svc.premount(id);
  await svc.emit(c, 'create');
  svc.kernel.log.debug({ container: id, ms: timer.total(), phases: timer.phases }, 'create phases');
  return { Id: id, Warnings: n.warnings };
}
