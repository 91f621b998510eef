/**
 * ExecDriver — how berth runs a container's processes.
 *
 * Vocabulary. A *container spec* is everything the driver needs to make an
 * isolated process: a mounted root filesystem (from the graph driver), the
 * process to run, namespaces, mounts, security settings and cgroup resources.
 * Like runc's libcontainer config it is plain data, serialisable to JSON.
 * *PID 1* is the container's first process; it is a child of a per-container
 * *shim* (berth-shim for the native driver), not of the daemon, so it survives
 * a daemon restart. The *state directory* (`spec.stateDir`) belongs to the
 * driver: the shim's socket, its pid and the exit status live there, written
 * atomically.
 *
 * Lifecycle: start(spec) → RunningContainer → attach/exec/signal/pause/stats →
 * wait() resolves with the ExitStatus → delete() removes cgroups and state.
 * After a daemon restart, restore(id, stateDir) reconnects to the shim.
 *
 * Errors: InvalidArgumentError for a spec the driver refuses (naming the
 * field), FailedPreconditionError for setup failures inside the new container
 * (`container setup failed at pivot_root: invalid argument`), NotFoundError for
 * an unknown exec id, ConflictError for operations on a stopped container.
 */
import type { Readable, Writable } from 'node:stream';

/** A filesystem mount into the container, applied before pivot_root, in order. */
export interface ExecMount {
  /** `bind`, `tmpfs`, or another filesystem type known to mount(2). */
  type: string;
  /** Host path for bind, the fs name (`tmpfs`) otherwise. */
  source: string;
  /** Absolute path inside the container; created if missing. */
  destination: string;
  /**
   * mount(8)-style options: `ro`, `rw`, `rbind`, `bind`, `nosuid`, `nodev`,
   * `noexec`, `private`, `rprivate`, `shared`, `rshared`, `slave`, `rslave`,
   * and data options such as `size=64m`, `mode=1777`.
   */
  options: string[];
}

export interface RLimit { type: string /* RLIMIT_NOFILE */; soft: number; hard: number }

/** The process to run: PID 1 of a container, or an exec inside it. */
export interface ProcessSpec {
  args: string[];
  /** `KEY=value` entries. */
  env: string[];
  /** Absolute working directory; created if missing, like Docker. */
  cwd: string;
  user: { uid: number; gid: number; additionalGids: number[] };
  /** Allocate a pseudo-terminal (`-t`); stdout and stderr are then one stream. */
  terminal: boolean;
  consoleSize?: { rows: number; cols: number };
  /** Keep stdin open (`-i`). */
  openStdin: boolean;
  /** The exact capability set (`CAP_CHOWN`, ...): bounding, effective, permitted. */
  capabilities: string[];
  noNewPrivileges: boolean;
  rlimits: RLimit[];
  /** AppArmor profile to exec under, where the kernel has AppArmor. */
  apparmorProfile?: string;
}

/** Cgroup resource limits. Absent fields mean "no limit". */
export interface Resources {
  memory?: number;
  memorySwap?: number;
  cpuShares?: number;
  cpuQuota?: number;
  cpuPeriod?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  pidsLimit?: number;
  blkioWeight?: number;
}

/** A device node made in the container and allowed in its device cgroup (`--device`). */
export interface DeviceNode {
  /** Absolute path in the container. */
  path: string;
  type: 'c' | 'b';
  major: number;
  minor: number;
  /** Permission bits of the node (the host device's). */
  fileMode: number;
  uid: number;
  gid: number;
  /** Cgroup access: a combination of r, w and m. */
  access: string;
}

/** How a namespace is set up: a fresh one, the host's, or joined by path. */
export type NamespaceMode = { mode: 'private' } | { mode: 'host' } | { mode: 'path'; path: string };

/** A Docker seccomp profile (JSON format), or null for unconfined. */
export type SeccompProfile = Record<string, unknown> | null;

export interface ContainerSpec {
  /** The container id (64 hex). */
  id: string;
  /** Driver-owned directory for this container's runtime state. Exists; may be reused after restart. */
  stateDir: string;
  /** Absolute path of the mounted root filesystem. */
  rootfs: string;
  readonlyRootfs: boolean;
  hostname: string;
  domainname?: string;
  process: ProcessSpec;
  mounts: ExecMount[];
  namespaces: {
    pid: NamespaceMode; ipc: NamespaceMode; uts: NamespaceMode;
    net: NamespaceMode; cgroup: NamespaceMode;
  };
  cgroup: { parent: string; resources: Resources };
  privileged: boolean;
  /** Paths masked with /dev/null or an empty read-only tmpfs. */
  maskedPaths: string[];
  readonlyPaths: string[];
  /** Size of /dev/shm in bytes. */
  shmSize: number;
  /** `--sysctl`: namespaced kernel parameters set before PID 1 runs (dotted names, e.g. net.ipv4.ip_forward). */
  sysctls?: Record<string, string>;
  /** Extra device nodes (`--device`); ignored when privileged (the host's /dev is there). */
  devices?: DeviceNode[];
  /** Run a small init as PID 1 that forwards signals and reaps zombies (`--init`). */
  init: boolean;
  /** The seccomp profile to install; `undefined` means the driver's default. */
  seccomp?: SeccompProfile;
  /** Files bind-mounted over /etc/hostname, /etc/hosts, /etc/resolv.conf when given. */
  etcFiles?: { hostname?: string; hosts?: string; resolvConf?: string };
}

/** How a process ended. */
export interface ExitStatus {
  /** Exit code; 128+n when killed by signal n. */
  exitCode: number;
  /** Signal name when killed by a signal (`SIGKILL`). */
  signal?: string;
  oomKilled: boolean;
  /** RFC 3339 time of exit. */
  finishedAt: string;
}

/** The stdio of a process as the shim holds it. With a terminal, stderr is null. */
export interface ProcessIO {
  stdin: Writable | null;
  stdout: Readable;
  stderr: Readable | null;
  /**
   * Log attach only (AttachOptions.log), when the driver supports it: tells
   * the driver that the first `consumed.stdout`/`consumed.stderr` bytes read
   * from this attach's streams are stored, `consumed.mark` being the
   * consumer's mark for that place. Unacknowledged output is sent again to the
   * next log attach (after a daemon crash).
   */
  ack?(consumed: OutputPosition): void;
}

/** A place in PID 1's output: bytes of stdout and of stderr, and the log consumer's opaque mark for it (no spaces). */
export interface OutputPosition { stdout: number; stderr: number; mark: string }

/** How to attach to PID 1. */
export interface AttachOptions {
  /**
   * Attach as the container's log consumer (one at a time): the driver keeps
   * what it sent until acknowledged (ProcessIO.ack), so output the daemon
   * read but had not stored when it died is not lost.
   */
  log?: {
    /** The consumer's mark for the position this attach starts at. */
    mark: string;
    /**
     * After a restart: given the last acknowledged position (absolute), says
     * where to resume (skipping what the consumer's store already holds).
     * Absent: start at the oldest output the driver still keeps.
     */
    resumeFrom?(acked: OutputPosition): Promise<OutputPosition>;
  };
}

export interface ContainerStats {
  read: string;
  memory: { usage: number; limit: number; maxUsage?: number; stats?: Record<string, number> };
  cpu: { totalUsage: number; systemUsage: number; onlineCpus: number; percpuUsage?: number[] };
  pids: { current: number; limit?: number };
}

/** A process started by exec inside a running container. */
export interface RunningExec {
  readonly pid: number;
  attach(): Promise<ProcessIO>;
  resize(rows: number, cols: number): Promise<void>;
  signal(signal: string | number): Promise<void>;
  wait(): Promise<ExitStatus>;
}

export interface RunningContainer {
  readonly id: string;
  /** Host pid of the container's PID 1. */
  readonly pid: number;
  /**
   * Connects to PID 1's stdio. May be called more than once; every attached
   * reader sees output from the moment it attached. The daemon's log copier
   * attaches once at start and after a restore, with `opts.log`.
   */
  attach(opts?: AttachOptions): Promise<ProcessIO>;
  /** Sends a signal (name like `SIGTERM` or number) to PID 1. */
  signal(signal: string | number): Promise<void>;
  /** Resolves once PID 1 has exited and its status is recorded. */
  wait(): Promise<ExitStatus>;
  resize(rows: number, cols: number): Promise<void>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  exec(process: ProcessSpec): Promise<RunningExec>;
  stats(): Promise<ContainerStats>;
  /** Pids inside the container (for `top`). */
  pids(): Promise<number[]>;
  /** Applies new resource limits (`docker update`). */
  update(resources: Resources): Promise<void>;
}

export interface ExecDriver {
  readonly name: string;
  /**
   * Creates the container's namespaces, cgroup and mounts and starts PID 1
   * under a new shim. Resolves when execve succeeded; rejects with
   * FailedPreconditionError naming the failing stage otherwise, leaving no
   * process, cgroup or mount behind.
   */
  start(spec: ContainerSpec): Promise<RunningContainer>;
  /**
   * After a daemon restart: reconnects to the shim of a container started
   * earlier. Returns the running container, or its ExitStatus when it has
   * exited meanwhile (read from the state directory). NotFoundError when the
   * state directory holds no trace of it.
   */
  restore(id: string, stateDir: string): Promise<RunningContainer | ExitStatus>;
  /** Removes the cgroups, shim and state of an exited container. Idempotent. */
  delete(id: string, stateDir: string): Promise<void>;
  /** Security features really in force here, for `info` (`name=seccomp,profile=default`). */
  securityOptions(): string[];
}
