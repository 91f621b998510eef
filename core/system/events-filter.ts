/**
 * Docker's `/events` filters: values of one key are alternatives (OR), keys
 * combine with AND. `container`, `image`, `network`, `volume`, `plugin`
 * match the actor's id or name; `event` the action (`exec_start` also
 * matches `exec_start: sh -c …`); `type`; `label` (`key` or `key=value`);
 * `daemon`; `scope`.
 */
import { checkFilterKeys } from '../filters';
import type { EngineEvent } from '../hooks/events';
import type { Filters } from '../api/query';

const KEYS = ['container', 'image', 'network', 'volume', 'plugin', 'event', 'type', 'label', 'daemon', 'scope', 'config', 'secret', 'node', 'service'];

/** InvalidArgumentError `Invalid filter '<key>'` for a key Docker does not know. */
export function checkEventFilters(filters: Filters): void {
  checkFilterKeys(filters, KEYS);
}

function actorMatches(e: EngineEvent, values: string[]): boolean {
  const id = e.Actor.ID;
  const name = e.Actor.Attributes.name;
  return values.some((v) => v === id || (v.length >= 1 && id.startsWith(v) && /^[0-9a-f]+$/.test(v)) || v === name);
}

/** Whether `e` passes `filters`. */
export function eventMatches(e: EngineEvent, filters: Filters): boolean {
  for (const [key, values] of Object.entries(filters)) {
    if (values.length === 0) continue;
    let ok: boolean;
    switch (key) {
      case 'type': ok = values.includes(e.Type); break;
      case 'event': ok = values.some((v) => e.Action === v || e.Action.startsWith(`${v}:`)); break;
      case 'scope': ok = values.includes(e.scope); break;
      case 'label': ok = values.some((v) => {
        const i = v.indexOf('=');
        return i < 0 ? v in e.Actor.Attributes : e.Actor.Attributes[v.slice(0, i)] === v.slice(i + 1);
      }); break;
      case 'image':
        ok = (e.Type === 'image' && actorMatches(e, values))
          || (e.Type === 'container' && values.some((v) => e.Actor.Attributes.image === v || e.Actor.Attributes.image === `${v}:latest`));
        break;
      case 'container':
        ok = (e.Type === 'container' && actorMatches(e, values)) || values.includes(e.Actor.Attributes.container ?? '\0');
        break;
      case 'daemon': ok = e.Type === 'daemon' && actorMatches(e, values); break;
      default: ok = e.Type === key && actorMatches(e, values);
    }
    if (!ok) return false;
  }
  return true;
}
