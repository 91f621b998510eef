/**
 * `docker top`: runs the host's `ps` with the caller's arguments (default
 * `-ef`) and keeps the rows whose PID belongs to the container, exactly as
 * Docker does.
 */
import { execFile } from 'node:child_process';
import { InvalidArgumentError } from '../errors';

export interface TopResult { Titles: string[]; Processes: string[][] }

/** Parses `ps` output, keeping rows whose PID column is one of `pids`. */
export function parsePsOutput(output: string, pids: readonly number[]): TopResult {
  const lines = output.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new InvalidArgumentError('ps printed nothing');
  const Titles = lines[0].trim().split(/\s+/);
  const pidIndex = Titles.indexOf('PID');
  if (pidIndex < 0) throw new InvalidArgumentError("Couldn't find PID field in ps output");
  const want = new Set(pids);
  const Processes: string[][] = [];
  for (const line of lines.slice(1)) {
    const fields = line.trim().split(/\s+/);
    // the last column may contain spaces (CMD): join the overflow back into it
    const row = fields.length > Titles.length
      ? [...fields.slice(0, Titles.length - 1), fields.slice(Titles.length - 1).join(' ')]
      : fields;
    const pid = Number(row[pidIndex]);
    if (Number.isInteger(pid) && want.has(pid)) Processes.push(row);
  }
  return { Titles, Processes };
}

/** Runs `ps <psArgs>` on the host and filters it to `pids`. */
export function top(pids: readonly number[], psArgs = '-ef'): Promise<TopResult> {
  const args = psArgs.trim() === '' ? ['-ef'] : psArgs.trim().split(/\s+/);
  return new Promise((resolve, reject) => {
    execFile('ps', args, { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) { reject(new InvalidArgumentError(`Error running ps: ${String(stderr || err.message).trim()}`)); return; }
      try { resolve(parsePsOutput(stdout, pids)); } catch (e) { reject(e); }
    });
  });
}
