/**
 * Docker's defaults for a container spec: the 14 default capabilities, the
 * masked and read-only paths, the default environment, and a builder for a
 * complete ContainerSpec (used by the container service and by tests).
 */
import type { ContainerSpec, ProcessSpec } from '../../core';

/** Docker's default capability set (moby oci/caps/defaults.go). */
export const DEFAULT_CAPABILITIES: readonly string[] = Object.freeze([
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
]);

/** Paths hidden from the container (dirs: empty ro tmpfs, files: /dev/null), as Docker. */
export const DEFAULT_MASKED_PATHS: readonly string[] = Object.freeze([
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats',
  '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi',
  '/sys/firmware', '/sys/devices/virtual/powercap',
]);

/** Paths made read-only inside the container, as Docker. */
export const DEFAULT_READONLY_PATHS: readonly string[] = Object.freeze([
  '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger',
]);

export const DEFAULT_PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Default /dev/shm size (64 MiB), as Docker. */
export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

/** Default cgroup parent (`cgroup-parent`). */
export const DEFAULT_CGROUP_PARENT = 'berth';

/** What a caller must give; everything else gets Docker's default. */
export interface SpecBasics {
  id: string;
  stateDir: string;
  rootfs: string;
  args: string[];
}

/** A default process: root, Docker's default caps and PATH, cwd `/`, no terminal. */
export function defaultProcessSpec(args: string[], overrides: Partial<ProcessSpec> = {}): ProcessSpec {
  return {
    args,
    env: [DEFAULT_PATH_ENV],
    cwd: '/',
    user: { uid: 0, gid: 0, additionalGids: [] },
    terminal: false,
    openStdin: false,
    capabilities: [...DEFAULT_CAPABILITIES],
    noNewPrivileges: false,
    rlimits: [],
    ...overrides,
  };
}

/**
 * A complete ContainerSpec with Docker's defaults: private pid/ipc/uts/net/cgroup
 * namespaces, default caps, masked and read-only paths, 64 MiB /dev/shm,
 * the driver's default seccomp profile, cgroup parent `berth`.
 */
export function defaultContainerSpec(basics: SpecBasics, overrides: Partial<ContainerSpec> = {}): ContainerSpec {
  const hostname = basics.id.slice(0, 12);
  return {
    id: basics.id,
    stateDir: basics.stateDir,
    rootfs: basics.rootfs,
    readonlyRootfs: false,
    hostname,
    process: defaultProcessSpec(basics.args, { env: [DEFAULT_PATH_ENV, `HOSTNAME=${hostname}`] }),
    mounts: [],
    namespaces: {
      pid: { mode: 'private' }, ipc: { mode: 'private' }, uts: { mode: 'private' },
      net: { mode: 'private' }, cgroup: { mode: 'private' },
    },
    cgroup: { parent: DEFAULT_CGROUP_PARENT, resources: {} },
    privileged: false,
    maskedPaths: [...DEFAULT_MASKED_PATHS],
    readonlyPaths: [...DEFAULT_READONLY_PATHS],
    shmSize: DEFAULT_SHM_SIZE,
    init: false,
    ...overrides,
  };
}
