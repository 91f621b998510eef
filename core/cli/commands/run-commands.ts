/**
 * `berth run` and `berth create`: one set of flags (run-flags.ts), the
 * image pulled when missing, then create (+ attach, start, wait for run).
 * Errors before the container runs exit 125 (126/127 when its command
 * cannot be invoked / is not found), otherwise the container's status.
 */
import type { Command } from 'commander';
import { StatusError, type CliContext } from '../cli-context';
import type { RunFlags } from '../run-flags';

function usageError(cmd: string, err: unknown): StatusError {
  const e = err as Error & { status?: number };
  const msg = e.name === 'DaemonError' ? `Error response from daemon: ${e.message}` : e.message;
  return new StatusError(125, `berth: ${msg}${e.name === 'InvalidArgumentError' ? `\nSee 'berth ${cmd} --help'.` : ''}`);
}

/** Creates the container, pulling its image first when the daemon says it has none. Returns the id. */
async function createWithPull(ctx: CliContext, cmd: string, flags: RunFlags, image: string, args: string[]): Promise<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { buildCreateRequest } = require('../run-flags') as typeof import('../run-flags');
  let req;
  try {
    req = buildCreateRequest(flags, image, args, { run: cmd === 'run' });
  } catch (err) {
    throw usageError(cmd, err);
  }
  if (flags.tty) {
    const { localConsoleSize } = await import('../cli-context');
    const size = localConsoleSize();
    if (size) req.body.HostConfig.ConsoleSize = size;
  }
  const c = ctx.client();
  const create = (): Promise<{ Id: string; Warnings?: string[] | null }> =>
    c.json('POST', '/containers/create', { query: { name: req.name, platform: req.platform }, body: req.body });
  const pull = flags.pull ?? 'missing';
  if (!['missing', 'always', 'never'].includes(pull)) {
    throw new StatusError(125, `berth: invalid pull option: '${pull}': must be one of "always", "missing" or "never"`);
  }
  if (pull === 'always') {
    try {
      const { pullImage } = await import('../pull-image');
      await pullImage(c, image, { out: process.stderr, platform: req.platform });
    } catch (err) {
      throw usageError(cmd, err);
    }
  }
  let res;
  try {
    res = await create();
  } catch (err) {
    const e = err as Error & { status?: number };
    if (e.name !== 'DaemonError' || e.status !== 404 || !/no such image/i.test(e.message) || pull !== 'missing') throw usageError(cmd, err);
    process.stderr.write(`Unable to find image '${image}' locally\n`);
    try {
      const { pullImage } = await import('../pull-image');
      await pullImage(c, image, { out: process.stderr, platform: req.platform });
      res = await create();
    } catch (err2) {
      throw usageError(cmd, err2);
    }
  }
  for (const w of res.Warnings ?? []) process.stderr.write(`WARNING: ${w}\n`);
  return res.Id;
}

function declare(program: Command, name: 'run' | 'create', ctx: CliContext): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { addRunFlags } = require('../run-flags') as typeof import('../run-flags');
  const cmd = program.command(name)
    .description(name === 'run' ? 'create and start a container, attached unless -d' : 'create a container without starting it')
    .argument('<image>', 'image to run')
    .argument('[command...]', 'command and arguments')
    .passThroughOptions()
    .usage('[OPTIONS] IMAGE [COMMAND] [ARG...]');
  addRunFlags(cmd, { run: name === 'run' });
  cmd.action(async (image: string, args: string[], flags: RunFlags) => {
    if (name === 'run' && flags.interactive && flags.tty && process.stdin.isTTY !== true) {
      throw new StatusError(125, 'berth: the input device is not a TTY');
    }
    const id = await createWithPull(ctx, name, flags, image, args);
    if (name === 'create') {
      process.stdout.write(`${id}\n`);
      return;
    }
    const c = ctx.client();
    if (flags.detach) {
      try {
        await c.status('POST', `/containers/${id}/start`);
      } catch (err) {
        if (flags.rm) await c.status('DELETE', `/containers/${id}`, { query: { force: true } }).catch(() => undefined);
        const { startErrorStatus } = await import('../cli-context');
        throw new StatusError(startErrorStatus((err as Error).message), `berth: Error response from daemon: ${(err as Error).message}`);
      }
      process.stdout.write(`${id}\n`);
      return;
    }
    const { attachStartWait } = await import('../container-session');
    const code = await attachStartWait(c, id, {
      tty: Boolean(flags.tty), interactive: Boolean(flags.interactive), detachKeys: flags.detachKeys,
      autoRemove: Boolean(flags.rm), errorPrefix: 'berth: ',
    });
    if (code !== null && code !== 0) throw new StatusError(code);
  });
}

/** Declares `run` and `create`. */
export function registerRunCommands(program: Command, ctx: CliContext): void {
  declare(program, 'run', ctx);
  declare(program, 'create', ctx);
}
