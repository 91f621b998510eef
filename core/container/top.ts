/**
 * `docker top`: runs the host's `ps` with the caller's arguments (default
 * `-ef`) and keeps the rows whose PID belongs to the container, exactly as
 * Docker does; without `ps` on the host, the `-ef` view comes from /proc.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
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

/**
 * Runs `ps <psArgs>` on the host and filters it to `pids`. Where the host
 * has no `ps` (procps), the default `-ef` view is built from /proc instead.
 */
export function top(pids: readonly number[], psArgs = '-ef'): Promise<TopResult> {
  const args = psArgs.trim() === '' ? ['-ef'] : psArgs.trim().split(/\s+/);
  return new Promise((resolve, reject) => {
    execFile('ps', args, { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT' && args.join(' ') === '-ef') {
        procTop(pids).then(resolve, reject);
        return;
      }
      if (err) { reject(new InvalidArgumentError(`Error running ps: ${String(stderr || err.message).trim()}`)); return; }
      try { resolve(parsePsOutput(stdout, pids)); } catch (e) { reject(e); }
    });
  });
}

/** `ps -ef`'s columns for `pids`, read from /proc (UID numeric, STIME/TIME from the stat clock ticks). */
export async function procTop(pids: readonly number[]): Promise<TopResult> {
  const Titles = ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'];
  const hz = 100;
  const boot = Number(/^btime (\d+)$/m.exec(await readFile('/proc/stat', 'utf8'))?.[1] ?? 0);
  const Processes: string[][] = [];
  for (const pid of pids) {
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      const rawCmd = await readFile(`/proc/${pid}/cmdline`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1] ?? '?';
      const cpuSecs = Math.floor((Number(rest[11]) + Number(rest[12])) / hz);
      const started = new Date((boot + Number(rest[19]) / hz) * 1000);
      const hhmm = `${String(started.getHours()).padStart(2, '0')}:${String(started.getMinutes()).padStart(2, '0')}`;
      const time = [Math.floor(cpuSecs / 3600), Math.floor(cpuSecs / 60) % 60, cpuSecs % 60].map((n) => String(n).padStart(2, '0')).join(':');
      const cmd = rawCmd.split('\0').filter(Boolean).join(' ') || `[${comm}]`;
      Processes.push([uid, String(pid), rest[1], '0', hhmm, '?', time, cmd]);
    } catch {
      // the process ended meanwhile
    }
  }
  return { Titles, Processes };
}
