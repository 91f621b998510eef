/**
 * Orders plugins so that each one initialises after what it `requires`.
 * A requirement names a URI (`execdriver.native`) or a kind (`execdriver`,
 * meaning every plugin of that kind). A cycle is an InvalidArgumentError
 * naming the plugins on it.
 */
import { InvalidArgumentError } from '../errors';

export interface Orderable { uri: string; kind: string; requires: readonly string[] }

/** Returns the plugins in init order (stable: config order where free). */
export function orderPlugins<T extends Orderable>(plugins: readonly T[]): T[] {
  const byUri = new Map(plugins.map((p) => [p.uri, p]));
  const deps = (p: T): T[] => p.requires.flatMap((r) => {
    const exact = byUri.get(r);
    if (exact) return [exact];
    return plugins.filter((q) => q.kind === r && q !== p);
  });
  const out: T[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (p: T, trail: string[]): void => {
    const s = state.get(p.uri);
    if (s === 'done') return;
    if (s === 'visiting') {
      const cycle = [...trail.slice(trail.indexOf(p.uri)), p.uri];
      throw new InvalidArgumentError(`plugin dependency cycle: ${cycle.join(' -> ')}`);
    }
    state.set(p.uri, 'visiting');
    for (const d of deps(p)) visit(d, [...trail, p.uri]);
    state.set(p.uri, 'done');
    out.push(p);
  };
  for (const p of plugins) visit(p, []);
  return out;
}
