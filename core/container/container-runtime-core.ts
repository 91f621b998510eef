/**
 * The runtime half of the container service: its dependencies (resolved at
 * use time), the in-memory runtimes of running containers, starting PID 1
 * (rootfs, volumes, network, /etc files, spec, log driver, exec driver, log
 * copier) and the exit monitor (status recorded, resources released, restart
 * policy with Docker's back-off). ContainerService adds the operations.
 */
import 'reflect-metadata';
import { EventEmitter } from 'node:events';
import { mkdirSync, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Kernel } from '../daemon/kernel';
import { Tokens } from '../daemon/kernel';
import type { ExecDriver, ExecMount, ExitStatus, RunningContainer } from '../drivers/execdriver';
import type { LogContext } from '../drivers/logdriver';
import { ConflictError, FailedPreconditionError, InvalidArgumentError, toBerthError } from '../errors';
import type { EngineEvent } from '../hooks/events';
import { createLogDriver, parseLogMode } from '../logging/create-log-driver';
import { startLogCopier } from '../logging/log-copier';
import { logAttachFor, type LogAttach } from './log-resume';
import { rfc3339Nano } from './clock';
import { attachContainerNetwork, type ContainerNetwork } from './container-network';
import { mountContainerVolumes, unmountContainerVolumes } from './container-volumes';
import { HealthMonitor, type HealthcheckConfig, probeArgs } from './health';
import { IOFanout } from './io-fanout';
import { KeyedMutex } from './keyed-mutex';
import type { ImagePort, NetworkPort, VolumePort } from './ports';
import { RestartManager } from './restart-policy';
import { readInRoot } from './root-path';
import { allOrFirstError } from '../util/settle';
import { type Runtime, defaultShmSize } from './runtime';
import { buildContainerSpec, type SpecDefaults } from './spec/build-spec';
import { parseMounts } from './spec/mounts';
import { probeResourceSupport, type ResourceSupport } from './spec/resources';
import { transition } from './state';
import { ContainerStore } from './store';
import { PhaseTimer } from './phase-timer';
import { atomicWriteAll } from '../fs/atomic-write';
import type { Container, ContainerState } from './types';
import { stoppedNetworkSettings } from './views';


/** How long a premounted rootfs waits for its start before it is unmounted. */
export const PREMOUNT_MS = 10_000;

export abstract class ContainerRuntimeCore {
  readonly store: ContainerStore;
  /** Emits `start:<id>`, `die:<id>`, `stopped:<id>`, `removed:<id>`. */
  readonly events = new EventEmitter();
  protected readonly runtimes = new Map<string, Runtime>();
  /**
   * Exit handling still under way, by container id (its runtime already left
   * `runtimes`): removal waits for it, so `destroy` never overtakes `die`.
   */
  protected readonly exiting = new Map<string, Promise<void>>();
  protected readonly restarts = new Map<string, RestartManager>();
  protected readonly restartTimers = new Map<string, NodeJS.Timeout>();
  protected readonly lock = new KeyedMutex();
  /** Exited AutoRemove containers whose rootfs is still mounted: their removal unmounts it with the layer. */
  protected readonly rootfsHeld = new Set<string>();
  /** Rootfs mounts begun at create for AutoRemove containers, which `docker run --rm` starts next. */
  protected readonly premounts = new Map<string, { rootfs: Promise<string>; timer: NodeJS.Timeout }>();
  /** Containers whose exec driver state was deleted after their last exit (removal need not do it again). */
  protected readonly execCleaned = new Set<string>();
  /** Layer deletions still running after their container was removed (shutdown waits for them). */
  protected readonly deletions = new Set<Promise<void>>();
  /** What this host's cgroups support (swap accounting, CPUs), for Docker's resource warnings. */
  readonly support: ResourceSupport;
  protected shuttingDown = false;
  /** Exec ids per container, kept by the exec side for inspect's ExecIDs. */
  readonly execIds = new Map<string, Set<string>>();

  constructor(readonly kernel: Kernel) {
    this.store = new ContainerStore(path.join(kernel.config['data-root'], 'containers'));
    this.support = probeResourceSupport();
    this.events.setMaxListeners(0);
  }

  // ---- dependencies, resolved at use time ----

  /** The image service (`Tokens.ImageService` or `kernel:images`). */
  get images(): ImagePort {
    if (this.kernel.di.isRegistered(Tokens.ImageService)) return this.kernel.di.resolve<ImagePort>(Tokens.ImageService);
    if (this.kernel.plugins.has('kernel:images')) return this.kernel.plugins.resolve<ImagePort>('kernel:images');
    throw new FailedPreconditionError('no image service is set up (kernel:images)');
  }

  /** The network service, or null when the kernel has none (then only `none` and `host` work). */
  get networks(): NetworkPort | null {
    if (this.kernel.di.isRegistered(Tokens.NetworkService)) return this.kernel.di.resolve<NetworkPort>(Tokens.NetworkService);
    if (this.kernel.plugins.has('kernel:networks')) return this.kernel.plugins.resolve<NetworkPort>('kernel:networks');
    return null;
  }

  /** The volume service, or null when the kernel has none (then volume mounts are refused). */
  get volumes(): VolumePort | null {
    if (this.kernel.di.isRegistered(Tokens.VolumeService)) return this.kernel.di.resolve<VolumePort>(Tokens.VolumeService);
    if (this.kernel.plugins.has('kernel:volumes')) return this.kernel.plugins.resolve<VolumePort>('kernel:volumes');
    return null;
  }

  /** The exec driver named by `exec-driver` (default `native`). */
  get execDriver(): ExecDriver {
    const name = this.kernel.config['exec-driver'] ?? 'native';
    return this.kernel.plugins.resolve<ExecDriver>(`execdriver:${name}`);
  }

  /** The exec driver's state directory for a container (`<exec-root>/containers/<id>`). */
  stateDir(id: string): string {
    return path.join(this.kernel.config['exec-root'], 'containers', id);
  }

  protected daemonSeccomp: SpecDefaults['seccomp'] | null | undefined;

  /**
   * Daemon-wide spec settings: `cgroup-parent`, `default-shm-size`,
   * `no-new-privileges`, and `seccomp-profile` (`unconfined` or a path to a
   * Docker-format profile, read once; a bad file is an InvalidArgumentError
   * naming it).
   */
  protected async specDefaults(): Promise<SpecDefaults> {
    const cfg = this.kernel.config;
    const out: SpecDefaults = { cgroupParent: cfg['cgroup-parent'] || 'berth', shmSize: defaultShmSize(cfg), noNewPrivileges: !!cfg['no-new-privileges'] };
    const profile = cfg['seccomp-profile'];
    if (profile && this.daemonSeccomp === undefined) {
      if (profile === 'unconfined') this.daemonSeccomp = null;
      else {
        try {
          this.daemonSeccomp = JSON.parse(await fsp.readFile(profile, 'utf8')) as Record<string, unknown>;
        } catch (err) {
          throw new InvalidArgumentError(`seccomp-profile ${profile}: ${(err as Error).message}`);
        }
      }
    }
    if (profile) out.seccomp = this.daemonSeccomp ?? null;
    return out;
  }

  /** Fires an `/events` message for a container, with Docker's attributes (name, image, labels + extra). */
  async emit(c: Container, action: string, extra: Record<string, string> = {}): Promise<void> {
    const now = BigInt(Date.now()) * 1_000_000n;
    const ev: EngineEvent = {
      Type: 'container', Action: action,
      Actor: { ID: c.record.ID, Attributes: { ...c.record.Config.Labels, image: c.record.Config.Image, name: c.record.Name.slice(1), ...extra } },
      scope: 'local', time: Number(now / 1_000_000_000n), timeNano: Number(now),
    };
    await this.kernel.hooks.engine.event.promise(ev).catch((err: Error) => this.kernel.log.warn({ err: err.message }, 'event hook failed'));
  }

  protected restartManager(c: Container): RestartManager {
    let rm = this.restarts.get(c.record.ID);
    if (!rm) { rm = new RestartManager(c.hostConfig.RestartPolicy); this.restarts.set(c.record.ID, rm); }
    return rm;
  }

  /**
   * Transitions and persists the state atomically; durably unless `durable`
   * is false (a state a crash may lose: restore then sees the previous one).
   */
  protected async setState(c: Container, to: Parameters<typeof transition>[1], change: Parameters<typeof transition>[2] = {}, durable = true): Promise<void> {
    c.record.State = transition(c.record.State, to, change);
    await this.store.saveRecord(c, durable);
  }

  /**
   * Begins mounting a new container's rootfs while the client gets ready to
   * start it (`docker run` attaches and waits first); start takes the mount.
   * Released when no start came within PREMOUNT_MS, or at removal.
   */
  premount(id: string): void {
    if (this.premounts.has(id) || this.shuttingDown) return;
    const rootfs = this.images.mountContainerLayer(id);
    rootfs.catch(() => undefined);
    const timer = setTimeout(() => { void this.dropPremount(id); }, PREMOUNT_MS);
    timer.unref();
    this.premounts.set(id, { rootfs, timer });
  }

  /** The premounted rootfs (its mount reference passes to the caller), or undefined. */
  protected takePremount(id: string): Promise<string> | undefined {
    const p = this.premounts.get(id);
    if (!p) return undefined;
    this.premounts.delete(id);
    clearTimeout(p.timer);
    return p.rootfs;
  }

  /** Releases an unused premount. */
  protected async dropPremount(id: string): Promise<void> {
    const p = this.takePremount(id);
    if (!p) return;
    try { await p; } catch { return; }
    await this.images.unmountContainerLayer(id).catch(() => undefined);
  }

  /** The in-memory runtime of a container whose PID 1 this daemon watches, if any. */
  runtimeFor(id: string): Runtime | undefined {
    return this.runtimes.get(id);
  }

  /** The runtime of a running container, or ConflictError `Container X is not running`. */
  runtimeOf(c: Container): Runtime {
    const rt = this.runtimes.get(c.record.ID);
    if (c.record.State.Restarting) throw new ConflictError(`Container ${c.record.ID} is restarting, wait until the container is running`);
    if (!rt || !c.record.State.Running) throw new ConflictError(`Container ${c.record.ID} is not running`);
    return rt;
  }

  graphDriverName(): string {
    if (this.kernel.di.isRegistered(Tokens.GraphDriver)) {
      try { return this.kernel.di.resolve<{ name: string }>(Tokens.GraphDriver).name; } catch { /* fall through */ }
    }
    return this.kernel.config['storage-driver'] ?? '';
  }

  protected async startLocked(c: Container): Promise<void> {
    const id = c.record.ID;
    const hc = c.hostConfig;
    const timer = new PhaseTimer();
    this.execCleaned.delete(id);
    const cleanups: Array<() => Promise<void>> = [];
    try {
      const dir = this.store.dir(id);
      const stateDir = this.stateDir(id);
      // Independent preparations run side by side; each registers its undo as soon as it holds something.
      const [fs, net, [defaults, logDriver]] = await allOrFirstError([
        (async () => {
          const pre = this.takePremount(id);
          const rootfs = pre ? await pre.catch(() => this.images.mountContainerLayer(id)) : await this.images.mountContainerLayer(id);
          cleanups.push(() => this.images.unmountContainerLayer(id));
          for (const m of parseMounts(hc)) {
            if (m.type === 'bind' && m.createSource) await fsp.mkdir(m.source, { recursive: true });
          }
          const volumeMounts = await this.mountVolumes(c, rootfs);
          cleanups.push(() => this.unmountVolumes(c));
          const [passwd, group] = await Promise.all([readInRoot(rootfs, '/etc/passwd'), readInRoot(rootfs, '/etc/group')]);
          timer.at('rootfs@');
          return { rootfs, volumeMounts, passwd, group };
        })(),
        (async () => {
          const n = await this.attachNetwork(c);
          cleanups.push(() => this.detachNetwork(c));
          // rebuilt at every start: atomic, but nothing a crash must keep
          await atomicWriteAll([
            { file: c.record.HostnamePath, data: `${c.record.Config.Hostname}\n`, mode: 0o644, sync: false },
            { file: c.record.HostsPath, data: n.hostsFile, mode: 0o644, sync: false },
            { file: c.record.ResolvConfPath, data: n.resolvConf, mode: 0o644, sync: false },
          ]);
          timer.at('network@');
          return n;
        })(),
        (async () => {
          mkdirSync(stateDir, { recursive: true, mode: 0o700 });
          const d = await this.specDefaults();
          const ld = await createLogDriver(this.kernel, this.logContext(c, dir), hc.LogConfig.Type, hc.LogConfig.Config);
          cleanups.push(() => ld.close());
          return [d, ld] as const;
        })(),
      ]);
      timer.mark('prepare');
      const { spec, warnings } = buildContainerSpec({
        id, config: c.record.Config, hostConfig: hc, stateDir, rootfs: fs.rootfs,
        passwd: fs.passwd, group: fs.group,
        netnsPath: hc.NetworkMode === 'host' ? null : net.netnsPath, volumeMounts: fs.volumeMounts,
        etcFiles: { hostname: c.record.HostnamePath, hosts: c.record.HostsPath, resolvConf: c.record.ResolvConfPath },
        defaults,
      });
      for (const w of warnings) this.kernel.log.warn({ container: id }, w);
      timer.mark('spec');
      const probing = probeArgs((c.record.Config.Healthcheck as HealthcheckConfig | undefined)?.Test, c.record.Config.Shell) !== null;
      const startedAt = rfc3339Nano();
      const runningState = (pid: number): ContainerState => ({
        ...transition(c.record.State, 'running', { Pid: pid, StartedAt: startedAt }),
        ...(probing ? { Health: { Status: 'starting', FailingStreak: 0, Log: [] } } : {}),
      });
      // The durable `running` record is written while PID 1 starts: a crash
      // after the start then finds it (restore reattaches and fixes the Pid);
      // a failed start overwrites it with the error below.
      const [started, recorded] = await Promise.allSettled([
        this.execDriver.start(spec),
        this.store.saveRecordAs(c, { ...c.record, State: runningState(0), NetworkSettings: net.settings, HasBeenStartedBefore: true }),
      ]);
      if (started.status === 'fulfilled') {
        const r = started.value;
        cleanups.push(async () => {
          await r.signal('SIGKILL').catch(() => undefined);
          await r.wait().catch(() => undefined);
          await this.execDriver.delete(id, stateDir).catch(() => undefined);
        });
      }
      if (started.status === 'rejected') throw started.reason;
      if (recorded.status === 'rejected') throw recorded.reason;
      const running = started.value;
      timer.mark('exec');
      const logAttach = logAttachFor(hc.LogConfig, logDriver);
      const io = await running.attach(logAttach?.options);
      timer.mark('attach');
      // synchronously from here to the emit: waiting attachers subscribe before any output flows
      const rt = this.makeRuntime(c, running, io, logDriver, spec, logAttach);
      this.runtimes.set(id, rt);
      cleanups.push(async () => { rt.detached = true; this.runtimes.delete(id); rt.markReady(); });
      this.events.emit(`start:${id}`);
      c.record.NetworkSettings = net.settings;
      c.record.HasBeenStartedBefore = true;
      c.record.State = runningState(running.pid);
      // Only the Pid is new since the durable write, and restore finds that again:
      // not waited for (the store keeps a container's writes in order, so the
      // exit's cannot be overtaken by it).
      void this.store.saveRecord(c, false).catch((err: Error) => this.kernel.log.warn({ container: id, err: err.message }, 'could not record the pid'));
      if (probing) this.startHealth(c, rt);
      rt.markReady();
      timer.mark('state');
      await this.kernel.hooks.container.started.promise(id, running.pid).catch((err: Error) => this.kernel.log.warn({ err: err.message }, 'started hook failed'));
      await this.emit(c, 'start');
      this.kernel.log.debug({ container: id, ms: timer.total(), phases: timer.phases }, 'start phases');
    } catch (err) {
      for (const undo of cleanups.reverse()) await undo().catch(() => undefined);
      const e = toBerthError(err);
      // Docker's codes for a command that cannot be run: 127 not found, 126 not executable, else 128
      const code = /exec.*(no such file|not found|ENOENT)|executable file not found/i.test(e.message) ? 127
        : /exec.*(permission denied|EACCES)/i.test(e.message) ? 126 : 128;
      c.record.State = { ...c.record.State, Error: e.message, ExitCode: code };
      await this.store.saveRecord(c).catch(() => undefined);
      throw e;
    }
  }

  protected logContext(c: Container, dir: string): LogContext {
    return {
      containerId: c.record.ID, containerName: c.record.Name, imageName: c.record.Config.Image, imageId: c.record.Image,
      containerLabels: c.record.Config.Labels, containerEnv: c.record.Config.Env ?? [], containerDir: dir,
      options: c.hostConfig.LogConfig.Config,
    };
  }

  /** Starts the health prober of a running container (state in State.Health, persisted after each probe). */
  protected startHealth(c: Container, rt: Runtime): void {
    const config = c.record.Config.Healthcheck as HealthcheckConfig | undefined;
    if (!config || !c.record.State.Health || probeArgs(config.Test, c.record.Config.Shell) === null) return;
    rt.health = new HealthMonitor({
      running: rt.running, baseProcess: rt.spec.process, config, shell: c.record.Config.Shell, state: c.record.State.Health,
      onResult: async (changed) => {
        if (!c.record.State.Running) return;
        await this.store.saveRecord(c);
        if (changed) await this.emit(c, `health_status: ${c.record.State.Health!.Status}`);
      },
    });
    rt.health.start();
  }

  /** Wires PID 1's stdio to the log copier and starts the exit monitor. */
  protected makeRuntime(c: Container, running: RunningContainer, io: Parameters<typeof startLogCopier>[0],
    logDriver: Runtime['logDriver'], spec: Runtime['spec'], logAttach?: LogAttach): Runtime {
    const fanout = new IOFanout(io);
    const { mode, maxBufferSize } = c.hostConfig.LogConfig.Type === 'none'
      ? { mode: 'blocking' as const, maxBufferSize: 0 } : parseLogMode(c.hostConfig.LogConfig.Config);
    const copier = startLogCopier(fanout.subscribe(), logAttach ? logAttach.track(logDriver, io.ack) : logDriver, {
      mode, maxBufferSize: maxBufferSize || undefined,
      onError: (err) => this.kernel.log.warn({ container: c.record.ID, err: err.message }, 'log copier'),
    });
    let markReady = (): void => undefined;
    const ready = new Promise<void>((resolve) => { markReady = resolve; });
    const rt: Runtime = {
      running, fanout, copier, logDriver, spec, startedAtMs: Date.now(), detached: false, exited: Promise.resolve(),
      ready, markReady,
    };
    rt.exited = running.wait().then(
      (status) => this.handleExit(c, rt, status),
      (err: Error) => this.handleExit(c, rt, { exitCode: 255, oomKilled: false, finishedAt: rfc3339Nano(), signal: undefined }, err.message),
    ).catch((err: Error) => this.kernel.log.error({ container: c.record.ID, err: err.message }, 'exit handling failed'))
      .finally(() => { if (this.exiting.get(c.record.ID) === rt.exited) this.exiting.delete(c.record.ID); });
    this.exiting.set(c.record.ID, rt.exited);
    return rt;
  }

  /** Mounts the container's volumes (see container-volumes.ts). */
  protected mountVolumes(c: Container, rootfs: string): Promise<ExecMount[]> {
    return mountContainerVolumes(this.volumes, c, rootfs);
  }

  /** Releases the container's volume mounts. Best effort, idempotent. */
  protected unmountVolumes(c: Container): Promise<void> {
    return unmountContainerVolumes(this.volumes, c, this.kernel.log);
  }

  /** Network for PID 1 (see container-network.ts). */
  protected attachNetwork(c: Container): Promise<ContainerNetwork> {
    const mode = c.hostConfig.NetworkMode;
    if (!mode.startsWith('container:')) return attachContainerNetwork(this.networks, c);
    // `container:<name or id>`: join a running container's network, by its full id (Docker's rule)
    const other = this.store.get(mode.slice('container:'.length));
    if (other.record.ID === c.record.ID) throw new InvalidArgumentError('cannot join own network');
    if (!other.record.State.Running || other.record.State.Restarting) {
      throw new ConflictError(`cannot join network of a non running container: ${other.record.ID}`);
    }
    return attachContainerNetwork(this.networks, c, `container:${other.record.ID}`);
  }

  /** Releases the container's network; `finishLater` after an exit (see NetworkPort.detach). */
  protected async detachNetwork(c: Container, finishLater = false): Promise<void> {
    const svc = this.networks;
    if (svc) await svc.detach(c.record.ID, { finishLater });
  }

  // ---- exit ----

  /**
   * Handles PID 1's exit: waits until every line was copied to the log
   * driver, releases the process and rootfs, records
   * ExitCode/OOMKilled/FinishedAt, fires hooks and the `die` event, releases
   * the network (its `disconnect` events follow `die`, as in Docker), then
   * applies the restart policy or AutoRemove.
   */
  protected async handleExit(c: Container, rt: Runtime, status: ExitStatus, error = ''): Promise<void> {
    await rt.ready;
    rt.health?.stop();
    if (rt.detached) return;
    const id = c.record.ID;
    const timer = new PhaseTimer();
    await rt.copier.wait().catch(() => undefined);
    await rt.logDriver.close().catch(() => undefined);
    if (rt.detached) return;
    this.runtimes.delete(id);
    timer.mark('logs');
    const ranFor = Date.now() - rt.startedAtMs;
    const delay = this.shuttingDown || c.hostConfig.AutoRemove ? null
      : this.restartManager(c).shouldRestart(status.exitCode, c.record.HasBeenManuallyStopped, ranFor);
    // An AutoRemove container's rootfs stays mounted until its removal deletes
    // the layer (which unmounts it): one unmount less on the way to `removed`.
    const autoRemove = delay === null && c.hostConfig.AutoRemove && !this.shuttingDown;
    await Promise.all([
      this.execDriver.delete(id, rt.spec.stateDir).then(() => { this.execCleaned.add(id); },
        (err: Error) => this.kernel.log.warn({ container: id, err: err.message }, 'execdriver delete')),
      this.unmountVolumes(c).then(async () => {
        if (autoRemove) { this.rootfsHeld.add(id); return; }
        await this.images.unmountContainerLayer(id).catch((err: Error) => this.kernel.log.warn({ container: id, err: err.message }, 'unmount'));
      }),
    ]);
    timer.mark('release');
    c.record.NetworkSettings = stoppedNetworkSettings(c.record.NetworkSettings);
    const change = { ExitCode: status.exitCode, OOMKilled: status.oomKilled, FinishedAt: status.finishedAt || rfc3339Nano(), Error: error, Pid: 0 };
    // An AutoRemove container is removed next: losing `exited` in a crash leaves `running`, which restore settles.
    await this.setState(c, delay === null ? 'exited' : 'restarting', change, !autoRemove);
    if (status.oomKilled) await this.emit(c, 'oom');
    await this.kernel.hooks.container.exited.promise(id, status.exitCode, status.oomKilled).catch((err: Error) => this.kernel.log.warn({ err: err.message }, 'exited hook failed'));
    await this.emit(c, 'die', { exitCode: String(status.exitCode) });
    // Docker's order: `die`, then the network's `disconnect` events. Waiters
    // for the exit (`die:<id>`) are released only after the network let go,
    // so a start right after `wait` never meets the old endpoints.
    await this.detachNetwork(c, true).catch((err: Error) => this.kernel.log.warn({ container: id, err: err.message }, 'network detach'));
    timer.mark('network');
    this.events.emit(`die:${id}`);
    if (delay !== null) {
      this.scheduleRestart(c, delay);
      return;
    }
    this.events.emit(`stopped:${id}`);
    timer.mark('state');
    this.kernel.log.debug({ container: id, ms: timer.total(), phases: timer.phases }, 'exit phases');
    if (autoRemove) {
      void this.remove(id, { force: true }).catch(async (err: Error) => {
        this.kernel.log.warn({ container: id, err: err.message }, 'auto-remove');
        if (this.rootfsHeld.delete(id)) await this.images.unmountContainerLayer(id).catch(() => undefined);
      });
    }
  }

  protected scheduleRestart(c: Container, delayMs: number): void {
    const id = c.record.ID;
    const t = setTimeout(() => {
      this.restartTimers.delete(id);
      void this.lock.run(id, async () => {
        if (c.record.State.Status !== 'restarting' || this.shuttingDown) return;
        c.record.RestartCount = this.restartManager(c).restartCount;
        await this.emit(c, 'restart');
        try {
          await this.startLocked(c);
        } catch (err) {
          await this.setState(c, 'exited', { Error: toBerthError(err).message, ExitCode: c.record.State.ExitCode || 128 }).catch(() => undefined);
          this.events.emit(`stopped:${id}`);
        }
      });
    }, delayMs);
    t.unref();
    this.restartTimers.set(id, t);
  }

  protected cancelRestartTimer(id: string): void {
    const t = this.restartTimers.get(id);
    if (t) { clearTimeout(t); this.restartTimers.delete(id); }
  }

  /** Removes a container (AutoRemove after exit uses it). */
  abstract remove(ref: string, opts?: { force?: boolean; v?: boolean }): Promise<void>;
}

