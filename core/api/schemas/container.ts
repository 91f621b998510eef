/**
 * Body schemas of the container routes: create (Config + HostConfig +
 * NetworkingConfig), update and commit. Types follow the v1.41 swagger; unknown
 * fields are allowed (Docker ignores them), wrong types are refused naming the field.
 */
import type { JSONSchema } from '../../plugins/manifest';
import { bool, int, nullable, obj, str, strArr, strMap, strSlice } from './common';

const portBindings: JSONSchema = nullable({
  type: 'object',
  additionalProperties: nullable({
    type: 'array',
    items: { type: 'object', properties: { HostIp: str, HostPort: str } },
  }),
});

const restartPolicy: JSONSchema = nullable({
  type: 'object',
  properties: {
    Name: { enum: ['', 'no', 'always', 'unless-stopped', 'on-failure'] },
    MaximumRetryCount: int,
  },
});

/** Resource fields shared by create's HostConfig and update. */
const resources: Record<string, JSONSchema> = {
  CpuShares: int, Memory: int, NanoCpus: int, CgroupParent: str, BlkioWeight: int,
  CpuPeriod: int, CpuQuota: int, CpuRealtimePeriod: int, CpuRealtimeRuntime: int,
  CpusetCpus: str, CpusetMems: str, MemoryReservation: int, MemorySwap: int,
  MemorySwappiness: nullable(int), OomKillDisable: nullable(bool), PidsLimit: nullable(int),
  KernelMemory: int, Ulimits: nullable({ type: 'array', items: { type: 'object', properties: { Name: str, Soft: int, Hard: int } } }),
};

const mount: JSONSchema = {
  type: 'object',
  properties: {
    Target: str, Source: str, ReadOnly: bool, Consistency: str,
    Type: { enum: ['bind', 'volume', 'tmpfs', 'npipe', 'cluster'] },
    BindOptions: nullable(obj), VolumeOptions: nullable(obj), TmpfsOptions: nullable(obj),
  },
};

/** HostConfig of a create body. */
export const hostConfigSchema: JSONSchema = {
  type: 'object',
  properties: {
    ...resources,
    Binds: nullable(strArr), ContainerIDFile: str,
    LogConfig: nullable({ type: 'object', properties: { Type: str, Config: nullable(strMap) } }),
    NetworkMode: str, PortBindings: portBindings, RestartPolicy: restartPolicy, AutoRemove: bool,
    VolumeDriver: str, VolumesFrom: nullable(strArr), Mounts: nullable({ type: 'array', items: mount }),
    CapAdd: nullable(strArr), CapDrop: nullable(strArr), CgroupnsMode: str,
    Dns: nullable(strArr), DnsOptions: nullable(strArr), DnsSearch: nullable(strArr), ExtraHosts: nullable(strArr),
    GroupAdd: nullable(strArr), IpcMode: str, Cgroup: str, Links: nullable(strArr), OomScoreAdj: int,
    PidMode: str, Privileged: bool, PublishAllPorts: bool, ReadonlyRootfs: bool,
    SecurityOpt: nullable(strArr), StorageOpt: nullable(strMap), Tmpfs: nullable(strMap), UTSMode: str,
    UsernsMode: str, ShmSize: { type: 'integer', minimum: 0 }, Sysctls: nullable(strMap), Runtime: str,
    Init: nullable(bool), MaskedPaths: nullable(strArr), ReadonlyPaths: nullable(strArr),
  },
};

/** The container Config part (also the body of `POST /commit`). */
const configProperties: Record<string, JSONSchema> = {
  Hostname: str, Domainname: str, User: str,
  AttachStdin: bool, AttachStdout: bool, AttachStderr: bool,
  ExposedPorts: nullable(obj), Tty: bool, OpenStdin: bool, StdinOnce: bool,
  Env: nullable(strArr), Cmd: strSlice, Healthcheck: nullable(obj), ArgsEscaped: bool,
  Image: str, Volumes: nullable(obj), WorkingDir: str, Entrypoint: strSlice,
  NetworkDisabled: bool, MacAddress: str, OnBuild: nullable(strArr), Labels: nullable(strMap),
  StopSignal: str, StopTimeout: nullable(int), Shell: nullable(strArr),
};

/** A container Config (the create body without HostConfig; the body of POST /commit). */
export const containerConfigSchema: JSONSchema = { type: 'object', properties: configProperties };

/** `POST /containers/create`. */
export const containerCreateSchema: JSONSchema = {
  type: 'object',
  properties: {
    ...configProperties,
    HostConfig: nullable(hostConfigSchema),
    NetworkingConfig: nullable({
      type: 'object',
      properties: { EndpointsConfig: nullable({ type: 'object', additionalProperties: nullable(obj) }) },
    }),
  },
};

/** `POST /containers/{id}/update`: resources and the restart policy. */
export const containerUpdateSchema: JSONSchema = {
  type: 'object',
  properties: { ...resources, RestartPolicy: restartPolicy },
};
