/** Runs a host command (ip, iptables, nsenter) and turns a failure into an InternalError naming the command and its stderr. */
import { execFile } from 'node:child_process';
import { InternalError } from '../../core';

export interface CommandResult { stdout: string; stderr: string }

/** Resolves with stdout/stderr; rejects with InternalError (`cmd args: stderr`) on a non-zero exit. */
export function runCommand(cmd: string, args: string[], input?: string): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        reject(new InternalError(`${cmd} ${args.join(' ')}: ${String(stderr).trim() || err.message}`, { cause: err }));
      } else {
        resolve({ stdout: String(stdout), stderr: String(stderr) });
      }
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}
