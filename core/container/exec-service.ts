/**
 * Exec: extra processes inside a running container (`docker exec`). An exec
 * is created (config stored), started once (attached to the job's stdio, or
 * detached), inspected and resized. The process gets the container's
 * security profile — capabilities, no_new_privs, rlimits, AppArmor — with the
 * exec's own user, environment, working directory and tty.
 */
import type { ProcessIO, ProcessSpec, RunningExec } from '../drivers/execdriver';
import type { Job } from '../engine/job';
import { ConflictError, InvalidArgumentError, NotFoundError, toBerthError } from '../errors';
import type { ContainerService } from './container-service';
import { newId } from './ids';
import { processEnv } from './merge-config';
import { pumpProcessIO } from './pump-io';
import { readInRoot } from './root-path';
import { computeCapabilities } from './spec/capabilities';
import { DEFAULT_PATH_ENV } from './spec/defaults';
import { parseGroup, parsePasswd, resolveUser } from './spec/user';

/** Docker's ExecConfig (the create body). */
export interface ExecCreateBody {
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  ConsoleSize?: [number, number] | null;
  DetachKeys?: string;
  Tty?: boolean;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Privileged?: boolean;
  User?: string;
  WorkingDir?: string;
}

interface ExecRecord {
  id: string;
  containerId: string;
  config: ExecCreateBody & { Cmd: string[] };
  running: boolean;
  started: boolean;
  exitCode: number | null;
  pid: number;
  proc?: RunningExec;
}

/** Docker's ExecInspect shape. */
export interface ExecInspect {
  ID: string;
  Running: boolean;
  ExitCode: number | null;
  ProcessConfig: { tty: boolean; entrypoint: string; arguments: string[]; privileged: boolean; user?: string };
  OpenStdin: boolean;
  OpenStderr: boolean;
  OpenStdout: boolean;
  CanRemove: boolean;
  ContainerID: string;
  DetachKeys: string;
  Pid: number;
}

export class ExecService {
  private readonly execs = new Map<string, ExecRecord>();

  constructor(private readonly containers: ContainerService) {}

  private get(id: string): ExecRecord {
    const e = this.execs.get(id);
    if (!e) throw new NotFoundError(`No such exec instance: ${id}`);
    return e;
  }

  /**
   * exec.create: the container must be running and not paused; `Cmd` is
   * required. Resolves with `{ Id }`.
   */
  async create(ref: string, body: ExecCreateBody): Promise<{ Id: string }> {
    const c = this.containers.store.get(ref);
    if (!body.Cmd || body.Cmd.length === 0) throw new InvalidArgumentError('No exec command specified');
    if (c.record.State.Paused) throw new ConflictError(`Container ${ref} is paused, unpause the container before exec`); // the name as given, as dockerd
    this.containers.runtimeOf(c);
    const id = newId();
    this.execs.set(id, { id, containerId: c.record.ID, config: { ...body, Cmd: [...body.Cmd] }, running: false, started: false, exitCode: null, pid: 0 });
    let ids = this.containers.execIds.get(c.record.ID);
    if (!ids) { ids = new Set(); this.containers.execIds.set(c.record.ID, ids); }
    ids.add(id);
    await this.containers.emit(c, `exec_create: ${body.Cmd.join(' ')}`, { execID: id });
    return { Id: id };
  }

  /** The process spec of an exec: the container's profile with the exec's overrides. */
  private async processSpec(e: ExecRecord, tty: boolean): Promise<ProcessSpec> {
    const c = this.containers.store.get(e.containerId);
    const rt = this.containers.runtimeOf(c);
    const base = rt.spec.process;
    const cfg = e.config;
    let user = base?.user ?? { uid: 0, gid: 0, additionalGids: [] };
    let home = '/root';
    if (cfg.User) {
      const rootfs = rt.spec.rootfs;
      const u = resolveUser(cfg.User, parsePasswd(await readInRoot(rootfs, '/etc/passwd')), parseGroup(await readInRoot(rootfs, '/etc/group')), c.hostConfig.GroupAdd ?? []);
      user = { uid: u.uid, gid: u.gid, additionalGids: u.additionalGids };
      home = u.home;
    }
    let env = processEnv({ Env: [...(c.record.Config.Env ?? []), ...(cfg.Env ?? [])], Hostname: c.record.Config.Hostname, Tty: tty }, DEFAULT_PATH_ENV);
    if (!env.some((x) => x.startsWith('HOME='))) {
      const baseHome = base?.env.find((x) => x.startsWith('HOME='));
      env = [...env, cfg.User ? `HOME=${home}` : baseHome ?? `HOME=${home}`];
    }
    const capabilities = cfg.Privileged
      ? computeCapabilities(['ALL'], [], true).capabilities
      : base?.capabilities ?? computeCapabilities(c.hostConfig.CapAdd, c.hostConfig.CapDrop, c.hostConfig.Privileged).capabilities;
    const spec: ProcessSpec = {
      args: cfg.Cmd,
      env,
      cwd: cfg.WorkingDir || c.record.Config.WorkingDir || '/',
      user,
      terminal: tty,
      openStdin: !!cfg.AttachStdin,
      capabilities,
      noNewPrivileges: base?.noNewPrivileges ?? false,
      rlimits: base?.rlimits ?? [],
    };
    if (cfg.ConsoleSize && cfg.ConsoleSize[0] > 0) spec.consoleSize = { rows: cfg.ConsoleSize[0], cols: cfg.ConsoleSize[1] };
    if (base?.apparmorProfile && !cfg.Privileged) spec.apparmorProfile = base.apparmorProfile;
    return spec;
  }

  /**
   * exec.start: runs the process. Detached: resolves once it runs. Attached:
   * stdin from job.io.stdin, output to job.io.stdout/stderr (one stream with
   * a tty), resolves when the process exited and its output was written.
   * ConflictError when this exec was already started.
   */
  async start(job: Job<{ id: string; body?: { Detach?: boolean; Tty?: boolean; ConsoleSize?: [number, number] | null } }>): Promise<void> {
    const e = this.get(job.input.id);
    if (e.started) throw new ConflictError(`Error: Exec command ${e.id} has already run`);
    const body = job.input.body ?? {};
    const tty = body.Tty ?? !!e.config.Tty;
    if (body.ConsoleSize) e.config.ConsoleSize = body.ConsoleSize;
    const c = this.containers.store.get(e.containerId);
    const rt = this.containers.runtimeOf(c);
    e.started = true;
    let proc: RunningExec;
    try {
      proc = await rt.running.exec(await this.processSpec(e, tty));
    } catch (err) {
      // dockerd: the exec's exit code is 126, and an attached client reads
      // the error in its output stream (then `docker exec` exits 126)
      e.exitCode = 126;
      if (body.Detach) throw err;
      job.io.stdout.write(`${toBerthError(err).message}\r\n`);
      return;
    }
    e.proc = proc;
    e.pid = proc.pid;
    e.running = true;
    await this.containers.emit(c, `exec_start: ${e.config.Cmd.join(' ')}`, { execID: e.id });
    const io = await proc.attach();
    const finished = proc.wait().then((st) => { e.exitCode = st.exitCode; }, () => { e.exitCode = 126; })
      .finally(() => { e.running = false; void this.containers.emit(c, 'exec_die', { execID: e.id, exitCode: String(e.exitCode ?? -1) }); });
    if (body.Detach) {
      // nobody reads a detached exec's output: drain it so the shim never holds the process back
      io.stdout.resume();
      io.stderr?.resume();
      io.stdin?.end();
      void finished;
      return;
    }
    await pumpExec(io, job, e);
    await finished;
  }

  /** exec.inspect: Docker's ExecInspect. */
  inspect(id: string): ExecInspect {
    const e = this.get(id);
    const out: ExecInspect = {
      ID: e.id, Running: e.running, ExitCode: e.exitCode,
      ProcessConfig: { tty: !!e.config.Tty, entrypoint: e.config.Cmd[0], arguments: e.config.Cmd.slice(1), privileged: !!e.config.Privileged },
      OpenStdin: !!e.config.AttachStdin, OpenStderr: !!e.config.AttachStderr, OpenStdout: !!e.config.AttachStdout,
      CanRemove: false, ContainerID: e.containerId, DetachKeys: e.config.DetachKeys ?? '', Pid: e.pid,
    };
    if (e.config.User) out.ProcessConfig.user = e.config.User;
    return out;
  }

  /** exec.resize: the exec's tty size. ConflictError when it is not running. */
  async resize(id: string, h: number, w: number): Promise<void> {
    const e = this.get(id);
    if (!e.running || !e.proc) throw new ConflictError(`Exec ${id} is not running, so it can not be resized`);
    await e.proc.resize(h, w);
  }

  /** Forgets the execs of a removed container. */
  forgetContainer(containerId: string): void {
    for (const [id, e] of this.execs) if (e.containerId === containerId) this.execs.delete(id);
  }
}

function pumpExec(io: ProcessIO, job: Job<unknown>, e: ExecRecord): Promise<void> {
  return pumpProcessIO(io, job, {
    stdout: e.config.AttachStdout !== false, stderr: e.config.AttachStderr !== false,
    stdin: Boolean(e.config.AttachStdin), closeStdinAtEnd: true,
  });
}
