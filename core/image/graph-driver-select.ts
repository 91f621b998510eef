/**
 * Choosing the graph driver: `storage-driver` from the config when set
 * (its failure is fatal, as in Docker), otherwise every provided
 * `graphdriver:*` factory by priority (lowest first), falling back to the
 * next when one refuses with FailedPreconditionError — logging why.
 */
import * as path from 'node:path';
import { FailedPreconditionError, InvalidArgumentError, isFailedPrecondition } from '../errors';
import type { GraphDriverFactory, GraphDriverWithDiff } from '../drivers/graphdriver';
import type { Kernel } from '../daemon/kernel';
import { withDiffer } from './naive-differ';

/** `storage-opts` (`["overlay2.size=1G"]`) as a key → value record; bad entries are InvalidArgument. */
export function storageOptions(opts: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const o of opts ?? []) {
    const i = o.indexOf('=');
    if (i <= 0) throw new InvalidArgumentError(`storage-opts: "${o}" is not key=value`);
    out[o.slice(0, i).trim()] = o.slice(i + 1).trim();
  }
  return out;
}

/** The options meant for driver `name`: keys without a driver prefix, and `<name>.*` keys. */
export function optionsFor(name: string, all: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(all).filter(([k]) => !k.includes('.') || k.startsWith(`${name}.`)));
}

/** Picks, creates and returns the graph driver (wrapped with the naive differ where it has none). */
export async function selectGraphDriver(kernel: Kernel): Promise<GraphDriverWithDiff> {
  const factories = kernel.plugins.names('graphdriver:').map((n) => kernel.plugins.resolve<GraphDriverFactory>(n));
  const options = storageOptions(kernel.config['storage-opts']);
  const home = (f: GraphDriverFactory): string => path.join(kernel.config['data-root'], f.name);
  const wanted = kernel.config['storage-driver'];
  if (wanted) {
    const f = factories.find((x) => x.name === wanted);
    if (!f) {
      throw new InvalidArgumentError(`storage-driver "${wanted}" is not available (provided: ${factories.map((x) => x.name).join(', ') || 'none'})`);
    }
    const d = await f.create(home(f), optionsFor(f.name, options));
    kernel.log.info({ driver: f.name }, `using storage driver ${f.name} (chosen by storage-driver)`);
    return withDiffer(d);
  }
  const reasons: string[] = [];
  for (const f of [...factories].sort((a, b) => a.priority - b.priority)) {
    try {
      const d = await f.create(home(f), optionsFor(f.name, options));
      kernel.log.info({ driver: f.name, priority: f.priority }, `using storage driver ${f.name}${reasons.length ? ` (after: ${reasons.join('; ')})` : ''}`);
      return withDiffer(d);
    } catch (err) {
      if (!isFailedPrecondition(err)) throw err;
      reasons.push(`${f.name}: ${(err as Error).message}`);
      kernel.log.warn({ driver: f.name, reason: (err as Error).message }, `storage driver ${f.name} cannot work here; trying the next one`);
    }
  }
  throw new FailedPreconditionError(`no storage driver can work here${reasons.length ? `: ${reasons.join('; ')}` : ' (no graphdriver plugin loaded)'}`);
}
