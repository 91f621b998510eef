/** Docker's `filters` for network list/prune: name, id, driver, label, type, scope, dangling, until. */
import { InvalidArgumentError } from '../errors';
import { invalidFilter, matchLabels } from '../filters';
import type { DockerFilters, DockerNetwork } from './docker-types';

/** Normalises the filters argument to name → values. */
export function parseFilters(f: DockerFilters | undefined): Record<string, string[]> {
  if (f === undefined || f === '') return {};
  let obj: unknown = f;
  if (typeof f === 'string') {
    try { obj = JSON.parse(f); } catch { throw new InvalidArgumentError(`invalid filters: ${f} is not JSON`); }
  }
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
    if (Array.isArray(v)) out[k] = v.map(String);
    else if (v && typeof v === 'object') out[k] = Object.entries(v).filter(([, on]) => on).map(([x]) => x);
    else throw new InvalidArgumentError(`invalid filter ${k}`);
  }
  return out;
}

const KNOWN = new Set(['name', 'id', 'driver', 'label', 'type', 'scope', 'dangling', 'until']);

/** Whether a network passes every filter (values of one filter are OR-ed). `builtin` = bridge/host/none. */
export function matchesFilters(n: DockerNetwork, f: Record<string, string[]>, builtin: boolean): boolean {
  for (const [k, vals] of Object.entries(f)) {
    if (!KNOWN.has(k)) throw invalidFilter(k);
    if (vals.length === 0) continue;
    const ok = vals.some((v) => {
      switch (k) {
        case 'name': return n.Name.includes(v);
        case 'id': return n.Id.startsWith(v);
        case 'driver': return n.Driver === v;
        case 'label': return matchLabels(n.Labels, [v]);
        case 'type':
          if (v !== 'custom' && v !== 'builtin') throw new InvalidArgumentError(`invalid filter: 'type'='${v}'`);
          return (v === 'builtin') === builtin;
        case 'scope': return n.Scope === v;
        case 'dangling': {
          const want = v === 'true' || v === '1';
          return want === (!builtin && Object.keys(n.Containers).length === 0);
        }
        case 'until': {
          const t = /^\d+(\.\d+)?$/.test(v) ? Number(v) * 1000 : Date.parse(v);
          if (Number.isNaN(t)) throw new InvalidArgumentError(`invalid filter 'until': ${v}`);
          return Date.parse(n.Created) < t;
        }
        default: return true;
      }
    });
    if (!ok) return false;
  }
  return true;
}
