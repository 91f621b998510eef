/**
 * Every extension point of the kernel, one frozen object per domain, declared
 * once here the way webpack declares `compiler.hooks`. Hook classes by meaning:
 *
 * - AsyncSeriesWaterfallHook: plugins rewrite a value in turn (a container's
 *   create body before it is stored).
 * - AsyncSeriesBailHook: the first plugin to return a non-undefined value
 *   decides (an authorization plugin vetoes an API request).
 * - AsyncParallelHook: notifications (started, exited, pulled); all taps run,
 *   none can change the outcome.
 *
 * Tap with the plugin's URI as the tap name: `hooks.container.started.tapPromise(ctx.uri, ...)`.
 * Hooks are public API: see docs/plugin-api.md for the list and when each runs.
 */
import { AsyncParallelHook, AsyncSeriesBailHook, AsyncSeriesWaterfallHook } from 'tapable';
import type { EngineEvent } from './events';

/** A Docker container create body (`POST /containers/create`), as plugins see it. */
export type ContainerCreateBody = Record<string, unknown> & { Image?: string; Cmd?: string[]; Env?: string[] };

/** An API request as an authorization plugin sees it. */
export interface ApiRequestInfo {
  method: string;
  path: string;
  /** Parsed JSON body, when there is one. */
  body?: unknown;
  /** Peer credentials of the caller, when on a unix socket. */
  user?: string;
}

/** A veto: `{ allow: false, msg }` stops the request with 403 and the message. */
export interface AuthzDecision { allow: boolean; msg?: string }

export interface EngineHooks {
  /** After every plugin initialised; before the API listens. */
  readonly ready: AsyncParallelHook<[]>;
  /** On shutdown, before plugins close. */
  readonly shutdown: AsyncParallelHook<[]>;
  /** Every event, for `/events` and audit plugins. */
  readonly event: AsyncParallelHook<[EngineEvent]>;
}

export interface ContainerHooks {
  /** Rewrite the create body (name, body) before it is validated and stored. */
  readonly beforeCreate: AsyncSeriesWaterfallHook<[ContainerCreateBody, string]>;
  readonly created: AsyncParallelHook<[string]>;
  /** The container's PID 1 is running: (id, pid). */
  readonly started: AsyncParallelHook<[string, number]>;
  /** PID 1 exited: (id, exitCode, oomKilled). */
  readonly exited: AsyncParallelHook<[string, number, boolean]>;
  readonly removed: AsyncParallelHook<[string]>;
}

export interface ImageHooks {
  /** An image was pulled: (reference, image id). */
  readonly pulled: AsyncParallelHook<[string, string]>;
  readonly pushed: AsyncParallelHook<[string, string]>;
  readonly tagged: AsyncParallelHook<[string, string]>;
  /** A name was removed from an image: (reference, image id). */
  readonly untagged: AsyncParallelHook<[string, string]>;
  readonly deleted: AsyncParallelHook<[string]>;
  /** An image was made from a tar (`docker import`): (image id). */
  readonly imported: AsyncParallelHook<[string]>;
  /** An image was loaded from a docker-archive (`docker load`): (image id). */
  readonly loaded: AsyncParallelHook<[string]>;
  /** An image was written to a docker-archive (`docker save`): (image id). */
  readonly saved: AsyncParallelHook<[string]>;
  /** A container was committed (`docker commit`): (container id, image id, reference or '', comment). */
  readonly committed: AsyncParallelHook<[string, string, string, string]>;
}

export interface NetworkHooks {
  readonly created: AsyncParallelHook<[string]>;
  readonly removed: AsyncParallelHook<[string]>;
  /** (network id, container id) */
  readonly connected: AsyncParallelHook<[string, string]>;
  readonly disconnected: AsyncParallelHook<[string, string]>;
}

export interface VolumeHooks {
  readonly created: AsyncParallelHook<[string]>;
  readonly removed: AsyncParallelHook<[string]>;
  readonly mounted: AsyncParallelHook<[string, string]>;
}

export interface ApiHooks {
  /** Authorization: the first tap returning a decision wins; `undefined` from all = allowed. */
  readonly authorize: AsyncSeriesBailHook<[ApiRequestInfo], AuthzDecision | undefined>;
}

export interface Hooks {
  readonly engine: EngineHooks;
  readonly container: ContainerHooks;
  readonly image: ImageHooks;
  readonly network: NetworkHooks;
  readonly volume: VolumeHooks;
  readonly api: ApiHooks;
}

/** Makes a fresh, frozen set of hooks: one per engine instance. */
export function createHooks(): Hooks {
  return Object.freeze({
    engine: Object.freeze({
      ready: new AsyncParallelHook<[]>([]),
      shutdown: new AsyncParallelHook<[]>([]),
      event: new AsyncParallelHook<[EngineEvent]>(['event']),
    }),
    container: Object.freeze({
      beforeCreate: new AsyncSeriesWaterfallHook<[ContainerCreateBody, string]>(['body', 'name']),
      created: new AsyncParallelHook<[string]>(['id']),
      started: new AsyncParallelHook<[string, number]>(['id', 'pid']),
      exited: new AsyncParallelHook<[string, number, boolean]>(['id', 'exitCode', 'oomKilled']),
      removed: new AsyncParallelHook<[string]>(['id']),
    }),
    image: Object.freeze({
      pulled: new AsyncParallelHook<[string, string]>(['reference', 'id']),
      pushed: new AsyncParallelHook<[string, string]>(['reference', 'digest']),
      tagged: new AsyncParallelHook<[string, string]>(['reference', 'id']),
      untagged: new AsyncParallelHook<[string, string]>(['reference', 'id']),
      deleted: new AsyncParallelHook<[string]>(['id']),
      imported: new AsyncParallelHook<[string]>(['id']),
      loaded: new AsyncParallelHook<[string]>(['id']),
      saved: new AsyncParallelHook<[string]>(['id']),
      committed: new AsyncParallelHook<[string, string, string, string]>(['container', 'id', 'reference', 'comment']),
    }),
    network: Object.freeze({
      created: new AsyncParallelHook<[string]>(['id']),
      removed: new AsyncParallelHook<[string]>(['id']),
      connected: new AsyncParallelHook<[string, string]>(['network', 'container']),
      disconnected: new AsyncParallelHook<[string, string]>(['network', 'container']),
    }),
    volume: Object.freeze({
      created: new AsyncParallelHook<[string]>(['name']),
      removed: new AsyncParallelHook<[string]>(['name']),
      mounted: new AsyncParallelHook<[string, string]>(['name', 'container']),
    }),
    api: Object.freeze({
      authorize: new AsyncSeriesBailHook<[ApiRequestInfo], AuthzDecision | undefined>(['request']),
    }),
  });
}
