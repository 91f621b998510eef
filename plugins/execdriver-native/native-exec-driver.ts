/**
 * The native ExecDriver: every container gets its own berth-shim (C,
 * native/src/shim), forked by the process's shim zygote (or spawned), detached,
 * with its bootstrap on stdin. The shim
 * creates PID 1 with clone() in fresh namespaces, keeps its stdio and exit
 * status, and serves `<stateDir>/shim.sock`; this class only computes the
 * bootstrap, manages cgroups, and talks to the socket.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  ConflictError, FailedPreconditionError, InvalidArgumentError, NotFoundError, atomicWriteJson, isUnavailable, loadAddon, nativeExecutable, readJsonIfExists,
} from '../../core';
import type { ContainerSpec, ExecDriver, ExitStatus, RunningContainer } from '../../core';
import { apparmorAvailable, prepareApparmor } from './apparmor';
import { BootstrapWriter, writeCgroups, writeContainer, writeDevicePolicy, writeProcess, writeSeccomp } from './bootstrap-writer';
import { ContainerCgroup, isCgroupV2, parseDeviceRule } from './cgroups';
import type { DeviceRule } from './cgroups';
import { INIT_PATH, buildMountPlan, type CgroupMounts } from './mount-plan';
import { NativeContainer, effectiveProcess } from './native-container';
import { seccompFor } from './seccomp-profile';
import { ShimClient, parseStatus } from './shim-client';

const SPEC_FILE = 'spec.json';
const STATUS_FILE = 'exit.json';
const SOCKET_FILE = 'shim.sock';
const STATE_FILES = [SOCKET_FILE, STATUS_FILE, SPEC_FILE, 'shim.pid', 'shim.log'];

export interface NativeExecDriverOptions {
  /** Host path of berth-shim (default: the native build). */
  shimPath?: string;
  /** Host path of berth-init for `--init` (default: the native build). */
  initPath?: string;
  /**
   * Private directory (created 0700, must be owned by us) where the shim caches
   * compiled seccomp programs. Default: `<tmpdir>/berth-seccomp-<uid>`.
   */
  seccompCacheDir?: string;
}

/** Creates/validates the seccomp cache dir: a real directory, ours, writable by nobody else. */
function prepareCacheDir(dir: string): boolean {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = fs.lstatSync(dir);
    return st.isDirectory() && st.uid === process.getuid?.() && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

function validateSpec(spec: ContainerSpec): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(spec.id)) throw new InvalidArgumentError(`invalid container id: ${JSON.stringify(spec.id)}`);
  if (!path.isAbsolute(spec.rootfs) || !fs.existsSync(spec.rootfs)) throw new InvalidArgumentError(`rootfs: not an existing absolute path: ${spec.rootfs}`);
  if (!path.isAbsolute(spec.stateDir) || !fs.statSync(spec.stateDir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new InvalidArgumentError(`stateDir: not an existing directory: ${spec.stateDir}`);
  }
  if (!spec.process.args.length) throw new InvalidArgumentError('process.args: no command given');
  if (path.join(spec.stateDir, SOCKET_FILE).length > 107) throw new InvalidArgumentError(`stateDir is too long for a unix socket path: ${spec.stateDir}`);
}

interface ExecAddon {
  spawnShim(shim: string, stateDir: string, bootstrap: Buffer): Promise<string>;
  startZygote?(shim: string): Promise<[number, number]>;
  launchShim?(shim: string, stateDir: string, passFd: number, zygoteFd?: number, env?: string[]): [number, number, number];
  finishShim?(pid: number, stdinFd: number, stdoutFd: number, bootstrap: Buffer): Promise<string>;
  loadDeviceProgram?(rules: Int32Array): number;
}
let addon: ExecAddon | null | undefined;

/** The berth_exec addon when built (posix_spawn of the shim, device program loads), else null. */
function execAddon(): ExecAddon | null {
  if (addon === undefined) {
    try {
      const a = loadAddon<Partial<ExecAddon>>('berth_exec');
      addon = typeof a.spawnShim === 'function' ? (a as ExecAddon) : null;
    } catch {
      addon = null;
    }
  }
  return addon;
}

/** The fd number under which a shim inherits the daemon's device program (launchShim's passFd). */
const DEVPROG_FD = 3;

/**
 * A shim started before its bootstrap is ready (the addon's launchShim): it is
 * forked by the zygote (or spawned) while the daemon builds the bootstrap and
 * creates the cgroups. Exactly one of feed() / abort() must follow.
 */
interface LaunchedShim { feed(bootstrap: Buffer): Promise<number>; abort(): void }

/**
 * The process's shim zygotes (`berth-shim --zygote`, native/src/shim/zygote.c), one per
 * shim binary: a fork server that starts each shim with a fork (~0.05 ms of CPU)
 * instead of posix_spawn + execve (~0.3 ms here, mostly static glibc start-up).
 * Started in the background by the first container start (which spawns its shim
 * directly); it exits when this process closes its socket: at exit, or
 * stopShimZygotes(). A start whose request finds the zygote's socket buffer full spawns its
 * shim; a zygote that fails otherwise is dropped and the next start begins a new one.
 */
const zygotes = new Map<string, { pid: number; fd: number } | null | 'starting'>();

function ensureZygote(shim: string): { pid: number; fd: number } | null {
  const z = zygotes.get(shim);
  if (z !== undefined) return z === 'starting' ? null : z;
  const a = execAddon();
  if (!a?.startZygote || !a.launchShim) { zygotes.set(shim, null); return null; }
  zygotes.set(shim, 'starting');
  a.startZygote(shim).then(([pid, fd]) => {
    if (zygotes.get(shim) === 'starting') zygotes.set(shim, { pid, fd }); else fs.closeSync(fd);
  }, () => { if (zygotes.get(shim) === 'starting') zygotes.set(shim, null); });
  return null;
}

/** Closes the zygote's socket (it exits once the requests already queued are served). */
function dropZygote(shim: string, restart: boolean): void {
  const z = zygotes.get(shim);
  if (z && z !== 'starting') { try { fs.closeSync(z.fd); } catch { /* closed */ } }
  if (restart) zygotes.delete(shim); else zygotes.set(shim, null);
}

/** The running shim zygotes of this process (pid, shim binary): at most one per shim binary. */
export function shimZygotes(): Array<{ pid: number; shim: string }> {
  return [...zygotes].flatMap(([shim, z]) => (z && z !== 'starting' ? [{ pid: z.pid, shim }] : []));
}

/**
 * Stops this process's shim zygotes (they exit on EOF; running shims and
 * containers are not affected); later starts begin new ones. For tests and
 * embedders that end without exiting.
 */
export function stopShimZygotes(): void {
  for (const shim of [...zygotes.keys()]) dropZygote(shim, true);
}

/**
 * What a forked shim must see of this process's environment now (the
 * zygote's is from its own start), and BERTH_SHIM_PRENET=1 when the container
 * gets a private network namespace: the shim creates it while the bootstrap
 * is being built (shim-main.c prepare_netns) instead of in clone().
 */
function shimEnv(prenet: boolean): string[] {
  const vars = ['BERTH_SHIM_DEVICES', 'BERTH_SHIM_TIMING'].map((n) => (process.env[n] !== undefined ? `${n}=${process.env[n]}` : n));
  return [...vars, prenet ? 'BERTH_SHIM_PRENET=1' : 'BERTH_SHIM_PRENET'];
}

function launchShim(shim: string, stateDir: string, passFd: number, prenet: boolean): LaunchedShim | null {
  const a = execAddon();
  if (!a?.launchShim || !a.finishShim) return null;
  let pid: number, inFd: number, outFd: number;
  const z = ensureZygote(shim);
  try {
    if (!z) throw new Error('no zygote');
    [pid, inFd, outFd] = a.launchShim(shim, stateDir, passFd, z.fd, shimEnv(prenet));
  } catch (err) {
    // the zygote's socket buffer full (thousands of queued requests): spawn this one;
    // anything else (the zygote died): drop it, the next start begins a new one
    const errno = (err as { errno?: number }).errno;
    if (z && errno !== os.constants.errno.EAGAIN && errno !== os.constants.errno.ENOBUFS) dropZygote(shim, true);
    try {
      [pid, inFd, outFd] = a.launchShim(shim, stateDir, passFd);
    } catch (err) {
      throw new FailedPreconditionError(`cannot start berth-shim: ${(err as Error).message}`, { cause: err });
    }
  }
  let used = false;
  const finish = (b: Buffer): Promise<string> => {
    if (used) throw new Error('launched shim fed twice');
    used = true;
    return a.finishShim!(pid, inFd, outFd, b);
  };
  return {
    feed: async (b) => parseStartAnswer(await finish(b)),
    // EOF without a bootstrap: the shim answers `err` and exits; the fds are closed and the intermediate reaped
    abort: () => { finish(Buffer.alloc(0)).catch(() => undefined); },
  };
}

/** `rwm` → BPF_DEVCG_ACC_MKNOD (1) | READ (2) | WRITE (4), as the shim parses a devrule. */
function deviceAccessBits(access: string): number {
  return (access.includes('m') ? 1 : 0) | (access.includes('r') ? 2 : 0) | (access.includes('w') ? 4 : 0);
}

/** Turns the shim's start answer into PID 1's pid, or FailedPreconditionError with its message. */
function parseStartAnswer(answer: string): number {
  const line = answer.split('\n')[0];
  const m = /^ok (\d+)$/.exec(line);
  if (m) return Number(m[1]);
  throw new FailedPreconditionError(line.replace(/^err /, ''));
}

/**
 * Starts berth-shim with `bootstrap` on stdin; resolves with PID 1's host pid.
 * Uses the addon's posix_spawn when built (≈0.5 ms, and the shim is not our
 * child), child_process.spawn otherwise (≈2-6 ms measured here).
 */
async function startShim(shim: string, stateDir: string, bootstrap: Buffer): Promise<number> {
  const a = execAddon();
  if (a) return parseStartAnswer(await a.spawnShim(shim, stateDir, bootstrap));
  return spawnShim(shim, stateDir, bootstrap);
}

/** child_process fallback of startShim. */
function spawnShim(shim: string, stateDir: string, bootstrap: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(shim, [stateDir], { detached: true, stdio: ['pipe', 'pipe', 'ignore'] });
    let out = '';
    let done = false;
    const finish = (err: Error | null, pid?: number): void => {
      if (done) return;
      done = true;
      child.stdout?.destroy();
      child.stdin?.destroy();
      child.unref();
      if (err) reject(err); else resolve(pid!);
    };
    child.once('error', (err) => finish(new FailedPreconditionError(`cannot start berth-shim: ${err.message}`, { cause: err })));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      try { finish(null, parseStartAnswer(out)); } catch (err) { finish(err as Error); }
    });
    child.once('exit', (code, sig) => finish(new FailedPreconditionError(`berth-shim exited before starting the container (${sig ?? code})`)));
    child.stdin!.on('error', () => { /* reported through exit */ });
    child.stdin!.end(bootstrap);
  });
}

export class NativeExecDriver implements ExecDriver {
  readonly name = 'native';

  /** Specs of the containers this driver started, by state dir (delete needs no read of spec.json). */
  private readonly specs = new Map<string, ContainerSpec>();

  constructor(private readonly opts: NativeExecDriverOptions = {}) {}

  private cache?: { dir: string; salt: string } | null;

  private shim?: string;
  /** berth-shim's path, looked up once (nativeExecutable searches the build dirs: ~5 syscalls a start). */
  private shimPath(): string { return (this.shim ??= this.opts.shimPath ?? nativeExecutable('berth-shim')); }

  /** Where compiled seccomp programs are cached, salted with the shim build; null when unusable. */
  seccompCache(): { dir: string; salt: string } | undefined {
    if (this.cache === undefined) {
      const dir = this.opts.seccompCacheDir ?? path.join(os.tmpdir(), `berth-seccomp-${process.getuid?.() ?? 0}`);
      const shim = this.shimPath();
      const st = fs.statSync(shim);
      this.cache = prepareCacheDir(dir) ? { dir, salt: `${shim}:${st.size}:${st.mtimeMs}` } : null;
    }
    return this.cache ?? undefined;
  }
  private initPath(): string { return this.opts.initPath ?? nativeExecutable('berth-init'); }

  /**
   * Creates cgroup, namespaces and mounts and starts PID 1 under a new shim.
   * Resolves once execve succeeded; on failure rejects with
   * FailedPreconditionError (`container setup failed at <stage>: <error>`)
   * and leaves no cgroup, process or state behind.
   */
  async start(spec: ContainerSpec): Promise<RunningContainer> {
    validateSpec(spec);
    const proc = effectiveProcess(spec, spec.process);
    await prepareApparmor(proc.apparmorProfile, spec.privileged);
    const seccomp = spec.privileged ? null : seccompFor(spec.seccomp, proc.capabilities);
    const cgroup = ContainerCgroup.of(spec.cgroup.parent, spec.id);
    const devices = cgroup.devicePolicy(spec.privileged, (spec.devices ?? []).map((d) => parseDeviceRule(`${d.type} ${d.major}:${d.minor} ${d.access}`)));
    const devprog = devices?.bpfDir ? this.deviceProgram(devices.rules) : -1;
    const shim = this.shimPath();
    await this.clearPreviousShim(spec);
    // No await from the launch until the bootstrap is fed: the shim is forked (or
    // execs) while the mount plan and the bootstrap are built and the cgroups
    // created, and a pending launch holds no thread-pool worker.
    const launched = launchShim(shim, spec.stateDir, devprog, spec.namespaces.net.mode === 'private');
    let bootstrap: Buffer;
    try {
      const v1 = cgroup.v1Controllers().filter((c) => c !== 'devices' || spec.privileged);
      const cgroupMounts: CgroupMounts = spec.namespaces.cgroup.mode !== 'private'
        ? (cgroup.version === 1 ? { bind: Object.fromEntries(v1.map((c) => [c, cgroup.dirs[c]])) } : 'none')
        : cgroup.version === 2 ? 'v2' : v1;
      const ops = buildMountPlan(spec, spec.init ? this.initPath() : undefined, cgroupMounts);
      const w = new BootstrapWriter();
      writeProcess(w, proc, spec.init ? [INIT_PATH, '--', ...proc.args] : proc.args);
      writeContainer(w, spec, ops);
      writeSeccomp(w, seccomp, this.seccompCache());
      writeCgroups(w, cgroup.procsFiles(), cgroup.oomFile());
      writeDevicePolicy(w, devices, launched && devprog >= 0 ? DEVPROG_FD : undefined);
      bootstrap = w.toBuffer();
      cgroup.create(spec.cgroup.resources, spec.privileged);
    } catch (err) {
      launched?.abort();
      throw err;
    }
    try {
      // spec.json (for restore) is written while the shim starts
      const [started, written] = await Promise.allSettled([
        launched ? launched.feed(bootstrap) : startShim(shim, spec.stateDir, bootstrap),
        atomicWriteJson(path.join(spec.stateDir, SPEC_FILE), spec),
      ]);
      if (started.status === 'rejected') throw started.reason;
      if (written.status === 'rejected') {
        await new ShimClient(path.join(spec.stateDir, SOCKET_FILE)).command('shutdown').catch(() => undefined);
        throw written.reason;
      }
      const pid = started.value;
      this.specs.set(spec.stateDir, spec);
      return new NativeContainer(spec, pid, new ShimClient(path.join(spec.stateDir, SOCKET_FILE)), cgroup, () => this.seccompCache());
    } catch (err) {
      cgroup.remove();
      await fs.promises.rm(path.join(spec.stateDir, SPEC_FILE), { force: true });
      throw err;
    }
  }

  /**
   * Loaded device programs by rule list (fds kept for the driver's lifetime; -1: cannot load here,
   * the shim tries itself). At most MAX_DEVICE_PROGRAMS lists (Docker's defaults, plus the
   * `--device` sets seen first): shims of other lists load their own program.
   */
  private readonly devicePrograms = new Map<string, number>();
  private static readonly MAX_DEVICE_PROGRAMS = 8;

  /**
   * The cgroup2 device program for `rules`, loaded once (berth_exec
   * loadDeviceProgram) and handed to every shim as an inherited fd: a load
   * costs ~0.3 ms, an attach ~0.02 ms. -1 when the addon or the kernel cannot.
   */
  private deviceProgram(rules: DeviceRule[]): number {
    const key = rules.map((r) => `${r.type} ${r.major}:${r.minor} ${r.access}`).join(',');
    let fd = this.devicePrograms.get(key);
    if (fd === undefined) {
      if (this.devicePrograms.size >= NativeExecDriver.MAX_DEVICE_PROGRAMS) return -1;
      fd = -1;
      const a = execAddon();
      if (a?.loadDeviceProgram && a.launchShim) {
        const quads = new Int32Array(rules.length * 4);
        rules.forEach((r, i) => quads.set([r.type.charCodeAt(0), r.major, r.minor, deviceAccessBits(r.access)], i * 4));
        try { fd = a.loadDeviceProgram(quads); } catch { fd = -1; }
      }
      this.devicePrograms.set(key, fd);
    }
    return fd;
  }

  /** How many device programs this driver holds loaded (fds open for its lifetime). */
  loadedDevicePrograms(): number {
    return [...this.devicePrograms.values()].filter((fd) => fd >= 0).length;
  }

  /**
   * A state directory is reused when a container restarts: a shim still
   * serving it is shut down if its container exited (ConflictError if it runs).
   */
  private async clearPreviousShim(spec: ContainerSpec): Promise<void> {
    const sock = path.join(spec.stateDir, SOCKET_FILE);
    if (!fs.existsSync(sock)) return;
    const shim = new ShimClient(sock);
    let state: string;
    try { state = await shim.request('state'); } catch { return; }
    if (state.startsWith('running')) throw new ConflictError(`container ${spec.id} is already running`);
    await shim.command('shutdown').catch(() => undefined);
  }

  /**
   * Reconnects to a container's shim after a daemon restart. A live shim
   * gives a RunningContainer (also when PID 1 already exited: its status and
   * unread output are still held by the shim); a gone shim gives the
   * ExitStatus it recorded. NotFoundError when stateDir has neither.
   */
  async restore(id: string, stateDir: string): Promise<RunningContainer | ExitStatus> {
    const spec = await readJsonIfExists<ContainerSpec>(path.join(stateDir, SPEC_FILE));
    const shim = new ShimClient(path.join(stateDir, SOCKET_FILE));
    if (spec && spec.id !== id) throw new InvalidArgumentError(`state directory ${stateDir} belongs to ${spec.id}, not ${id}`);
    try {
      const state = await shim.request('state');
      if (spec) {
        const running = /^running (\d+)$/.exec(state);
        const pid = running ? Number(running[1]) : Number((await fs.promises.readFile(path.join(stateDir, 'shim.pid'), 'utf8').catch(() => '0 0')).split(' ')[1]);
        return new NativeContainer(spec, pid, shim, ContainerCgroup.of(spec.cgroup.parent, spec.id), () => this.seccompCache());
      }
      if (state.startsWith('exited ')) return parseStatus(state.slice(7));
    } catch (err) {
      if (!isUnavailable(err)) throw err;
    }
    const status = await readJsonIfExists<ExitStatus>(path.join(stateDir, STATUS_FILE));
    if (status) return parseStatus(JSON.stringify(status));
    throw new NotFoundError(`no container ${id} in ${stateDir}`);
  }

  /**
   * Stops the shim (killing PID 1 if it still runs), removes the cgroups and
   * the driver's files in stateDir. Idempotent.
   */
  async delete(id: string, stateDir: string): Promise<void> {
    const spec = this.specs.get(stateDir) ?? await readJsonIfExists<ContainerSpec>(path.join(stateDir, SPEC_FILE)).catch(() => undefined);
    const shim = new ShimClient(path.join(stateDir, SOCKET_FILE));
    const cgroup = ContainerCgroup.of(spec?.cgroup.parent ?? 'berth', id);
    // a frozen PID 1 cannot die: thaw first
    if (cgroup.isFrozen()) await cgroup.setFrozen(false).catch(() => undefined);
    // a shim unlinks its socket when it exits (e.g. right after PID 1's status was
    // collected): no socket, nobody to connect to (a connect would fail the same way)
    if (fs.existsSync(shim.socketPath)) {
      try {
        // the shim kills PID 1 if needed and answers once its status is recorded
        await shim.command('shutdown');
      } catch (err) {
        if (!isUnavailable(err)) throw err;
      }
    }
    cgroup.remove();
    // five unlinks in the exec root (tmpfs): synchronously, instead of five thread-pool round trips
    for (const f of STATE_FILES) {
      try { fs.unlinkSync(path.join(stateDir, f)); } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    this.specs.delete(stateDir);
  }

  /** What is really enforced here, in Docker's `SecurityOptions` form. */
  securityOptions(): string[] {
    const opts = ['name=seccomp,profile=builtin'];
    if (apparmorAvailable()) opts.unshift('name=apparmor');
    else opts.push('name=apparmor,status=unavailable: this kernel has no AppArmor (/sys/kernel/security/apparmor missing)');
    if (isCgroupV2()) opts.push('name=cgroupns');
    return opts;
  }
}
