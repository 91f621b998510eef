#!/usr/bin/env node
/**
 * berth: the command-line client of berthd, over the Docker Engine API
 * (v1.41) on `-H` / `BERTH_HOST` / unix:///run/berth/berth.sock.
 *
 * Start-up is kept small: this file loads commander and the command
 * declarations only; each action requires the client and what else it needs
 * when it runs. Exit statuses follow docker: 125 for a usage or daemon error
 * in run/create/start, 126/127 when the container command cannot be invoked
 * or is not found, the container's own status otherwise, 1 for other errors.
 */
import { Command, CommanderError } from 'commander';
import { createContext, StatusError } from '../cli/cli-context';
import { registerContainerCommands } from '../cli/commands/container-commands';
import { registerExecCommand } from '../cli/commands/exec-command';
import { registerImageCommands } from '../cli/commands/image-commands';
import { registerNetworkCommands } from '../cli/commands/network-commands';
import { registerPluginCommands } from '../cli/commands/plugin-commands';
import { registerRunCommands } from '../cli/commands/run-commands';
import { registerStatsCommand } from '../cli/commands/stats-command';
import { registerSystemCommands } from '../cli/commands/system-commands';
import { registerTransferCommands } from '../cli/commands/transfer-commands';
import { registerVolumeCommands } from '../cli/commands/volume-commands';
import { BERTH_VERSION } from '../version';

/** Builds the program with every command declared. */
export function buildProgram(): Command {
  const program = new Command('berth')
    .description('berth: run and manage containers through berthd (Docker Engine API v1.41)')
    .usage('[OPTIONS] COMMAND')
    .enablePositionalOptions()
    .option('-H, --host <host>', 'daemon socket to connect to (env BERTH_HOST; default unix:///run/berth/berth.sock)')
    .option('-D, --debug', 'print error stacks')
    .version(`berth version ${BERTH_VERSION}`, '-v, --version', 'print the version and quit')
    .showSuggestionAfterError(true)
    .exitOverride();
  const ctx = createContext(program);
  registerRunCommands(program, ctx);
  registerContainerCommands(program, ctx);
  registerStatsCommand(program, ctx);
  registerExecCommand(program, ctx);
  registerTransferCommands(program, ctx);
  registerImageCommands(program, ctx);
  registerNetworkCommands(program, ctx);
  registerVolumeCommands(program, ctx);
  registerSystemCommands(program, ctx);
  registerPluginCommands(program, ctx);
  // Every subcommand reports usage errors through the same override (exit 125).
  const override = (c: Command): void => { c.exitOverride(); c.commands.forEach(override); };
  override(program);
  return program;
}

function describe(err: unknown): { status: number; message: string } {
  if (err instanceof StatusError) return { status: err.status, message: err.message };
  if (err instanceof CommanderError) {
    // help and version exit 0; every usage error is docker's 125.
    if (err.exitCode === 0) return { status: 0, message: '' };
    return { status: 125, message: '' };
  }
  const e = err as Error & { status?: number; code?: string };
  if (e.name === 'DaemonError') return { status: 1, message: `Error response from daemon: ${e.message}` };
  if (e.name === 'InvalidArgumentError') return { status: 125, message: `berth: ${e.message}` };
  if (e.name === 'ConnectError') return { status: 1, message: e.message };
  if (e.name === 'JsonMessageError') return { status: 1, message: e.message };
  return { status: 1, message: `berth: ${e.message ?? String(err)}` };
}

/** Runs the CLI on argv (without node and script) and resolves with the exit status. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  if (argv.length === 0) {
    program.outputHelp();
    return 0;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    const { status, message } = describe(err);
    if (message !== '') process.stderr.write(`${message}\n`);
    if (program.opts<{ debug?: boolean }>().debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    return status;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (err: Error) => {
    process.stderr.write(`berth: ${err.stack ?? err.message}\n`);
    process.exit(1);
  });
}
