/**
 * The shared body of `berth inspect`, `network inspect` and `volume inspect`.
 */
import { StatusError } from '../cli-context';

/**
 * Fetches every name in order and prints the objects found as one JSON
 * array (4-space indent, Docker's layout), or each through `format`. A name
 * that fails is reported on stderr as `<errorPrefix><message>` and the others
 * are still printed; then StatusError(1) is thrown, as docker exits 1.
 */
export async function printInspected(names: string[], fetch: (name: string) => Promise<unknown>, format: string | undefined, errorPrefix: string): Promise<void> {
  const { renderTemplate } = await import('../output');
  const found: unknown[] = [];
  let failed = false;
  for (const n of names) {
    try { found.push(await fetch(n)); } catch (err) {
      failed = true;
      process.stderr.write(`${errorPrefix}${(err as Error).message}\n`);
    }
  }
  if (format) for (const f of found) process.stdout.write(`${renderTemplate(format, f as Record<string, unknown>)}\n`);
  else process.stdout.write(`${JSON.stringify(found, null, 4)}\n`);
  if (failed) throw new StatusError(1);
}
