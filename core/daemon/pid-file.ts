/**
 * berthd's pid file: refuses to start when another live berthd holds it
 * (Docker's `pid file found, ensure docker is not running`), written
 * atomically, removed on shutdown.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FailedPreconditionError } from '../errors';
import { atomicWrite } from '../fs/atomic-write';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Writes this process's pid to `file`. FailedPreconditionError naming the file
 * when it holds the pid of another running process; a stale file is replaced.
 */
export async function writePidFile(file: string): Promise<void> {
  try {
    const pid = Number.parseInt(fs.readFileSync(file, 'utf8').trim(), 10);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid) && fs.existsSync(`/proc/${pid}`)) {
      throw new FailedPreconditionError(`pid file found, ensure berthd is not running or delete ${file} (pid ${pid})`);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
  await atomicWrite(file, `${process.pid}\n`, 0o644);
}

/** Removes `file` if it still holds this process's pid. */
export function removePidFile(file: string): void {
  try {
    if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.rmSync(file, { force: true });
  } catch { /* already gone */ }
}
