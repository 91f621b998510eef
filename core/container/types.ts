/**
 * The container domain's data model: what `config.v2.json` and
 * `hostconfig.json` hold, in Docker's field names, so inspect can serialise it
 * directly and an operator reading the files recognises them.
 */

/** Docker's container statuses. */
export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

/** Docker's `State` object (inspect shape); persisted on every transition. */
export interface ContainerState {
  Status: ContainerStatus;
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  /** RFC 3339; `0001-01-01T00:00:00Z` when never. */
  StartedAt: string;
  FinishedAt: string;
  /** Present when the container has a health check (see health.ts). */
  Health?: { Status: 'starting' | 'healthy' | 'unhealthy'; FailingStreak: number; Log: Array<{ Start: string; End: string; ExitCode: number; Output: string }> };
}

/** Docker's zero time, as inspect shows it for "never". */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** Docker's `Config` (the portable part of a container's configuration). */
export interface ContainerConfig {
  Hostname: string;
  Domainname: string;
  User: string;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  ExposedPorts?: Record<string, Record<string, never>>;
  Tty: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  /** null when neither the create body nor the image gave any (dockerd's inspect shows `null`). */
  Env: string[] | null;
  Cmd: string[] | null;
  Entrypoint: string[] | null;
  Image: string;
  Volumes: Record<string, Record<string, never>> | null;
  WorkingDir: string;
  OnBuild: string[] | null;
  Labels: Record<string, string>;
  StopSignal?: string;
  StopTimeout?: number;
  NetworkDisabled?: boolean;
  MacAddress?: string;
  ArgsEscaped?: boolean;
  Healthcheck?: Record<string, unknown>;
  Shell?: string[];
}

export interface RestartPolicy { Name: '' | 'no' | 'always' | 'unless-stopped' | 'on-failure'; MaximumRetryCount?: number }
export interface Ulimit { Name: string; Soft: number; Hard: number }
export interface LogConfig { Type: string; Config: Record<string, string> }
export interface PortBindingSpec { HostIp?: string; HostPort?: string }

/** A `Mounts` entry of HostConfig (the `--mount` form). */
export interface MountSpec {
  Type: 'bind' | 'volume' | 'tmpfs' | 'npipe';
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: { Propagation?: string; NonRecursive?: boolean };
  VolumeOptions?: Record<string, unknown>;
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

/** Docker's `HostConfig` (the non-portable part), with the fields berth acts on typed. */
export interface HostConfig {
  Binds: string[] | null;
  ContainerIDFile: string;
  LogConfig: LogConfig;
  NetworkMode: string;
  PortBindings: Record<string, PortBindingSpec[] | null>;
  RestartPolicy: RestartPolicy;
  AutoRemove: boolean;
  VolumeDriver: string;
  VolumesFrom: string[] | null;
  CapAdd: string[] | null;
  CapDrop: string[] | null;
  CgroupnsMode: string;
  Dns: string[];
  DnsOptions: string[];
  DnsSearch: string[];
  ExtraHosts: string[] | null;
  GroupAdd: string[] | null;
  IpcMode: string;
  Cgroup: string;
  Links: string[] | null;
  OomScoreAdj: number;
  PidMode: string;
  Privileged: boolean;
  PublishAllPorts: boolean;
  ReadonlyRootfs: boolean;
  SecurityOpt: string[] | null;
  StorageOpt?: Record<string, string>;
  Tmpfs?: Record<string, string>;
  UTSMode: string;
  UsernsMode: string;
  ShmSize: number;
  Sysctls?: Record<string, string>;
  Runtime: string;
  Isolation: string;
  CpuShares: number;
  Memory: number;
  NanoCpus: number;
  CgroupParent: string;
  BlkioWeight: number;
  BlkioWeightDevice: unknown[] | null;
  BlkioDeviceReadBps: unknown[] | null;
  BlkioDeviceWriteBps: unknown[] | null;
  BlkioDeviceReadIOps: unknown[] | null;
  BlkioDeviceWriteIOps: unknown[] | null;
  CpuPeriod: number;
  CpuQuota: number;
  CpuRealtimePeriod: number;
  CpuRealtimeRuntime: number;
  CpusetCpus: string;
  CpusetMems: string;
  Devices: unknown[] | null;
  DeviceCgroupRules: string[] | null;
  DeviceRequests: unknown[] | null;
  KernelMemory?: number;
  KernelMemoryTCP?: number;
  MemoryReservation: number;
  MemorySwap: number;
  MemorySwappiness: number | null;
  OomKillDisable: boolean | null;
  PidsLimit: number | null;
  Ulimits: Ulimit[] | null;
  CpuCount: number;
  CpuPercent: number;
  IOMaximumIOps: number;
  IOMaximumBandwidth: number;
  Mounts?: MountSpec[];
  MaskedPaths?: string[];
  ReadonlyPaths?: string[];
  Init?: boolean | null;
  ConsoleSize?: [number, number];
}

/** A resolved mount as inspect's `Mounts` shows it. */
export interface MountPoint {
  Type: 'bind' | 'tmpfs' | 'volume';
  Name?: string;
  Source: string;
  Destination: string;
  Driver?: string;
  Mode: string;
  RW: boolean;
  Propagation: string;
}

/** Docker's `NetworkSettings` (inspect shape); filled by the network service at start. */
export type NetworkSettings = Record<string, unknown> & { Networks?: Record<string, Record<string, unknown>> };

/**
 * What `config.v2.json` holds: everything about a container but its
 * HostConfig (kept apart in `hostconfig.json`, as Docker does).
 */
export interface ContainerRecord {
  ID: string;
  /** RFC 3339 with nanoseconds. */
  Created: string;
  Path: string;
  Args: string[];
  Config: ContainerConfig;
  /** Image id, `sha256:…`. */
  Image: string;
  State: ContainerState;
  /** `/name`. */
  Name: string;
  Driver: string;
  Platform: string;
  RestartCount: number;
  HasBeenStartedBefore: boolean;
  HasBeenManuallyStopped: boolean;
  NetworkSettings: NetworkSettings;
  LogPath: string;
  ResolvConfPath: string;
  HostnamePath: string;
  HostsPath: string;
  MountLabel: string;
  ProcessLabel: string;
  AppArmorProfile: string;
  MountPoints: MountPoint[];
  /** What each volume mount (by destination) asks of the volume service; names of anonymous ones are fixed at create. */
  VolumeRequests?: Record<string, { name: string; driver?: string; driverOpts?: Record<string, string>; labels?: Record<string, string>; nocopy: boolean }>;
  /** Networking request of the create body, kept for start. */
  NetworkingConfig: { EndpointsConfig: Record<string, EndpointSettingsRequest> };
}

export interface EndpointSettingsRequest {
  Aliases?: string[] | null;
  IPAMConfig?: { IPv4Address?: string; IPv6Address?: string } | null;
  Links?: string[] | null;
  NetworkID?: string;
  MacAddress?: string;
}

/** A container as the service holds it: the two persisted halves. */
export interface Container {
  record: ContainerRecord;
  hostConfig: HostConfig;
}
