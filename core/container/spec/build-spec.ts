/**
 * Building the exec driver's ContainerSpec from a container (Config +
 * HostConfig) and what start prepared (rootfs, network, /etc files). Pure:
 * everything read from disk (the image's /etc/passwd and /etc/group, the
 * host's capability bounding set) is passed in, so it is tested without a
 * kernel.
 */
import { InvalidArgumentError } from '../../errors';
import type { ContainerSpec, ExecMount, NamespaceMode, ProcessSpec, RLimit } from '../../drivers/execdriver';
import type { ContainerConfig, HostConfig } from '../types';
import { entrypointAndArgs, processEnv } from '../merge-config';
import { computeCapabilities } from './capabilities';
import { DEFAULT_MASKED_PATHS, DEFAULT_PATH_ENV, DEFAULT_READONLY_PATHS, DEFAULT_SHM_SIZE, ULIMIT_TYPES } from './defaults';
import { type DeviceMapping, resolveDevices } from './devices';
import { parseMounts, toExecMount } from './mounts';
import { toResources } from './resources';
import { parseSecurityOpts } from './security-opts';
import { parseGroup, parsePasswd, resolveUser } from './user';

/** Daemon-wide settings that shape every container. */
export interface SpecDefaults {
  /** Parent cgroup (daemon `cgroup-parent`, default `berth`). */
  cgroupParent: string;
  /** /dev/shm size in bytes when ShmSize is 0. */
  shmSize: number;
  /** Daemon `no-new-privileges`. */
  noNewPrivileges: boolean;
  /** Daemon `seccomp-profile` already loaded: undefined = driver default, null = unconfined. */
  seccomp?: Record<string, unknown> | null;
}

export const DEFAULT_SPEC_DEFAULTS: SpecDefaults = Object.freeze({ cgroupParent: 'berth', shmSize: DEFAULT_SHM_SIZE, noNewPrivileges: false });

export interface SpecInput {
  id: string;
  config: ContainerConfig;
  hostConfig: HostConfig;
  stateDir: string;
  rootfs: string;
  /** Text of the image's /etc/passwd and /etc/group ('' when absent). */
  passwd: string;
  group: string;
  /** Network namespace: a path to join, null for the host's, undefined for a fresh private one. */
  netnsPath?: string | null;
  etcFiles?: ContainerSpec['etcFiles'];
  defaults?: SpecDefaults;
  /** Volume mounts, their host paths resolved by the volume service (from `-v name:/dst`, `--mount type=volume`, image VOLUMEs). */
  volumeMounts?: ExecMount[];
  /** The host's capability bounding set (tests pass one; default reads /proc/self/status). */
  bounding?: readonly string[];
}

export interface BuiltSpec {
  spec: ContainerSpec;
  warnings: string[];
  /** HOME and the like, for exec (same user resolution). */
  home: string;
}

function ns(mode: string | undefined, hostWord = 'host'): NamespaceMode {
  return mode === hostWord ? { mode: 'host' } : { mode: 'private' };
}

function rlimits(hc: HostConfig): RLimit[] {
  return (hc.Ulimits ?? []).map((u) => {
    const type = ULIMIT_TYPES[u.Name];
    if (!type) throw new InvalidArgumentError(`invalid ulimit type: ${u.Name}`);
    return { type, soft: u.Soft, hard: u.Hard };
  });
}

/** Adds HOME from the passwd entry when the environment has none, as Docker does. */
function withHome(env: string[], home: string): string[] {
  return env.some((e) => e.startsWith('HOME=')) ? env : [...env, `HOME=${home}`];
}

/**
 * The ContainerSpec of a container, with Docker's defaults: 14 default
 * capabilities tweaked by CapAdd/CapDrop (or all with Privileged), masked and
 * read-only paths (none when privileged), 64 MiB /dev/shm, no-new-privileges
 * and seccomp from SecurityOpt, user from the image's passwd/group, resources
 * from the HostConfig, mounts from Binds/Mounts/Tmpfs.
 */
export function buildContainerSpec(input: SpecInput): BuiltSpec {
  const { config, hostConfig: hc } = input;
  const d = input.defaults ?? DEFAULT_SPEC_DEFAULTS;
  const warnings: string[] = [];
  const { path: argv0, args } = entrypointAndArgs(config);
  const sec = parseSecurityOpts(hc.SecurityOpt);
  const caps = computeCapabilities(hc.CapAdd, hc.CapDrop, hc.Privileged, input.bounding);
  if (caps.missing.length > 0) {
    warnings.push(`the host's capability bounding set lacks ${caps.missing.join(', ')}: left out`);
  }
  const user = resolveUser(config.User, parsePasswd(input.passwd), parseGroup(input.group), hc.GroupAdd ?? []);
  const env = withHome(processEnv(config, DEFAULT_PATH_ENV), user.home);
  const process: ProcessSpec = {
    args: [argv0, ...args],
    env,
    cwd: config.WorkingDir || '/',
    user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
    terminal: config.Tty,
    openStdin: config.OpenStdin,
    capabilities: caps.capabilities,
    noNewPrivileges: sec.noNewPrivileges ?? d.noNewPrivileges,
    rlimits: rlimits(hc),
  };
  if (hc.ConsoleSize && hc.ConsoleSize[0] > 0 && hc.ConsoleSize[1] > 0) {
    process.consoleSize = { rows: hc.ConsoleSize[0], cols: hc.ConsoleSize[1] };
  }
  if (sec.apparmorProfile && !hc.Privileged) process.apparmorProfile = sec.apparmorProfile;
  const volumes = input.volumeMounts ?? [];
  const mounts = [...parseMounts(hc).filter((m) => m.type !== 'volume').map(toExecMount), ...volumes];
  let net: NamespaceMode;
  if (hc.NetworkMode === 'host' || input.netnsPath === null) net = { mode: 'host' };
  else if (input.netnsPath) net = { mode: 'path', path: input.netnsPath };
  else net = { mode: 'private' };
  const spec: ContainerSpec = {
    id: input.id,
    stateDir: input.stateDir,
    rootfs: input.rootfs,
    readonlyRootfs: hc.ReadonlyRootfs,
    hostname: config.Hostname,
    process,
    mounts,
    namespaces: {
      pid: ns(hc.PidMode),
      ipc: ns(hc.IpcMode),
      uts: ns(hc.UTSMode),
      net,
      cgroup: hc.CgroupnsMode === 'private' ? { mode: 'private' } : { mode: 'host' },
    },
    cgroup: { parent: hc.CgroupParent || d.cgroupParent, resources: toResources(hc) },
    privileged: hc.Privileged,
    maskedPaths: hc.Privileged ? [] : [...(hc.MaskedPaths ?? DEFAULT_MASKED_PATHS)],
    readonlyPaths: hc.Privileged ? [] : [...(hc.ReadonlyPaths ?? DEFAULT_READONLY_PATHS)],
    shmSize: hc.ShmSize > 0 ? hc.ShmSize : d.shmSize,
    init: hc.Init === true,
  };
  if (config.Domainname) spec.domainname = config.Domainname;
  if (hc.Sysctls && Object.keys(hc.Sysctls).length > 0) spec.sysctls = { ...hc.Sysctls };
  if (!hc.Privileged && (hc.Devices ?? []).length > 0) spec.devices = resolveDevices(hc.Devices as DeviceMapping[]);
  if (hc.Privileged) spec.seccomp = null;
  else if (sec.seccomp !== undefined) spec.seccomp = sec.seccomp;
  else if (d.seccomp !== undefined) spec.seccomp = d.seccomp;
  if (input.etcFiles) spec.etcFiles = input.etcFiles;
  return { spec, warnings, home: user.home };
}
