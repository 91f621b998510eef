/**
 * A container started (or restored) by the native driver: a RunningContainer
 * backed by its shim's socket and its cgroup.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { ConflictError, InvalidArgumentError, isUnavailable, readJsonIfExists } from '../../core';
import type { AttachOptions, ContainerSpec, ContainerStats, ExitStatus, ProcessIO, ProcessSpec, Resources, RunningContainer, RunningExec } from '../../core';
import { BootstrapWriter, writeCgroups, writeProcess, writeSeccomp } from './bootstrap-writer';
import { privilegedCapabilities } from './capabilities';
import type { ContainerCgroup } from './cgroups';
import { seccompFor } from './seccomp-profile';
import { prepareApparmor } from './apparmor';
import { parseStatus } from './shim-client';
import type { ShimClient, ShimStream } from './shim-client';

/** `SIGTERM`, `TERM`, `15` or 15 → 15; InvalidArgumentError otherwise. */
export function signalNumber(sig: string | number): number {
  if (typeof sig === 'number' || /^\d+$/.test(sig)) {
    const n = Number(sig);
    if (n > 0 && n < 65) return n;
  } else {
    const name = sig.toUpperCase().startsWith('SIG') ? sig.toUpperCase() : `SIG${sig.toUpperCase()}`;
    const n = (os.constants.signals as Record<string, number>)[name];
    if (n) return n;
    const rt = /^SIGRTMIN(?:\+(\d+))?$/.exec(name);
    if (rt) return 34 + Number(rt[1] ?? 0);
  }
  throw new InvalidArgumentError(`invalid signal: ${sig}`);
}

/** The process spec as the driver runs it (privileged → every capability the host allows). */
export function effectiveProcess(spec: ContainerSpec, p: ProcessSpec): ProcessSpec {
  return spec.privileged ? { ...p, capabilities: privilegedCapabilities().capabilities } : p;
}

class NativeExec implements RunningExec {
  private used = false;
  constructor(readonly pid: number, private readonly shim: ShimClient, private readonly stream: ShimStream, private readonly terminal: boolean) {}

  /** The first call returns the stream opened with the exec (output from the start); later calls attach anew. */
  async attach(): Promise<ProcessIO> {
    if (!this.used) { this.used = true; return this.stream.io; }
    return (await this.shim.attach(this.pid, this.terminal)).io;
  }
  /** Sets the exec's terminal size; FailedPreconditionError without a terminal. */
  async resize(rows: number, cols: number): Promise<void> { await this.shim.command(`resize ${this.pid} ${rows} ${cols}`); }
  /** Sends a signal to the exec'd process. */
  async signal(signal: string | number): Promise<void> { await this.shim.command(`signal ${this.pid} ${signalNumber(signal)}`); }
  /** Resolves with the exec's exit status. */
  wait(): Promise<ExitStatus> { return this.stream.exit.catch(() => this.shim.wait(this.pid)); }
}

export class NativeContainer implements RunningContainer {
  private exitStatus?: ExitStatus;

  constructor(
    readonly spec: ContainerSpec,
    readonly pid: number,
    private readonly shim: ShimClient,
    private readonly cgroup: ContainerCgroup,
    /** Where compiled seccomp programs are cached (asked only when an exec needs it). */
    private readonly seccompCache: () => { dir: string; salt: string } | undefined = () => undefined,
  ) {}

  /** The container id of the spec it was started from. */
  get id(): string { return this.spec.id; }

  /**
   * Attaches to PID 1's stdio (output kept by the shim while nobody was
   * attached comes first). With `opts.log`, the log attach: output stays in
   * the shim until acknowledged through io.ack, and resumes where
   * `resumeFrom` says after a daemon restart.
   */
  async attach(opts?: AttachOptions): Promise<ProcessIO> {
    if (opts?.log) return (await this.shim.attachLog(this.spec.process.terminal, opts.log)).io;
    return (await this.shim.attach(0, this.spec.process.terminal)).io;
  }

  /** Sends a signal to PID 1 through the shim (no pid-reuse race). ConflictError when it has exited. */
  async signal(signal: string | number): Promise<void> {
    const n = signalNumber(signal);
    const reply = await this.notRunningIfGone(this.shim.request(`signal 0 ${n}`));
    // SIGKILL must be able to end a paused container (Docker: kill works on paused ones)
    if (reply === 'ok' && n === 9 && this.cgroup.isFrozen()) await this.cgroup.setFrozen(false);
    if (reply === 'ok') return;
    if (reply.includes('exited')) throw new ConflictError(`container ${this.id} is not running`);
    if (reply.includes('not running')) throw new ConflictError(`container ${this.id} is not running`);
    throw new InvalidArgumentError(`signal ${signal}: ${reply.replace(/^err /, '')}`);
  }

  /** A shim that is gone means the container exited and was collected: ConflictError. */
  private async notRunningIfGone<T>(p: Promise<T>): Promise<T> {
    try {
      return await p;
    } catch (err) {
      if (isUnavailable(err)) throw new ConflictError(`container ${this.id} is not running`, { cause: err });
      throw err;
    }
  }

  /** Resolves with PID 1's exit status (also after the shim has exited, from exit.json). */
  async wait(): Promise<ExitStatus> {
    if (this.exitStatus) return this.exitStatus;
    try {
      this.exitStatus = await this.shim.wait(0);
    } catch (err) {
      // the shim is gone (collected by another daemon, or killed): its record remains
      if (!isUnavailable(err)) throw err;
      const recorded = await readJsonIfExists<ExitStatus>(path.join(this.spec.stateDir, 'exit.json'));
      if (!recorded) throw err;
      this.exitStatus = parseStatus(JSON.stringify(recorded));
    }
    return this.exitStatus;
  }

  /** Resizes PID 1's terminal. */
  async resize(rows: number, cols: number): Promise<void> { await this.shim.command(`resize 0 ${rows} ${cols}`); }
  /** Freezes every process of the container (freezer / cgroup.freeze). */
  async pause(): Promise<void> { await this.cgroup.setFrozen(true); }
  /** Thaws the container. */
  async resume(): Promise<void> { await this.cgroup.setFrozen(false); }

  /**
   * Runs a process inside the container: the shim joins PID 1's namespaces
   * and cgroup, applies the process's caps, the container's seccomp policy
   * (computed for the exec's capabilities) and AppArmor profile.
   */
  async exec(process: ProcessSpec): Promise<RunningExec> {
    // a process joining a frozen cgroup would freeze before execve, and the shim with it
    if (this.cgroup.isFrozen()) throw new ConflictError(`container ${this.id} is paused, unpause the container before exec`);
    const p = effectiveProcess(this.spec, process);
    await prepareApparmor(p.apparmorProfile, this.spec.privileged);
    const w = new BootstrapWriter();
    writeProcess(w, p);
    if (!this.spec.privileged) writeSeccomp(w, seccompFor(this.spec.seccomp, p.capabilities), this.seccompCache());
    writeCgroups(w, this.cgroup.procsFiles());
    const { pid, stream } = await this.notRunningIfGone(this.shim.exec(w.toBuffer(), p.terminal));
    return new NativeExec(pid, this.shim, stream, p.terminal);
  }

  /** Usage read from the container's cgroup. */
  async stats(): Promise<ContainerStats> { return this.cgroup.stats(); }
  /** Host pids of the container's processes. */
  async pids(): Promise<number[]> { return this.cgroup.pids(); }
  /** Applies new limits to the running container. */
  async update(resources: Resources): Promise<void> { this.cgroup.update(resources); }
}
