/**
 * Turns the image, network and volume hooks (image.pulled, network.connected,
 * …) into Docker-shaped EngineEvents on `hooks.engine.event`, the single feed
 * of `/events` and of audit plugins. The container service publishes its own
 * events on `hooks.engine.event` (it knows name, image and labels at the time),
 * so container hooks are not bridged. Network names are looked up through
 * `network.inspect` after the hook returned, in publication order.
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

/** Publishes image, network and volume hook calls as EngineEvents, in order. */
export class EventsBridge {
  private queue: Promise<void> = Promise.resolve();
  private readonly networkNames = new Map<string, Attrs>();
  private static readonly TAP = 'core.events-bridge';

  constructor(private readonly kernel: Kernel) {}

  /** Taps every domain hook. */
  install(): void {
    const h = this.kernel.hooks;
    const tap = EventsBridge.TAP;
    h.image.pulled.tap(tap, (ref) => this.emit(makeEvent('image', 'pull', ref, { name: ref })));
    h.image.pushed.tap(tap, (ref) => this.emit(makeEvent('image', 'push', ref, { name: ref })));
    h.image.tagged.tap(tap, (ref, id) => this.emit(makeEvent('image', 'tag', id, { name: ref })));
    // dockerd names the image by its id in untag, delete, import, load and save events
    h.image.untagged.tap(tap, (_ref, id) => this.emit(makeEvent('image', 'untag', id, { name: id })));
    h.image.deleted.tap(tap, (id) => this.emit(makeEvent('image', 'delete', id, { name: id })));
    h.image.imported.tap(tap, (id) => this.emit(makeEvent('image', 'import', id, { name: id })));
    h.image.loaded.tap(tap, (id) => this.emit(makeEvent('image', 'load', id, { name: id })));
    h.image.saved.tap(tap, (id) => this.emit(makeEvent('image', 'save', id, { name: id })));
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

  private network(action: string, id: string, extra: Attrs): void {
    const e = makeEvent('network', action, id, extra);
    this.enqueue(async () => {
      const info = await this.inspect('network.inspect', { id });
      const known = info ? { name: String(info.Name ?? ''), type: String(info.Driver ?? '') } : this.networkNames.get(id);
      if (known) this.networkNames.set(id, known);
      if (action === 'destroy') this.networkNames.delete(id);
      if (known) e.Actor.Attributes = { ...known, ...extra };
      return e;
    });
  }
}
