/**
 * The JSON Schema of Docker's `POST /containers/create` body (v1.41):
 * Config fields at the top level, `HostConfig`, `NetworkingConfig`. Only
 * types are checked here (Go's decoder would refuse the same inputs); value
 * rules (ranges, conflicts, syntaxes) live in validate-create.ts. Unknown
 * fields are allowed, as Docker ignores them. Most fields accept null, as Go's
 * nil slices and maps serialise to it.
 */
import type { ErrorObject } from 'ajv';
import { compileSchema, type SchemaOptions, type SchemaValidator } from '../validation/compile-schema';
import { InvalidArgumentError } from '../errors';

type Schema = Record<string, unknown>;

const nullable = (type: string | string[]): string[] => [...(Array.isArray(type) ? type : [type]), 'null'];
const int: Schema = { type: nullable('integer') };
const bool: Schema = { type: nullable('boolean') };
const str: Schema = { type: nullable('string') };
const strArray: Schema = { type: nullable('array'), items: { type: 'string' } };
/** Docker's StrSlice: a string or an array of strings. */
const strSlice: Schema = { type: nullable(['array', 'string']), items: { type: 'string' } };
const strMap: Schema = { type: nullable('object'), additionalProperties: { type: 'string' } };
const emptyObjectMap: Schema = { type: nullable('object'), additionalProperties: { type: 'object' } };

const throttleDevices: Schema = {
  type: nullable('array'),
  items: { type: 'object', properties: { Path: { type: 'string' }, Rate: { type: 'integer' }, Weight: { type: 'integer' } } },
};

const mount: Schema = {
  type: 'object',
  required: ['Target'],
  properties: {
    Target: { type: 'string' },
    Source: str,
    Type: { type: 'string', enum: ['bind', 'volume', 'tmpfs', 'npipe'] },
    ReadOnly: bool,
    Consistency: str,
    BindOptions: {
      type: nullable('object'),
      properties: {
        Propagation: { type: 'string', enum: ['', 'private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'] },
        NonRecursive: bool,
      },
    },
    VolumeOptions: { type: nullable('object') },
    TmpfsOptions: { type: nullable('object'), properties: { SizeBytes: int, Mode: int } },
  },
};

const hostConfig: Schema = {
  type: nullable('object'),
  properties: {
    Binds: strArray,
    ContainerIDFile: str,
    LogConfig: {
      type: nullable('object'),
      properties: { Type: str, Config: strMap },
    },
    NetworkMode: str,
    PortBindings: {
      type: nullable('object'),
      additionalProperties: {
        type: nullable('array'),
        items: { type: 'object', properties: { HostIp: str, HostPort: str } },
      },
    },
    RestartPolicy: {
      type: nullable('object'),
      properties: { Name: str, MaximumRetryCount: int },
    },
    AutoRemove: bool,
    VolumeDriver: str,
    VolumesFrom: strArray,
    CapAdd: strSlice,
    CapDrop: strSlice,
    CgroupnsMode: str,
    Dns: strArray,
    DnsOptions: strArray,
    DnsSearch: strArray,
    ExtraHosts: strArray,
    GroupAdd: strArray,
    IpcMode: str,
    Cgroup: str,
    Links: strArray,
    OomScoreAdj: int,
    PidMode: str,
    Privileged: bool,
    PublishAllPorts: bool,
    ReadonlyRootfs: bool,
    SecurityOpt: strArray,
    StorageOpt: strMap,
    Tmpfs: strMap,
    UTSMode: str,
    UsernsMode: str,
    ShmSize: int,
    Sysctls: strMap,
    Runtime: str,
    ConsoleSize: { type: nullable('array'), items: { type: 'integer', minimum: 0 }, maxItems: 2 },
    Isolation: str,
    CpuShares: int,
    Memory: int,
    NanoCpus: int,
    CgroupParent: str,
    BlkioWeight: int,
    BlkioWeightDevice: throttleDevices,
    BlkioDeviceReadBps: throttleDevices,
    BlkioDeviceWriteBps: throttleDevices,
    BlkioDeviceReadIOps: throttleDevices,
    BlkioDeviceWriteIOps: throttleDevices,
    CpuPeriod: int,
    CpuQuota: int,
    CpuRealtimePeriod: int,
    CpuRealtimeRuntime: int,
    CpusetCpus: str,
    CpusetMems: str,
    Devices: {
      type: nullable('array'),
      items: { type: 'object', properties: { PathOnHost: str, PathInContainer: str, CgroupPermissions: str } },
    },
    DeviceCgroupRules: strArray,
    DeviceRequests: { type: nullable('array'), items: { type: 'object' } },
    KernelMemory: int,
    KernelMemoryTCP: int,
    MemoryReservation: int,
    MemorySwap: int,
    MemorySwappiness: int,
    OomKillDisable: bool,
    PidsLimit: int,
    Ulimits: {
      type: nullable('array'),
      items: {
        type: 'object',
        required: ['Name'],
        properties: { Name: { type: 'string' }, Soft: { type: 'integer' }, Hard: { type: 'integer' } },
      },
    },
    CpuCount: int,
    CpuPercent: int,
    IOMaximumIOps: int,
    IOMaximumBandwidth: int,
    Mounts: { type: nullable('array'), items: mount },
    MaskedPaths: strArray,
    ReadonlyPaths: strArray,
    Init: bool,
  },
};

/** The create body schema (draft-07 subset understood by ajv's default mode). */
export const containerCreateSchema: Schema = {
  type: 'object',
  properties: {
    Hostname: str,
    Domainname: str,
    User: str,
    AttachStdin: bool,
    AttachStdout: bool,
    AttachStderr: bool,
    ExposedPorts: emptyObjectMap,
    Tty: bool,
    OpenStdin: bool,
    StdinOnce: bool,
    Env: strArray,
    Cmd: strSlice,
    Healthcheck: {
      type: nullable('object'),
      properties: { Test: strSlice, Interval: int, Timeout: int, Retries: int, StartPeriod: int },
    },
    ArgsEscaped: bool,
    Image: { type: 'string' },
    Volumes: emptyObjectMap,
    WorkingDir: str,
    Entrypoint: strSlice,
    NetworkDisabled: bool,
    MacAddress: str,
    OnBuild: strArray,
    Labels: strMap,
    StopSignal: str,
    StopTimeout: int,
    Shell: strArray,
    HostConfig: hostConfig,
    NetworkingConfig: {
      type: nullable('object'),
      properties: {
        EndpointsConfig: {
          type: nullable('object'),
          additionalProperties: {
            type: nullable('object'),
            properties: {
              Aliases: strArray,
              Links: strArray,
              NetworkID: str,
              MacAddress: str,
              IPAMConfig: {
                type: nullable('object'),
                properties: { IPv4Address: str, IPv6Address: str, LinkLocalIPs: strArray },
              },
            },
          },
        },
      },
    },
  },
};

/** The options container create's schema is compiled with (the first error only). */
export const CREATE_SCHEMA_OPTIONS: SchemaOptions = { allErrors: false };

let compiled: SchemaValidator | undefined;

function validator(): SchemaValidator {
  if (!compiled) compiled = compileSchema(containerCreateSchema, CREATE_SCHEMA_OPTIONS);
  return compiled;
}

/** Loads the create body's validator now (it is loaded once per process, at first use otherwise). */
export function warmCreateValidator(): void {
  validator();
}

/** `/HostConfig/Memory: must be integer` — the JSON pointer of the field and what was expected. */
export function formatSchemaError(e: ErrorObject): string {
  const where = e.instancePath === '' ? '/' : e.instancePath;
  if (e.keyword === 'enum') {
    return `${where}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  if (e.keyword === 'required') {
    return `${where === '/' ? '' : where}/${(e.params as { missingProperty: string }).missingProperty}: is required`;
  }
  if (e.keyword === 'type') {
    const t = (e.params as { type: string | string[] }).type;
    const types = (Array.isArray(t) ? t : String(t).split(',')).filter((x) => x !== 'null');
    return `${where}: must be ${types.join(' or ')}`;
  }
  return `${where}: ${e.message ?? 'is invalid'}`;
}

/**
 * Checks the types of a create body. Promises to throw InvalidArgumentError
 * naming the first wrong field by its JSON pointer, and nothing else.
 */
export function checkCreateBodyTypes(body: unknown): void {
  const v = validator();
  if (!v(body)) {
    const err = v.errors?.[0];
    throw new InvalidArgumentError(err ? formatSchemaError(err) : 'invalid container create body');
  }
}
