/**
 * Turns the domain hooks (container.created, image.pulled, network.connected,
 * …) into Docker-shaped EngineEvents on `hooks.engine.event`, the single feed
 * of `/events` and of audit plugins. Actions without a domain hook (kill,
 * pause, exec_create, …) are published by their domain on
 * `hooks.engine.event` directly. Names and images of containers are looked up
 * through the inspect jobs, after the hook returned, in publication order.
 */
import type { Kernel } from '../daemon/kernel';
import type { EngineEvent } from '../hooks/events';
import type { JobName } from '../engine/job-map';

type Attrs = Record<string, string>;

/** Builds an EngineEvent stamped now. */
export function makeEvent(type: EngineEvent['Type'], action: string, id: string, attributes: Attrs = {}): EngineEvent {
  const ns = BigInt(Date.now()) * 1_000_000n + BigInt(process.hrtime.bigint() % 1_000_000n);
  return {
    Type: type, Action: action, Actor: { ID: id, Attributes: attributes }, scope: 'local',
    time: Number(ns / 1_000_000_000n), timeNano: Number(ns),
  };
}

interface ContainerFacts { name: string; image: string; labels: Attrs }

export class EventsBridge {
  private queue: Promise<void> = Promise.resolve();
  private readonly containers = new Map<string, ContainerFacts>();
  private static readonly TAP = 'core.events-bridge';

  constructor(private readonly kernel: Kernel) {}

  /** Taps every domain hook. */
  install(): void {
    const h = this.kernel.hooks;
    const tap = EventsBridge.TAP;
    h.container.created.tap(tap, (id) => this.container('create', id, {}, true));
    h.container.started.tap(tap, (id) => this.container('start', id, {}, true));
    h.container.exited.tap(tap, (id, code) => this.container('die', id, { exitCode: String(code) }, false));
    h.container.removed.tap(tap, (id) => this.container('destroy', id, {}, false, true));
    h.image.pulled.tap(tap, (ref) => this.emit(makeEvent('image', 'pull', ref, { name: ref })));
    h.image.pushed.tap(tap, (ref) => this.emit(makeEvent('image', 'push', ref, { name: ref })));
    h.image.tagged.tap(tap, (ref, id) => this.emit(makeEvent('image', 'tag', id, { name: ref })));
    h.image.deleted.tap(tap, (id) => this.emit(makeEvent('image', 'delete', id, { name: id })));
    h.network.created.tap(tap, (id) => this.network('create', id, {}));
    h.network.removed.tap(tap, (id) => this.network('destroy', id, {}));
    h.network.connected.tap(tap, (id, c) => this.network('connect', id, { container: c }));
    h.network.disconnected.tap(tap, (id, c) => this.network('disconnect', id, { container: c }));
    h.volume.created.tap(tap, (name) => this.emit(makeEvent('volume', 'create', name, {})));
    h.volume.removed.tap(tap, (name) => this.emit(makeEvent('volume', 'destroy', name, {})));
    h.volume.mounted.tap(tap, (name, c) => this.emit(makeEvent('volume', 'mount', name, { container: c })));
  }

  /** Waits until every queued event went out (tests, shutdown). */
  flush(): Promise<void> {
    return this.queue;
  }

  private enqueue(fn: () => Promise<EngineEvent | undefined>): void {
    this.queue = this.queue.then(async () => {
      try {
        const e = await fn();
        if (e) await this.kernel.hooks.engine.event.promise(e);
      } catch (err) {
        this.kernel.log.warn({ err }, 'events: could not publish an event');
      }
    });
  }

  private emit(e: EngineEvent): void {
    this.enqueue(async () => e);
  }

  private async inspect(job: string, input: unknown): Promise<Record<string, unknown> | undefined> {
    if (!this.kernel.engine.has(job)) return undefined;
    try {
      return await this.kernel.engine.run(job as JobName, input as never) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  }

  private container(action: string, id: string, extra: Attrs, refresh: boolean, forget = false): void {
    const e = makeEvent('container', action, id, extra);
    this.enqueue(async () => {
      let facts = this.containers.get(id);
      if (!facts || refresh) {
        const info = await this.inspect('container.inspect', { id });
        const config = (info?.Config ?? {}) as { Image?: string; Labels?: Attrs | null };
        if (info) facts = { name: String(info.Name ?? '').replace(/^\//, ''), image: config.Image ?? '', labels: config.Labels ?? {} };
        if (facts) this.containers.set(id, facts);
      }
      if (forget) this.containers.delete(id);
      if (facts) e.Actor.Attributes = { ...facts.labels, image: facts.image, name: facts.name, ...extra };
      return e;
    });
  }

  private network(action: string, id: string, extra: Attrs): void {
    const e = makeEvent('network', action, id, extra);
    this.enqueue(async () => {
      const info = await this.inspect('network.inspect', { id });
      if (info) e.Actor.Attributes = { name: String(info.Name ?? ''), type: String(info.Driver ?? ''), ...extra };
      return e;
    });
  }
}
