/**
 * ContainerService: turns Docker create bodies into running containers by
 * orchestrating the drivers — the image service (RW layer, rootfs), the
 * network service (netns, hosts, resolv.conf), the exec driver (PID 1 under
 * a shim) and the log driver (through the log copier).
 *
 * Every state change is persisted atomically (config.v2.json) before the
 * operation resolves. Operations on one container are serialised. This file
 * holds the operations (start, stop, kill, restart, wait, remove, pause,
 * rename, update, prune) and the daemon's restore/shutdown; starting PID 1
 * and the exit monitor live in container-runtime-core.ts, create in
 * container-create.ts.
 */
import 'reflect-metadata';
import { promises as fsp } from 'node:fs';
import { inject, injectable } from 'tsyringe';
import type { Kernel } from '../daemon/kernel';
import { Tokens } from '../daemon/kernel';
import type { ExitStatus, Resources, RunningContainer } from '../drivers/execdriver';
import { ConflictError, FailedPreconditionError, InvalidArgumentError, NotFoundError, NotModifiedError, toBerthError } from '../errors';
import { createLogDriver } from '../logging/create-log-driver';
import { rfc3339Nano, parseTime } from './clock';
import { createContainer, type CreateResult } from './container-create';
import { ContainerRuntimeCore } from './container-runtime-core';
import { updatedHostConfig, type UpdateBody } from './container-update';
import { removeAnonymousVolumes } from './container-volumes';
import { restartOnDaemonStart } from './restart-policy';
import { PhaseTimer } from './phase-timer';
import { readInRoot } from './root-path';
import { parseSignal, signalNumber } from './signals';
import { logAttachFor } from './log-resume';
import { buildContainerSpec } from './spec/build-spec';
import { toResources } from './spec/resources';
import type { Container } from './types';
import { stoppedNetworkSettings } from './views';

export type { CreateResult } from './container-create';

/** Docker's default stop timeout (seconds). */
export const DEFAULT_STOP_TIMEOUT = 10;

@injectable()
export class ContainerService extends ContainerRuntimeCore {
  constructor(@inject(Tokens.Kernel) kernel: Kernel) {
    super(kernel);
  }

  // ---- create ----

  /** container.create (see container-create.ts): resolves with `{ Id, Warnings }`. */
  create(name: string | undefined, rawBody: unknown): Promise<CreateResult> {
    return createContainer(this, name, rawBody);
  }

  /** The graph driver's name, for inspect's `Driver`. */
  // ---- start ----

  /**
   * container.start: NotModifiedError when already running; ConflictError for
   * paused or removing containers. Resolves once PID 1 runs and the state is
   * persisted; a failed start records State.Error and leaves nothing mounted.
   */
  async start(ref: string): Promise<void> {
    const c = this.store.get(ref);
    await this.lock.run(c.record.ID, async () => {
      const s = c.record.State;
      if (s.Status === 'paused') throw new ConflictError('cannot start a paused container, try unpause instead');
      if (s.Status === 'running') throw new NotModifiedError(`container ${c.record.ID} is already running`);
      if (s.Status === 'removing') throw new ConflictError(`container is marked for removal and cannot be started`);
      if (s.Status === 'dead') throw new ConflictError('container is marked for removal and cannot be started');
      this.cancelRestartTimer(c.record.ID);
      const rm = this.restartManager(c);
      rm.reset();
      c.record.HasBeenManuallyStopped = false;
      c.record.RestartCount = 0;
      await this.startLocked(c);
    }).catch((err: unknown) => {
      // like dockerd: an AutoRemove container whose start failed is removed (`docker run --rm` waits for that)
      if (c.hostConfig.AutoRemove && !c.record.State.Running) {
        void this.remove(c.record.ID, { force: true }).catch((e: Error) => this.kernel.log.warn({ container: c.record.ID, err: e.message }, 'auto-remove after failed start'));
      }
      throw err;
    });
  }

  /** Starts PID 1; the caller holds the container's lock. */
  // ---- stop / kill / restart ----

  /**
   * container.stop: sends the StopSignal (or `signal`), waits `t` seconds
   * (StopTimeout, default 10; -1 waits forever), then SIGKILL. Resolves when
   * the exit is recorded. NotModifiedError when not running.
   */
  async stop(ref: string, opts: { t?: number; signal?: string } = {}): Promise<void> {
    const c = this.store.get(ref);
    await this.lock.run(c.record.ID, () => this.stopLocked(c, opts));
  }

  protected async stopLocked(c: Container, opts: { t?: number; signal?: string }): Promise<void> {
    const id = c.record.ID;
    if (c.record.State.Status === 'restarting') {
      this.cancelRestartTimer(id);
      this.restartManager(c).cancel();
      c.record.HasBeenManuallyStopped = true;
      await this.setState(c, 'exited');
      this.events.emit(`stopped:${id}`);
      await this.emit(c, 'stop');
      return;
    }
    const rt = this.runtimes.get(id);
    if (!rt || !c.record.State.Running) throw new NotModifiedError(`container ${id} is already stopped`);
    this.restartManager(c).cancel();
    // a stop by the daemon's own shutdown is not a manual stop: `always` and
    // `unless-stopped` containers come back when the daemon starts (Docker)
    if (!this.shuttingDown) c.record.HasBeenManuallyStopped = true;
    await this.store.saveRecord(c);
    const sig = parseSignal(opts.signal || c.record.Config.StopSignal || 'SIGTERM');
    const t = opts.t ?? c.record.Config.StopTimeout ?? DEFAULT_STOP_TIMEOUT;
    await this.emit(c, 'kill', { signal: String(signalNumber(sig)) });
    await rt.running.signal(sig).catch(() => undefined);
    if (c.record.State.Paused) await rt.running.resume().catch(() => undefined);
    const exited = await waitFor(rt.exited, t < 0 ? undefined : t * 1000);
    if (!exited) {
      await this.emit(c, 'kill', { signal: '9' });
      await rt.running.signal('SIGKILL').catch(() => undefined);
      if (c.record.State.Paused) await rt.running.resume().catch(() => undefined);
      await rt.exited;
    }
    await this.emit(c, 'stop');
  }

  /**
   * container.kill: sends a signal (default SIGKILL). ConflictError
   * `Container X is not running` otherwise. A terminating signal (SIGKILL or
   * the stop signal) counts as a manual stop for the restart policy.
   */
  async kill(ref: string, signal = 'SIGKILL'): Promise<void> {
    const c = this.store.get(ref);
    const sig = parseSignal(signal || 'SIGKILL');
    await this.lock.run(c.record.ID, async () => {
      if (c.record.State.Status === 'restarting' && sig === 'SIGKILL') { await this.stopLocked(c, {}); return; }
      const rt = this.runtimeOf(c);
      if (sig === 'SIGKILL' || sig === (c.record.Config.StopSignal || 'SIGTERM')) {
        this.restartManager(c).cancel();
        c.record.HasBeenManuallyStopped = true;
        await this.store.saveRecord(c);
      }
      await rt.running.signal(sig);
      if (sig === 'SIGKILL' && c.record.State.Paused) await rt.running.resume().catch(() => undefined);
      await this.emit(c, 'kill', { signal: String(signalNumber(sig)) });
      if (sig === 'SIGKILL') await rt.exited;
    });
  }

  /** container.restart: stop (when running) then start; the restart policy starts afresh. */
  async restart(ref: string, opts: { t?: number; signal?: string } = {}): Promise<void> {
    const c = this.store.get(ref);
    await this.lock.run(c.record.ID, async () => {
      if (c.record.State.Running) await this.stopLocked(c, opts);
      this.cancelRestartTimer(c.record.ID);
      this.restartManager(c).reset();
      c.record.HasBeenManuallyStopped = false;
      c.record.RestartCount = 0;
      await this.startLocked(c);
      await this.emit(c, 'restart');
    });
  }

  // ---- wait ----

  /**
   * container.wait: `not-running` (default) resolves at once for a stopped
   * container, else when it stops; `next-exit` at the next exit; `removed`
   * once removed. Output `{ StatusCode, Error }` as Docker's.
   */
  async wait(ref: string, condition = 'not-running', signal?: AbortSignal): Promise<{ StatusCode: number; Error: { Message: string } | null }> {
    const c = this.store.get(ref);
    const id = c.record.ID;
    // dockerd: `removed` reports the removal's error (none once removed), the others State.Error
    const result = (): { StatusCode: number; Error: { Message: string } | null } => ({
      StatusCode: c.record.State.ExitCode,
      Error: c.record.State.Error && condition !== 'removed' ? { Message: c.record.State.Error } : null,
    });
    if (!['not-running', 'next-exit', 'removed'].includes(condition)) {
      throw new InvalidArgumentError(`invalid condition: "${condition}"`);
    }
    if (condition === 'not-running' && !c.record.State.Running) return result();
    if (condition === 'removed' && !this.store.find(id)) return result();
    const event = condition === 'removed' ? `removed:${id}` : condition === 'next-exit' ? `die:${id}` : `stopped:${id}`;
    await new Promise<void>((resolve, reject) => {
      const done = (): void => { signal?.removeEventListener('abort', onAbort); this.events.off(event, done); resolve(); };
      const onAbort = (): void => { this.events.off(event, done); reject(new FailedPreconditionError('wait cancelled')); };
      this.events.on(event, done);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    return result();
  }

  // ---- remove ----

  /**
   * container.remove: ConflictError with Docker's message for a running or
   * paused container unless `force` (then SIGKILL first). Removes the RW
   * layer, the exec driver's cgroups and state, and the container's
   * directory; fires `destroy`.
   */
  async remove(ref: string, opts: { force?: boolean; v?: boolean } = {}): Promise<void> {
    const c = this.store.get(ref);
    const id = c.record.ID;
    await this.lock.run(id, async () => {
      if (!this.store.find(id)) throw new NotFoundError(`No such container: ${ref}`);
      const s = c.record.State;
      if (s.Status === 'removing') throw new ConflictError(`removal of container ${id} is already in progress`);
      if (s.Status === 'paused' && !opts.force) {
        throw new ConflictError(`You cannot remove a paused container ${id}. Unpause and then stop the container before attempting removal or force remove`);
      }
      if (s.Running && !s.Restarting && !opts.force) {
        throw new ConflictError(`You cannot remove a running container ${id}. Stop the container before attempting removal or force remove`);
      }
      this.cancelRestartTimer(id);
      this.restartManager(c).cancel();
      if (s.Status === 'restarting') {
        await this.setState(c, 'exited');
        this.events.emit(`stopped:${id}`);
      }
      const rt = this.runtimes.get(id);
      if (rt && c.record.State.Running) {
        c.record.HasBeenManuallyStopped = true;
        await rt.running.signal('SIGKILL').catch(() => undefined);
        if (c.record.State.Paused) await rt.running.resume().catch(() => undefined);
        await rt.exited;
      }
      // an exit seen by `wait` may still be announcing `die` and releasing the network
      await this.exiting.get(id);
      const timer = new PhaseTimer();
      // not durable: a crash that loses `removing` leaves the container as it was, still removable
      await this.setState(c, 'removing', {}, false);
      timer.mark('state');
      try {
        this.rootfsHeld.delete(id);
        this.takePremount(id); // deleting the layer unmounts it
        // The layer leaves the store at once; deleting its files (and unmounting
        // it) finishes in the background, and at the next start after a crash.
        const images = this.images;
        if (images.detachContainerLayer) this.trackDeletion(id, (await images.detachContainerLayer(id)).deleted);
        else await images.removeContainerLayer(id);
        timer.mark('layer');
        const [, files] = await Promise.all([
          this.execCleaned.delete(id) ? undefined : this.execDriver.delete(id, this.stateDir(id)).catch(() => undefined),
          this.store.detach(id),
        ]);
        this.trackDeletion(id, Promise.all([files.deleted, fsp.rm(this.stateDir(id), { recursive: true, force: true })]).then(() => undefined));
        if (opts.v) await removeAnonymousVolumes(this.volumes, c, this.kernel.log);
      } catch (err) {
        await this.setState(c, 'dead', { Error: toBerthError(err).message }).catch(() => undefined);
        throw err;
      }
      this.restarts.delete(id);
      this.execIds.delete(id);
      timer.mark('files');
      this.kernel.log.debug({ container: id, ms: timer.total(), phases: timer.phases }, 'remove phases');
      this.events.emit(`removed:${id}`);
      await this.kernel.hooks.container.removed.promise(id).catch((err: Error) => this.kernel.log.warn({ err: err.message }, 'removed hook failed'));
      await this.emit(c, 'destroy');
    });
  }

  /** Keeps a background layer deletion for shutdown to wait on; a failure is logged. */
  protected trackDeletion(id: string, deleted: Promise<void>): void {
    const p = deleted.catch((err: Error) => this.kernel.log.warn({ container: id, err: err.message }, 'deleting the container layer'))
      .finally(() => this.deletions.delete(p));
    this.deletions.add(p);
  }

  // ---- pause / update / rename / resize ----

  /** container.pause: freezes every process. ConflictError when not running or already paused. */
  async pause(ref: string): Promise<void> {
    const c = this.store.get(ref);
    await this.lock.run(c.record.ID, async () => {
      const rt = this.runtimeOf(c);
      if (c.record.State.Paused) throw new ConflictError(`Container ${c.record.ID} is already paused`);
      await rt.running.pause();
      await this.setState(c, 'paused');
      await this.emit(c, 'pause');
    });
  }

  /** container.unpause: thaws. ConflictError when not paused. */
  async unpause(ref: string): Promise<void> {
    const c = this.store.get(ref);
    await this.lock.run(c.record.ID, async () => {
      const rt = this.runtimes.get(c.record.ID);
      if (!rt || !c.record.State.Paused) throw new ConflictError(`Container ${c.record.ID} is not paused`);
      await rt.running.resume();
      await this.setState(c, 'running');
      await this.emit(c, 'unpause');
    });
  }

  /** container.rename: Docker's name rules and messages; fires `rename` with oldName. */
  async rename(ref: string, newName: string): Promise<void> {
    const c = this.store.get(ref);
    await this.lock.run(c.record.ID, async () => {
      const old = c.record.Name;
      const wanted = newName.startsWith('/') ? newName : `/${newName}`;
      if (wanted === old) throw new InvalidArgumentError('Renaming a container with the same name as its current name');
      await this.store.rename(c, newName);
      await this.emit(c, 'rename', { oldName: old });
    });
  }

  /**
   * container.update: new resource limits (applied at once when running) and
   * restart policy; Docker's validation. Resolves with `{ Warnings }`.
   */
  async update(ref: string, body: UpdateBody): Promise<{ Warnings: string[] }> {
    const c = this.store.get(ref);
    return this.lock.run(c.record.ID, async () => {
      const { next, warnings } = updatedHostConfig(c.hostConfig, body, this.support);
      const rt = this.runtimes.get(c.record.ID);
      if (rt && c.record.State.Running) await rt.running.update(toResources(next) as Resources);
      c.hostConfig = next;
      this.restartManager(c).setPolicy(next.RestartPolicy);
      await this.store.writeBoth(c);
      await this.emit(c, 'update');
      return { Warnings: warnings };
    });
  }

  /** container.resize: the tty's size. ConflictError when not running. */
  async resize(ref: string, h: number, w: number): Promise<void> {
    const c = this.store.get(ref);
    const rt = this.runtimeOf(c);
    if (!Number.isInteger(h) || !Number.isInteger(w) || h < 0 || w < 0) throw new InvalidArgumentError('resize: h and w must be non-negative integers');
    await rt.running.resize(h, w);
    await this.emit(c, 'resize', { height: String(h), width: String(w) });
  }

  /** container.prune: removes stopped containers passing `match`. */
  async prune(match: (c: Container) => boolean): Promise<{ ContainersDeleted: string[]; SpaceReclaimed: number }> {
    const deleted: string[] = [];
    let space = 0;
    for (const c of this.store.all()) {
      if (c.record.State.Running || c.record.State.Status === 'removing' || !match(c)) continue;
      const size = await this.images.containerLayerSize(c.record.ID).catch(() => 0);
      try {
        await this.remove(c.record.ID, {});
        deleted.push(c.record.ID);
        space += size;
      } catch (err) {
        this.kernel.log.warn({ container: c.record.ID, err: (err as Error).message }, 'prune');
      }
    }
    return { ContainersDeleted: deleted, SpaceReclaimed: space };
  }

  // ---- daemon start / shutdown ----

  /**
   * On daemon start: loads the containers; for each one that was running,
   * reconnects through execdriver.restore() (log copier re-attached, nothing
   * lost) or records the exit status it left; then applies restart policies
   * (`always`, `unless-stopped` unless manually stopped, `on-failure` after a
   * failure), as Docker does.
   */
  async restore(): Promise<void> {
    for (const p of await this.store.load()) this.kernel.log.warn({ problem: p }, 'skipping container directory');
    const images = this.images;
    images.setUsageCheck?.((imageId) => this.store.all().filter((c) => c.record.Image === imageId).map((c) => c.record.ID));
    images.setContainerResolver?.((ref) => this.store.get(ref).record.ID);
    // `docker commit` starts from the container's config, as dockerd does (CreateImageFromContainer)
    images.setContainerConfigSource?.((id) => this.store.find(id)?.record.Config as Record<string, unknown> | undefined);
    this.volumes?.setUsageCheck?.((name) => this.store.all()
      .filter((c) => Object.values(c.record.VolumeRequests ?? {}).some((v) => v.name === name)).map((c) => c.record.ID));
    const toStart: Container[] = [];
    for (const c of this.store.all()) {
      const s = c.record.State.Status;
      if (s === 'removing') { await this.setState(c, 'dead').catch(() => undefined); continue; }
      if (s === 'running' || s === 'paused') {
        const restored = await this.restoreRunning(c);
        if (restored) continue;
      } else if (s === 'restarting') {
        await this.setState(c, 'exited');
      }
      if (restartOnDaemonStart(c.hostConfig.RestartPolicy, c.record.State.ExitCode, c.record.HasBeenManuallyStopped)) toStart.push(c);
    }
    for (const c of toStart) {
      await this.lock.run(c.record.ID, () => this.startLocked(c)).catch((err: Error) =>
        this.kernel.log.warn({ container: c.record.ID, err: err.message }, 'restart at daemon start failed'));
    }
  }

  /** Reconnects to one running container; false when it had exited (state recorded). */
  protected async restoreRunning(c: Container): Promise<boolean> {
    const id = c.record.ID;
    const stateDir = this.stateDir(id);
    let res: RunningContainer | ExitStatus;
    try {
      res = await this.execDriver.restore(id, stateDir);
    } catch (err) {
      res = { exitCode: 255, oomKilled: false, finishedAt: rfc3339Nano() };
      c.record.State = { ...c.record.State, Error: `lost track of the container while the daemon was down: ${(err as Error).message}` };
    }
    if ('exitCode' in res) {
      await this.execDriver.delete(id, stateDir).catch(() => undefined);
      await this.detachNetwork(c).catch(() => undefined);
      await this.unmountVolumes(c);
      await this.images.unmountContainerLayer(id).catch(() => undefined);
      c.record.NetworkSettings = stoppedNetworkSettings(c.record.NetworkSettings);
      await this.setState(c, 'exited', { ExitCode: res.exitCode, OOMKilled: res.oomKilled, FinishedAt: res.finishedAt || rfc3339Nano(), Pid: 0 });
      await this.emit(c, 'die', { exitCode: String(res.exitCode) });
      return false;
    }
    const running = res;
    // take the rootfs reference the exit handler will drop, and rebuild the spec exec needs
    const rootfs = await this.images.mountContainerLayer(id);
    const volumeMounts = await this.mountVolumes(c, rootfs).catch(() => []);
    const { spec } = buildContainerSpec({ volumeMounts,
      id, config: c.record.Config, hostConfig: c.hostConfig, stateDir, rootfs,
      passwd: await readInRoot(rootfs, '/etc/passwd'), group: await readInRoot(rootfs, '/etc/group'),
      etcFiles: { hostname: c.record.HostnamePath, hosts: c.record.HostsPath, resolvConf: c.record.ResolvConfPath },
      defaults: await this.specDefaults(),
    });
    const logDriver = await createLogDriver(this.kernel, this.logContext(c, this.store.dir(id)), c.hostConfig.LogConfig.Type, c.hostConfig.LogConfig.Config);
    const logAttach = logAttachFor(c.hostConfig.LogConfig, logDriver);
    const io = await running.attach(logAttach?.options);
    const rt = this.makeRuntime(c, running, io, logDriver, spec, logAttach);
    rt.markReady();
    const started = parseTime(c.record.State.StartedAt);
    rt.startedAtMs = Number.isNaN(started) ? Date.now() : started;
    this.runtimes.set(id, rt);
    if (c.record.State.Health) this.startHealth(c, rt);
    if (c.record.State.Pid !== running.pid) { c.record.State = { ...c.record.State, Pid: running.pid }; await this.store.saveRecord(c); }
    return true;
  }

  protected shutdownDone: Promise<void> | undefined;

  /**
   * On daemon shutdown. `live-restore: true`: detaches (log copiers stop,
   * containers keep running under their shims). Otherwise stops every
   * running container (its stop timeout, SIGKILL after) and records it.
   * Idempotent.
   */
  shutdown(): Promise<void> {
    this.shutdownDone ??= (async () => {
      this.shuttingDown = true;
      for (const id of [...this.restartTimers.keys()]) this.cancelRestartTimer(id);
      await Promise.all([...this.premounts.keys()].map((id) => this.dropPremount(id)));
      const live = !!this.kernel.config['live-restore'];
      await Promise.all([...this.runtimes.entries()].map(async ([id, rt]) => {
        const c = this.store.find(id);
        if (!c) return;
        rt.health?.stop();
        if (live) {
          rt.detached = true;
          // everything read from the shim reaches the driver; the rest waits in the shim
          rt.fanout.detach();
          await rt.copier.wait().catch(() => undefined);
          await rt.logDriver.close().catch(() => undefined);
          this.runtimes.delete(id);
          return;
        }
        await this.lock.run(id, () => this.stopLocked(c, {})).catch((err: Error) => this.kernel.log.warn({ container: id, err: err.message }, 'stop at shutdown'));
      }));
      await Promise.all([...this.deletions]);
    })();
    return this.shutdownDone;
  }
}

/** Resolves true when `p` settles within `ms` (undefined: wait forever), false on timeout. */
function waitFor(p: Promise<unknown>, ms?: number): Promise<boolean> {
  if (ms === undefined) return p.then(() => true, () => true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    p.then(() => { clearTimeout(t); resolve(true); }, () => { clearTimeout(t); resolve(true); });
  });
}
