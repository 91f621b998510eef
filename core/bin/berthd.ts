#!/usr/bin/env node
/**
 * berthd: loads the config and the plugins, starts the API, and stops
 * cleanly on SIGTERM/SIGINT. `berthd --validate` checks the config and exits
 * 0/1 like `dockerd --validate`.
 */
import { reexecWithOneArena, wantsReexec } from './reexec';
import { applyLeanFlags, applyStartupFlags, applyV8Flags, checkV8Flags, v8Flags } from './heap-flags';
// First of all: once, the same process again with one malloc arena and the
// V8 flags on node's command line (see reexec.ts and heap-flags.ts).
// (only before the re-exec: afterwards node has taken them, and without it V8 ignores unknown ones)
const badFlags = wantsReexec(process.env) ? checkV8Flags() : null;
if (badFlags) {
  process.stderr.write(`berthd: ${badFlags}\n`);
  process.exit(1);
}
reexecWithOneArena(process.env, v8Flags());
// First, before the daemon's modules allocate: the young generation's size,
// the start-up flags, and the lean ones (no TurboFan until the daemon works
// hard; see heap-flags.ts).
const gc = applyV8Flags();
const [endStartup, endLean] = undoableFlags();
function undoableFlags(): [() => void, () => void] {
  try {
    return [applyStartupFlags(), applyLeanFlags()];
  } catch (err) {
    process.stderr.write(`berthd: ${(err as Error).message}\n`);
    process.exit(1);
  }
}
import 'reflect-metadata';
import * as path from 'node:path';
import { CommanderError } from 'commander';
import { loadConfig } from '../config/load-config';
import { createKernel } from '../daemon/create-kernel';
import { createLogger } from '../daemon/logger';
import { addonFunction } from '../native/loader';
import { onFirstBusy } from '../system/first-busy';
import { startIdleGc } from '../system/idle-gc';
import { BERTH_VERSION } from '../version';
import { parseBerthdArgs } from './berthd-flags';

async function main(): Promise<number> {
  let args;
  try {
    args = parseBerthdArgs(process.argv.slice(2), BERTH_VERSION);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    throw err;
  }
  let config;
  try {
    config = loadConfig({ file: args.configFile, flags: args.flags });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 1;
  }
  if (args.validate) {
    process.stdout.write('configuration OK\n');
    return 0;
  }
  const log = createLogger(config);
  const configDir = args.configFile ? path.dirname(path.resolve(args.configFile)) : '/etc/berth';
  let kernel;
  try {
    kernel = await createKernel(config, log, { configDir });
  } catch (err) {
    log.fatal({ err: (err as Error).message }, 'failed to start daemon');
    process.stderr.write(`failed to start daemon: ${(err as Error).message}\n`);
    return 1;
  }
  const { startDaemon } = await import('../daemon/daemon');
  let daemon;
  try {
    daemon = await startDaemon(kernel, {});
  } catch (err) {
    process.stderr.write(`failed to start daemon: ${(err as Error).message}\n`);
    await kernel.close();
    return 1;
  }
  log.info({ version: BERTH_VERSION, hosts: config.hosts }, 'berthd started');
  // malloc_trim(0): gives the C heap freed by bursts of I/O back
  const trim = addonFunction<() => void>('berth_exec', 'mallocTrim');
  // The first idle moment collects what loading and starting left behind, and
  // trims the C heap it freed (~4 MiB); later ones only after growth. Start-up
  // ends there (or after 1 s of a busy start), and from then on the first
  // stretch of hard work turns TurboFan on (core/system/first-busy.ts).
  // Ending start-up synchronously here, while the start-up's last callbacks
  // still ran, had the compilers' pages touched anyway (+4 MiB resident).
  let stopBusyWatch: (() => void) | undefined;
  const startupOver = (): void => {
    clearTimeout(startupTimer);
    if (stopBusyWatch) return;
    endStartup();
    stopBusyWatch = onFirstBusy(() => {
      log.debug('busy: lean V8 flags ended');
      endLean();
    });
  };
  const startupTimer = setTimeout(startupOver, 1000);
  const stopIdleGc = startIdleGc(kernel.engine, gc, { log, trim, initial: true, onCollect: startupOver });
  await new Promise<void>((resolve) => {
    const stop = (sig: string): void => {
      log.info({ signal: sig }, 'shutting down');
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  stopIdleGc();
  stopBusyWatch?.();
  await daemon.stop();
  await kernel.close();
  log.info('berthd stopped');
  return 0;
}

// Exit explicitly once shut down, as dockerd does: with live-restore the
// connections to running containers' shims are left open on purpose, and
// they must not keep the process alive.
main().then((code) => process.exit(code), (err: Error) => {
  process.stderr.write(`berthd: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
