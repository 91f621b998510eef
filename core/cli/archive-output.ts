/**
 * Where `save` and `export` write their tar: a file (`-o`), written whole or
 * not at all, or stdout, which must not be a terminal (docker's rule).
 */
import * as fs from 'node:fs';
import type { Readable } from 'node:stream';
import { StatusError } from './cli-context';

/**
 * Checks the destination, then streams what `fetch` answers into `output`
 * through a temp file renamed at the end (removed on failure), or to stdout.
 * Throws StatusError(1) before any request when stdout is a terminal.
 */
export async function writeArchive(output: string | undefined, fetch: () => Promise<Readable>): Promise<void> {
  if (!output && process.stdout.isTTY) throw new StatusError(1, 'berth: cowardly refusing to save to a terminal. Use the -o flag or redirect');
  const res = await fetch();
  const { pipeline } = await import('node:stream/promises');
  if (!output) {
    await pipeline(res, process.stdout);
    return;
  }
  const tmp = `${output}.berth-tmp`;
  try {
    await pipeline(res, fs.createWriteStream(tmp));
    fs.renameSync(tmp, output);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}
