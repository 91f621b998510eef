/**
 * The `/events` source: every EngineEvent published on `hooks.engine.event`
 * is kept in a bounded history (for `since`) and handed to live subscribers.
 */
import type { EngineEvent } from '../hooks/events';
import type { Hooks } from '../hooks/hooks';

/** How many past events `since` can reach back (Docker keeps 256). */
export const EVENTS_HISTORY = 1024;

/** Keeps recent events and fans new ones out to `/events` subscribers. */
export class EventsBroker {
  private readonly history: EngineEvent[] = [];
  private readonly subscribers = new Set<(e: EngineEvent) => void>();

  /** Taps `hooks.engine.event` under `core.events`. */
  constructor(hooks: Hooks) {
    hooks.engine.event.tap('core.events', (e: EngineEvent) => this.publish(e));
  }

  /** Records `e` and hands it to every subscriber. */
  publish(e: EngineEvent): void {
    this.history.push(e);
    if (this.history.length > EVENTS_HISTORY) this.history.splice(0, this.history.length - EVENTS_HISTORY);
    for (const fn of this.subscribers) fn(e);
  }

  /** Calls `fn` for every later event; returns the unsubscribe function. */
  subscribe(fn: (e: EngineEvent) => void): () => void {
    this.subscribers.add(fn);
    return () => { this.subscribers.delete(fn); };
  }

  /** The remembered events, oldest first. */
  past(): readonly EngineEvent[] {
    return this.history;
  }

  /** Number of live subscribers (`NEventsListener` in info). */
  get listeners(): number {
    return this.subscribers.size;
  }
}
