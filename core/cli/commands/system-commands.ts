/**
 * System commands: `version`, `info`, `system df`, `events`, and the generic
 * `inspect` (container, image, network or volume, in that order).
 */
import * as os from 'node:os';
import type { Command } from 'commander';
import { collect, StatusError, type CliContext } from '../cli-context';
import { InvalidArgumentError, NotFoundError } from '../../errors';
import { BERTH_VERSION } from '../../version';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** `-f key=value` filters as the API's JSON `{key: [values]}`. */
export function filtersParam(filters: string[]): string | undefined {
  if (filters.length === 0) return undefined;
  const out: Record<string, string[]> = {};
  for (const f of filters) {
    const i = f.indexOf('=');
    if (i <= 0) throw new InvalidArgumentError(`bad format of filter (expected name=value): ${f}`);
    (out[f.slice(0, i)] ??= []).push(f.slice(i + 1));
  }
  return JSON.stringify(out);
}

function kv(lines: string[], indent: string, key: string, value: unknown): void {
  if (value === undefined || value === null || value === '') return;
  lines.push(`${indent}${key}: ${String(value)}`);
}

function formatVersion(server: Json | undefined): string {
  const pad = (k: string): string => `${k}:`.padEnd(19);
  const lines = ['Client:', ` ${pad('Version')}${BERTH_VERSION}`, ` ${pad('API version')}1.41`,
    ` ${pad('Node version')}${process.version}`, ` ${pad('OS/Arch')}${os.platform()}/${process.arch === 'x64' ? 'amd64' : process.arch}`, ''];
  if (server) {
    lines.push('Server:', ' Engine:');
    const p = (k: string): string => `${k}:`.padEnd(18);
    lines.push(`  ${p('Version')}${server.Version ?? ''}`);
    lines.push(`  ${p('API version')}${server.ApiVersion ?? ''}${server.MinAPIVersion ? ` (minimum version ${server.MinAPIVersion})` : ''}`);
    if (server.GitCommit) lines.push(`  ${p('Git commit')}${server.GitCommit}`);
    if (server.GoVersion) lines.push(`  ${p('Runtime')}${server.GoVersion}`);
    if (server.BuildTime) lines.push(`  ${p('Built')}${server.BuildTime}`);
    lines.push(`  ${p('OS/Arch')}${server.Os ?? ''}/${server.Arch ?? ''}`);
    if (server.KernelVersion) lines.push(`  ${p('Kernel version')}${server.KernelVersion}`);
    for (const c of (server.Components ?? []) as Json[]) {
      if (c.Name === 'Engine') continue;
      lines.push(` ${c.Name}:`, `  ${p('Version')}${c.Version ?? ''}`);
    }
  }
  return lines.join('\n') + '\n';
}

function formatInfo(i: Json, plugins: Json[] | undefined): string {
  const l: string[] = ['Server:'];
  kv(l, ' ', 'Containers', i.Containers ?? 0);
  kv(l, '  ', 'Running', i.ContainersRunning ?? 0);
  kv(l, '  ', 'Paused', i.ContainersPaused ?? 0);
  kv(l, '  ', 'Stopped', i.ContainersStopped ?? 0);
  kv(l, ' ', 'Images', i.Images ?? 0);
  kv(l, ' ', 'Server Version', i.ServerVersion);
  kv(l, ' ', 'Storage Driver', i.Driver);
  for (const [k, v] of (i.DriverStatus ?? []) as string[][]) kv(l, '  ', k, v);
  kv(l, ' ', 'Logging Driver', i.LoggingDriver);
  kv(l, ' ', 'Cgroup Driver', i.CgroupDriver);
  kv(l, ' ', 'Cgroup Version', i.CgroupVersion);
  if (i.Plugins) {
    l.push(' Plugins:');
    kv(l, '  ', 'Volume', (i.Plugins.Volume ?? []).join(' '));
    kv(l, '  ', 'Network', (i.Plugins.Network ?? []).join(' '));
    kv(l, '  ', 'Log', (i.Plugins.Log ?? []).join(' '));
  }
  if (plugins && plugins.length > 0) {
    l.push(' Berth Plugins:');
    for (const p of plugins) l.push(`  ${p.uri} ${p.version} (${p.status}${p.error ? `: ${p.error}` : ''})`);
  }
  if (Array.isArray(i.SecurityOptions) && i.SecurityOptions.length > 0) {
    l.push(' Security Options:');
    for (const s of i.SecurityOptions as string[]) l.push(`  ${s.replace(/^name=/, '')}`);
  }
  kv(l, ' ', 'Kernel Version', i.KernelVersion);
  kv(l, ' ', 'Operating System', i.OperatingSystem);
  kv(l, ' ', 'OSType', i.OSType);
  kv(l, ' ', 'Architecture', i.Architecture);
  kv(l, ' ', 'CPUs', i.NCPU);
  if (typeof i.MemTotal === 'number') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    kv(l, ' ', 'Total Memory', (require('../output') as typeof import('../output')).bytesSize(i.MemTotal));
  }
  kv(l, ' ', 'Name', i.Name);
  kv(l, ' ', 'ID', i.ID);
  kv(l, ' ', 'Berth Root Dir', i.DockerRootDir);
  kv(l, ' ', 'Debug Mode', i.Debug);
  if (Array.isArray(i.Labels) && i.Labels.length > 0) { l.push(' Labels:'); for (const x of i.Labels) l.push(`  ${x}`); }
  const insecure = i.RegistryConfig?.InsecureRegistryCIDRs ?? [];
  const indexes = Object.keys(i.RegistryConfig?.IndexConfigs ?? {}).filter((k) => i.RegistryConfig.IndexConfigs[k].Secure === false);
  if (insecure.length + indexes.length > 0) { l.push(' Insecure Registries:'); for (const x of [...indexes, ...insecure]) l.push(`  ${x}`); }
  kv(l, ' ', 'Live Restore Enabled', i.LiveRestoreEnabled);
  return l.join('\n') + '\n';
}

function eventLine(e: Json): string {
  const ns = typeof e.timeNano === 'number' ? BigInt(Math.round(e.timeNano)) : BigInt(e.time ?? 0) * 1000000000n;
  const secs = Number(ns / 1000000000n);
  const frac = String(ns % 1000000000n).padStart(9, '0');
  const when = new Date(secs * 1000).toISOString().replace(/\.000Z$/, `.${frac}Z`);
  const actor = (e.Actor ?? {}) as Json;
  const attrs = Object.entries((actor.Attributes ?? {}) as Record<string, string>).sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`).join(', ');
  return `${when} ${e.Type ?? ''} ${e.Action ?? e.status ?? ''} ${actor.ID ?? e.id ?? ''}${attrs ? ` (${attrs})` : ''}\n`;
}

/** Tries each kind in turn; NotFound from all is `Error: No such object: X`. */
async function inspectOne(ctx: CliContext, name: string, type: string | undefined, size = false): Promise<Json> {
  const c = ctx.client();
  const kinds: Array<[string, string]> = [
    ['container', `/containers/${encodeURIComponent(name)}/json${size ? '?size=1' : ''}`],
    ['image', `/images/${encodeURIComponent(name)}/json`],
    ['network', `/networks/${encodeURIComponent(name)}`],
    ['volume', `/volumes/${encodeURIComponent(name)}`],
  ];
  for (const [kind, path] of kinds) {
    if (type && type !== kind) continue;
    try {
      return await c.json<Json>('GET', path);
    } catch (err) {
      // 404: not this kind; 501: this kind is not served by the daemon at all.
      const status = (err as { status?: number }).status;
      if (status !== 404 && status !== 501) throw err;
    }
  }
  throw new NotFoundError(`No such object: ${name}`);
}

/** Declares version, info, system df, events, inspect. */
export function registerSystemCommands(program: Command, ctx: CliContext): void {
  program.command('version').description('show the client and daemon versions')
    .option('-f, --format <template>', 'format the output with a template')
    .action(async (o: { format?: string }) => {
      let server: Json | undefined;
      let error: Error | undefined;
      try { server = await ctx.client().json<Json>('GET', '/version'); } catch (err) { error = err as Error; }
      if (o.format) {
        const { renderTemplate } = await import('../output');
        process.stdout.write(`${renderTemplate(o.format, { Client: { Version: BERTH_VERSION, ApiVersion: '1.41' }, Server: server })}\n`);
      } else {
        process.stdout.write(formatVersion(server));
      }
      if (error) throw error;
    });

  program.command('info').description('show system-wide information')
    .option('-f, --format <template>', 'format the output with a template')
    .action(async (o: { format?: string }) => {
      const c = ctx.client();
      const info = await c.json<Json>('GET', '/info');
      const plugins = await c.json<Json[]>('GET', '/berth/plugins').catch(() => undefined);
      if (o.format) {
        const { renderTemplate } = await import('../output');
        process.stdout.write(`${renderTemplate(o.format, { ...info, BerthPlugins: plugins })}\n`);
        return;
      }
      process.stdout.write(formatInfo(info, plugins));
      // as docker: the daemon's warnings go to stderr, after the report
      for (const w of (info.Warnings ?? []) as string[]) process.stderr.write(`${w}\n`);
    });

  const system = program.command('system').description('manage berth');
  system.command('df').description('show disk usage')
    .action(async () => {
      const { table, humanSize } = await import('../output');
      const df = await ctx.client().json<Json>('GET', '/system/df');
      const images = (df.Images ?? []) as Json[];
      const containers = (df.Containers ?? []) as Json[];
      const volumes = (df.Volumes ?? []) as Json[];
      const cache = (df.BuildCache ?? []) as Json[];
      const imgActive = images.filter((i) => (i.Containers ?? 0) > 0);
      const imgSize = Number(df.LayersSize ?? images.reduce((s, i) => s + (i.Size ?? 0), 0));
      const imgReclaim = imgSize - imgActive.reduce((s, i) => s + (i.Size ?? 0) - (i.SharedSize > 0 ? i.SharedSize : 0), 0);
      const ctrSize = containers.reduce((s, c) => s + (c.SizeRw ?? 0), 0);
      const ctrActive = containers.filter((c) => c.State === 'running');
      const ctrReclaim = containers.filter((c) => c.State !== 'running').reduce((s, c) => s + (c.SizeRw ?? 0), 0);
      const volSize = volumes.reduce((s, v) => s + Math.max(0, v.UsageData?.Size ?? 0), 0);
      const volActive = volumes.filter((v) => (v.UsageData?.RefCount ?? 0) > 0);
      const volReclaim = volumes.filter((v) => (v.UsageData?.RefCount ?? 0) === 0).reduce((s, v) => s + Math.max(0, v.UsageData?.Size ?? 0), 0);
      const pct = (r: number, t: number): string => (t > 0 ? ` (${Math.round((r / t) * 100)}%)` : '');
      process.stdout.write(table([
        ['TYPE', 'TOTAL', 'ACTIVE', 'SIZE', 'RECLAIMABLE'],
        ['Images', String(images.length), String(imgActive.length), humanSize(imgSize), `${humanSize(Math.max(0, imgReclaim))}${pct(imgReclaim, imgSize)}`],
        ['Containers', String(containers.length), String(ctrActive.length), humanSize(ctrSize), `${humanSize(ctrReclaim)}${pct(ctrReclaim, ctrSize)}`],
        ['Local Volumes', String(volumes.length), String(volActive.length), humanSize(volSize), `${humanSize(volReclaim)}${pct(volReclaim, volSize)}`],
        ['Build Cache', String(cache.length), '0', '0B', '0B'],
      ]));
    });

  program.command('events').description('get real-time events from the daemon')
    .option('--since <time>', 'show events created since this timestamp or relative time (10m)')
    .option('--until <time>', 'stream events until this timestamp or relative time')
    .option('-f, --filter <key=value>', 'filter output (repeatable)', collect, [])
    .option('--format <template>', 'format each event with a template')
    .action(async (o: { since?: string; until?: string; filter: string[]; format?: string }) => {
      const { toTimestamp } = await import('../timestamps');
      const since = o.since === undefined ? undefined : toTimestamp(o.since, '--since');
      const until = o.until === undefined ? undefined : toTimestamp(o.until, '--until');
      const c = ctx.client();
      const res = await c.request('GET', '/events', { query: { since, until, filters: filtersParam(o.filter) } });
      const { renderTemplate } = await import('../output');
      await c.jsonStream(res, (e) => {
        process.stdout.write(o.format ? `${renderTemplate(o.format, e)}\n` : eventLine(e));
      });
    });

  program.command('inspect').description('show low-level information on berth objects')
    .argument('<name...>', 'container, image, network or volume')
    .option('-f, --format <template>', 'format the output with a template')
    .option('--type <type>', 'only this kind: container, image, network, volume')
    .option('-s, --size', 'include sizes (containers)')
    .action(async (names: string[], o: { format?: string; type?: string; size?: boolean }) => {
      const { printInspected } = await import('./inspect-each');
      await printInspected(names, (n) => inspectOne(ctx, n, o.type, o.size), o.format, 'Error: ');
    });
}
