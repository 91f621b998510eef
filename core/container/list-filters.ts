/**
 * `docker ps` / prune filters with Docker's semantics: status, name (regular
 * expression searched in the name), label (`key` or `key=value`), ancestor
 * (the image, by any of its references), id (prefix), exited, before, since,
 * and prune's `until`. Unknown keys and bad values are InvalidArgumentErrors
 * with Docker's messages.
 */
import { InvalidArgumentError } from '../errors';
import { checkFilterKeys, invalidFilter, matchLabels, pruneMatcher as pruneFilter } from '../filters';
import type { Container, ContainerStatus } from './types';
import { parseTime } from './clock';

/** Filters normalised to `{ key: [values] }`. */
export type Filters = Record<string, string[]>;

/**
 * Accepts Docker's forms: a JSON string, `{key: [values]}`, or the legacy
 * `{key: {value: true}}`. Returns `{ key: [values] }`.
 */
export function normaliseFilters(f: unknown): Filters {
  if (f === undefined || f === null || f === '') return {};
  let obj: unknown = f;
  if (typeof f === 'string') {
    try { obj = JSON.parse(f); } catch { throw new InvalidArgumentError('invalid filter: filters must be a JSON object'); }
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new InvalidArgumentError('invalid filter: filters must be a JSON object');
  const out: Filters = {};
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
    if (Array.isArray(v)) out[k] = v.map(String);
    else if (v && typeof v === 'object') out[k] = Object.keys(v as object).filter((x) => (v as Record<string, unknown>)[x]);
    else if (typeof v === 'string') out[k] = [v];
    else throw new InvalidArgumentError(`invalid filter: ${k} must be a list of strings`);
  }
  return out;
}

const STATUSES: readonly ContainerStatus[] = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];
const LIST_KEYS = ['status', 'name', 'label', 'ancestor', 'id', 'exited', 'before', 'since', 'network', 'volume', 'health', 'isolation', 'is-task', 'expose', 'publish'];

export interface ListContext {
  /** Image ids every `ancestor` value resolves to (resolved by the service). */
  ancestorImageIds: Map<string, string | null>;
  /** Containers referenced by before/since (resolved by the service). */
  lookup(ref: string): Container;
}

/** Checks the filter keys and values a list accepts. */
export function checkListFilters(f: Filters): void {
  checkFilterKeys(f, LIST_KEYS);
  for (const s of f.status ?? []) {
    if (!STATUSES.includes(s as ContainerStatus)) throw invalidFilter('status', s);
  }
  for (const h of f.health ?? []) {
    if (!['starting', 'healthy', 'unhealthy', 'none'].includes(h)) throw new InvalidArgumentError(`Unrecognised filter value for health: ${h}`);
  }
  for (const e of f.exited ?? []) if (!/^-?\d+$/.test(e)) throw invalidFilter('exited', e);
  for (const n of f.name ?? []) {
    try { new RegExp(n); } catch { throw invalidFilter('name', n); }
  }
}

/**
 * Whether a container passes the filters. `all` is already applied by the
 * caller; a status filter implies all, as in Docker.
 */
export function matchListFilters(c: Container, f: Filters, ctx: ListContext): boolean {
  const r = c.record;
  if (f.status && !f.status.includes(r.State.Status)) return false;
  if (f.id && !f.id.some((p) => r.ID.startsWith(p))) return false;
  if (f.name && !f.name.some((n) => new RegExp(n).test(r.Name) || new RegExp(n).test(r.Name.slice(1)))) return false;
  if (!matchLabels(r.Config.Labels, f.label)) return false;
  if (f.exited) {
    if (r.State.Status !== 'exited' || !f.exited.some((e) => Number(e) === r.State.ExitCode)) return false;
  }
  if (f.ancestor && !f.ancestor.some((a) => a === r.Config.Image || ctx.ancestorImageIds.get(a) === r.Image)) return false;
  if (f.before && !f.before.every((b) => parseTime(r.Created) < parseTime(ctx.lookup(b).record.Created))) return false;
  if (f.since && !f.since.every((s) => parseTime(r.Created) > parseTime(ctx.lookup(s).record.Created))) return false;
  if (f.network && !f.network.some((n) => n in (r.NetworkSettings.Networks ?? {}) || n === c.hostConfig.NetworkMode)) return false;
  if (f.health && !f.health.includes(r.State.Health?.Status ?? 'none')) return false;
  if (f.volume && !f.volume.some((v) => r.MountPoints.some((m) => m.Source === v || m.Destination === v || m.Name === v))) return false;
  return true;
}

/**
 * Prune filters: `until` (timestamp or duration like `10m`) and `label` /
 * `label!`. Returns a predicate on containers.
 */
export function pruneMatcher(f: Filters, now = Date.now()): (c: Container) => boolean {
  const match = pruneFilter(f, now);
  return (c) => match(parseTime(c.record.Created), c.record.Config.Labels);
}
