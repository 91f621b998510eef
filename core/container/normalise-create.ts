/**
 * Turns a type-checked create body into a user Config and a HostConfig with
 * every field present (Docker's zero values), then checks the value rules
 * Docker checks at create: restart policy, network mode, capabilities,
 * security options, ulimits, mounts, resources, stop signal, ports, log
 * config. Returns the warnings Docker would return.
 */
import { InvalidArgumentError, NotImplementedError } from '../errors';
import type { ContainerConfig, EndpointSettingsRequest, HostConfig } from './types';
import { checkCreateBodyTypes } from './create-schema';
import { type HealthcheckConfig, probeArgs } from './health';
import { validateRestartPolicy } from './restart-policy';
import { normaliseCapability } from './spec/capabilities';
import { parseSecurityOpts } from './spec/security-opts';
import { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS, ULIMIT_TYPES } from './spec/defaults';
import { type DeviceMapping, validateDeviceMappings } from './spec/devices';
import { parseMounts } from './spec/mounts';
import { validateSysctls } from './spec/sysctls';
import { type ResourceSupport, validateResources } from './spec/resources';
import { parseSignal } from './signals';

export interface NormalisedCreate {
  /** The user's Config before merging with the image (Cmd/Entrypoint null when absent). */
  config: ContainerConfig;
  hostConfig: HostConfig;
  endpoints: Record<string, EndpointSettingsRequest>;
  warnings: string[];
}

type Body = Record<string, unknown> & { HostConfig?: Record<string, unknown> | null };

const strSlice = (v: unknown): string[] | null => (v === undefined || v === null ? null : typeof v === 'string' ? [v] : (v as string[]));

/** Docker's HostConfig zero values. */
export function defaultHostConfig(): HostConfig {
  return {
    Binds: null, ContainerIDFile: '', LogConfig: { Type: '', Config: {} }, NetworkMode: 'default', PortBindings: {},
    RestartPolicy: { Name: 'no', MaximumRetryCount: 0 }, AutoRemove: false, VolumeDriver: '', VolumesFrom: null,
    CapAdd: null, CapDrop: null, CgroupnsMode: 'host', Dns: [], DnsOptions: [], DnsSearch: [], ExtraHosts: null,
    GroupAdd: null, IpcMode: 'private', Cgroup: '', Links: null, OomScoreAdj: 0, PidMode: '', Privileged: false,
    PublishAllPorts: false, ReadonlyRootfs: false, SecurityOpt: null, UTSMode: '', UsernsMode: '', ShmSize: 0,
    Runtime: 'berth', Isolation: '', CpuShares: 0, Memory: 0, NanoCpus: 0, CgroupParent: '', BlkioWeight: 0,
    BlkioWeightDevice: [], BlkioDeviceReadBps: [], BlkioDeviceWriteBps: [], BlkioDeviceReadIOps: [],
    BlkioDeviceWriteIOps: [], CpuPeriod: 0, CpuQuota: 0, CpuRealtimePeriod: 0, CpuRealtimeRuntime: 0,
    CpusetCpus: '', CpusetMems: '', Devices: [], DeviceCgroupRules: null, DeviceRequests: null, MemoryReservation: 0,
    MemorySwap: 0, MemorySwappiness: null, OomKillDisable: false, PidsLimit: null, Ulimits: null, CpuCount: 0,
    CpuPercent: 0, IOMaximumIOps: 0, IOMaximumBandwidth: 0, MaskedPaths: undefined, ReadonlyPaths: undefined,
    Init: null,
  };
}

/** Copies the defined, non-null fields of `src` over `dst`. */
function overlay<T extends object>(dst: T, src: Record<string, unknown> | null | undefined): T {
  for (const [k, v] of Object.entries(src ?? {})) {
    if (v !== undefined && v !== null) (dst as Record<string, unknown>)[k] = v;
  }
  return dst;
}

const PORT_RE = /^(\d{1,5})(?:-(\d{1,5}))?(?:\/(tcp|udp|sctp))?$/;

function checkPort(key: string): void {
  const m = PORT_RE.exec(key);
  if (!m || Number(m[1]) > 65535 || (m[2] !== undefined && Number(m[2]) > 65535)) {
    throw new InvalidArgumentError(`invalid port specification: "${key}"`);
  }
}

function checkNetworkMode(mode: string): void {
  if (mode === '' || mode === 'default' || mode === 'bridge' || mode === 'none' || mode === 'host') return;
  if (mode.startsWith('container:')) {
    if (mode.length === 'container:'.length) throw new InvalidArgumentError(`invalid network mode: ${mode}: container name is empty`);
    return;
  }
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(mode)) throw new InvalidArgumentError(`invalid network mode: ${mode}`);
}

function checkNamespaceMode(field: string, mode: string, allowed: string[]): void {
  if (mode !== '' && !allowed.includes(mode)) {
    throw new InvalidArgumentError(`/HostConfig/${field}: invalid mode "${mode}", berth supports ${allowed.map((a) => `"${a}"`).join(', ')}`);
  }
}

/**
 * Checks and completes a create body. Throws InvalidArgumentError naming the
 * field (schema) or with Docker's message (value rules); NotImplementedError
 * for features berth does not have (named volumes, devices).
 */
export function normaliseCreateBody(rawBody: unknown, support: ResourceSupport): NormalisedCreate {
  checkCreateBodyTypes(rawBody);
  const body = rawBody as Body;
  const warnings: string[] = [];

  if (typeof body.Image !== 'string' || body.Image === '') throw new InvalidArgumentError('/Image: is required');

  const config: ContainerConfig = {
    Hostname: (body.Hostname as string) ?? '',
    Domainname: (body.Domainname as string) ?? '',
    User: (body.User as string) ?? '',
    AttachStdin: !!body.AttachStdin,
    AttachStdout: !!body.AttachStdout,
    AttachStderr: !!body.AttachStderr,
    ExposedPorts: body.ExposedPorts ? { ...(body.ExposedPorts as Record<string, Record<string, never>>) } : undefined,
    Tty: !!body.Tty,
    OpenStdin: !!body.OpenStdin,
    StdinOnce: !!body.StdinOnce,
    Env: [...((body.Env as string[] | null) ?? [])],
    Cmd: strSlice(body.Cmd),
    // `--entrypoint ""` arrives as [""]: dockerd takes it as "no entrypoint" (the image's is cleared)
    Entrypoint: ((e) => (e && e.length === 1 && e[0] === '' ? [] : e))(strSlice(body.Entrypoint)),
    Image: body.Image,
    Volumes: body.Volumes ? { ...(body.Volumes as Record<string, Record<string, never>>) } : null,
    WorkingDir: (body.WorkingDir as string) ?? '',
    OnBuild: (body.OnBuild as string[] | null) ?? null,
    Labels: { ...((body.Labels as Record<string, string> | null) ?? {}) },
  };
  if (body.StopSignal) config.StopSignal = parseSignal(body.StopSignal as string);
  if (typeof body.StopTimeout === 'number') config.StopTimeout = body.StopTimeout;
  if (body.NetworkDisabled) config.NetworkDisabled = true;
  if (body.MacAddress) config.MacAddress = body.MacAddress as string;
  if (body.Healthcheck) {
    const hc = body.Healthcheck as HealthcheckConfig;
    probeArgs(hc.Test);
    for (const f of ['Interval', 'Timeout', 'StartPeriod'] as const) {
      const v = hc[f];
      if (v !== undefined && v !== null && v !== 0 && v < 1_000_000) throw new InvalidArgumentError(`${f} in Healthcheck cannot be less than 1ms`);
    }
    if (hc.Retries !== undefined && hc.Retries !== null && hc.Retries < 0) throw new InvalidArgumentError('Retries in Healthcheck cannot be negative');
    config.Healthcheck = body.Healthcheck as Record<string, unknown>;
  }
  if (body.Shell) config.Shell = body.Shell as string[];
  if (body.ArgsEscaped) config.ArgsEscaped = true;

  for (const e of config.Env ?? []) {
    if (e.startsWith('=') || e === '') throw new InvalidArgumentError(`invalid environment variable: ${e}`);
  }
  if (config.WorkingDir !== '' && !config.WorkingDir.startsWith('/')) {
    throw new InvalidArgumentError(`the working directory '${config.WorkingDir}' is invalid, it needs to be an absolute path`);
  }
  for (const p of Object.keys(config.ExposedPorts ?? {})) checkPort(p);

  const hc = overlay(defaultHostConfig(), body.HostConfig);
  hc.CapAdd = strSlice(hc.CapAdd);
  hc.CapDrop = strSlice(hc.CapDrop);
  hc.LogConfig = { Type: hc.LogConfig?.Type ?? '', Config: { ...(hc.LogConfig?.Config ?? {}) } };
  hc.RestartPolicy = { Name: hc.RestartPolicy?.Name || 'no', MaximumRetryCount: hc.RestartPolicy?.MaximumRetryCount ?? 0 };
  if (hc.NetworkMode === '') hc.NetworkMode = 'default';
  // 0 and -1 both mean no limit, recorded as none (dockerd's adaptContainerSettings: inspect shows null)
  if (hc.PidsLimit !== null && hc.PidsLimit !== undefined && hc.PidsLimit <= 0) hc.PidsLimit = null;
  // dockerd fills these at create, and inspect shows them: IPC private; the
  // cgroup namespace private on cgroup v2, host on v1; its masked and
  // read-only paths unless privileged (`--security-opt systempaths=unconfined`
  // arrives as empty lists and stays so)
  if (hc.IpcMode === '') hc.IpcMode = 'private';
  if (hc.CgroupnsMode === '') hc.CgroupnsMode = support.cgroupV2 ? 'private' : 'host';
  if (!hc.Privileged) {
    hc.MaskedPaths ??= [...DEFAULT_MASKED_PATHS];
    hc.ReadonlyPaths ??= [...DEFAULT_READONLY_PATHS];
  }

  validateRestartPolicy(hc.RestartPolicy, hc.AutoRemove);
  checkNetworkMode(hc.NetworkMode);
  if (config.NetworkDisabled) hc.NetworkMode = 'none';
  checkNamespaceMode('PidMode', hc.PidMode, ['', 'host']);
  checkNamespaceMode('IpcMode', hc.IpcMode, ['', 'private', 'shareable', 'host', 'none']);
  checkNamespaceMode('UTSMode', hc.UTSMode, ['', 'host']);
  checkNamespaceMode('CgroupnsMode', hc.CgroupnsMode, ['', 'host', 'private']);
  if (hc.UTSMode === 'host' && config.Hostname !== '') {
    throw new InvalidArgumentError('conflicting options: hostname and the UTS mode');
  }
  if (hc.NetworkMode === 'host' && config.Hostname !== '' && hc.UTSMode !== 'host') {
    // Docker accepts this and sets the hostname in the container's own UTS namespace
  }
  for (const field of ['CapAdd', 'CapDrop'] as const) {
    for (const c of hc[field] ?? []) {
      try { normaliseCapability(c); } catch (err) { throw new InvalidArgumentError(`invalid ${field}: ${(err as Error).message}`); }
    }
  }
  parseSecurityOpts(hc.SecurityOpt);
  for (const u of hc.Ulimits ?? []) {
    if (!(u.Name in ULIMIT_TYPES)) throw new InvalidArgumentError(`invalid ulimit type: ${u.Name}`);
    if (u.Soft > u.Hard) throw new InvalidArgumentError(`ulimit soft limit must be less than or equal to hard limit: ${u.Soft} > ${u.Hard}`);
  }
  if (hc.ShmSize < 0) throw new InvalidArgumentError('SHM size can not be less than 0');
  parseMounts(hc);
  for (const p of Object.keys(hc.PortBindings ?? {})) {
    checkPort(p);
    for (const b of hc.PortBindings[p] ?? []) {
      if (b.HostPort && !/^\d{1,5}(-\d{1,5})?$/.test(b.HostPort)) throw new InvalidArgumentError(`invalid port specification: "${b.HostPort}"`);
    }
  }
  if ((hc.VolumesFrom ?? []).length > 0) {
    throw new NotImplementedError('/HostConfig/VolumesFrom: berth does not support --volumes-from; use named volumes');
  }
  if ((hc.Links ?? []).length > 0) {
    warnings.push('berth does not support legacy links: HostConfig.Links is ignored; containers on a user network reach each other by name');
  }
  validateDeviceMappings(hc.Devices as DeviceMapping[] | null);
  validateSysctls(hc.Sysctls, { network: hc.NetworkMode, ipc: hc.IpcMode });
  warnings.push(...validateResources(hc, support));
  if (hc.OomScoreAdj < -1000 || hc.OomScoreAdj > 1000) {
    throw new InvalidArgumentError(`Invalid value ${hc.OomScoreAdj}, range for oom score adj is [-1000, 1000]`);
  }

  const endpoints: Record<string, EndpointSettingsRequest> = {};
  const ec = (body.NetworkingConfig as { EndpointsConfig?: Record<string, EndpointSettingsRequest | null> } | null)?.EndpointsConfig;
  for (const [net, settings] of Object.entries(ec ?? {})) endpoints[net] = settings ?? {};
  return { config, hostConfig: hc, endpoints, warnings };
}
