/**
 * `berth exec`: runs a command in a running container. With `-it` the
 * connection is hijacked and the local terminal goes raw for the session;
 * the exit status is the command's (from `GET /exec/{id}/json`).
 */
import type { Command } from 'commander';
import { collect, StatusError, type CliContext } from '../cli-context';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface ExecFlags {
  detach?: boolean; interactive?: boolean; tty?: boolean; env: string[]; user?: string;
  workdir?: string; privileged?: boolean; detachKeys?: string;
}

/** Docker's exec create body from the flags. */
export function buildExecBody(cmd: string[], f: ExecFlags, env: NodeJS.ProcessEnv = process.env): Json {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { parseEnv } = require('../flag-values') as typeof import('../flag-values');
  return {
    User: f.user ?? '',
    Privileged: Boolean(f.privileged),
    Tty: Boolean(f.tty),
    AttachStdin: Boolean(f.interactive) && !f.detach,
    AttachStdout: !f.detach,
    AttachStderr: !f.detach,
    DetachKeys: f.detachKeys ?? '',
    Env: f.env.map((e) => parseEnv(e, env)),
    WorkingDir: f.workdir ?? '',
    Cmd: cmd,
  };
}

/** Declares `exec`. */
export function registerExecCommand(program: Command, ctx: CliContext): void {
  program.command('exec').description('run a command in a running container')
    .argument('<container>').argument('<command...>')
    .passThroughOptions()
    .option('-d, --detach', 'run the command in the background')
    .option('-i, --interactive', 'keep STDIN open even if not attached')
    .option('-t, --tty', 'allocate a pseudo-TTY')
    .option('-e, --env <KEY=VALUE>', 'set an environment variable (repeatable)', collect, [])
    .option('-u, --user <user>', 'username or UID[:group]')
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .option('--privileged', 'give extended privileges to the command')
    .option('--detach-keys <keys>', 'key sequence for detaching')
    .action(async (name: string, cmd: string[], f: ExecFlags) => {
      if (f.interactive && f.tty && process.stdin.isTTY !== true) throw new StatusError(1, 'the input device is not a TTY');
      const c = ctx.client();
      const enc = encodeURIComponent;
      const { localConsoleSize } = await import('../cli-context');
      const size = f.tty ? localConsoleSize() : undefined;
      const created = await c.json<{ Id: string }>('POST', `/containers/${enc(name)}/exec`, { body: { ...buildExecBody(cmd, f), ...(size ? { ConsoleSize: size } : {}) } });
      const id = created.Id;
      if (f.detach) {
        await c.status('POST', `/exec/${enc(id)}/start`, { body: { Detach: true, Tty: Boolean(f.tty) } });
        return;
      }
      const { followResize, parseDetachKeys, pumpStreams } = await import('../attach-io');
      const h = await c.hijack('POST', `/exec/${enc(id)}/start`, { body: { Detach: false, Tty: Boolean(f.tty), ...(size ? { ConsoleSize: size } : {}) } });
      const stop = f.tty ? followResize((hh, w) => c.status('POST', `/exec/${enc(id)}/resize`, { query: { h: hh, w } })) : () => undefined;
      const r = await pumpStreams(h, { tty: Boolean(f.tty), stdin: Boolean(f.interactive), detachKeys: parseDetachKeys(f.detachKeys ?? 'ctrl-p,ctrl-q') });
      stop();
      if (r.detached) return;
      let info = await c.json<Json>('GET', `/exec/${enc(id)}/json`);
      // The output can close a moment before the daemon records the exit.
      for (let i = 0; i < 100 && info.Running === true; i++) {
        await new Promise((r) => setTimeout(r, 20));
        info = await c.json<Json>('GET', `/exec/${enc(id)}/json`);
      }
      const code = typeof info.ExitCode === 'number' ? info.ExitCode : 0;
      if (code !== 0) throw new StatusError(code);
    });
}
