/**
 * `berth volume …`: create, ls, inspect, rm, prune.
 */
import type { Command } from 'commander';
import { collect, StatusError, type CliContext } from '../cli-context';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const enc = encodeURIComponent;

function kvMap(list: string[]): Record<string, string> {
  return Object.fromEntries(list.map((s) => { const i = s.indexOf('='); return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)]; }));
}

/** Declares the volume command group. */
export function registerVolumeCommands(program: Command, ctx: CliContext): void {
  const vol = program.command('volume').description('manage volumes');

  vol.command('create').description('create a volume')
    .argument('[name]')
    .option('-d, --driver <driver>', 'volume driver name', 'local')
    .option('-o, --opt <key=value>', 'driver option (repeatable)', collect, [])
    .option('--label <key=value>', 'label (repeatable)', collect, [])
    .action(async (name: string | undefined, o: { driver: string; opt: string[]; label: string[] }) => {
      const r = await ctx.client().json<Json>('POST', '/volumes/create', {
        body: { Name: name ?? '', Driver: o.driver, DriverOpts: kvMap(o.opt), Labels: kvMap(o.label) },
      });
      process.stdout.write(`${r.Name}\n`);
    });

  vol.command('ls').alias('list').description('list volumes')
    .option('-q, --quiet', 'only display volume names')
    .option('-f, --filter <key=value>', 'filter output (repeatable)', collect, [])
    .option('--format <template>', 'format each volume with a template (or json)')
    .action(async (o: { quiet?: boolean; filter: string[]; format?: string }) => {
      const { table, renderTemplate } = await import('../output');
      const { filtersParam } = await import('./system-commands');
      const r = await ctx.client().json<Json>('GET', '/volumes', { query: { filters: filtersParam(o.filter) } });
      const list = ((r?.Volumes ?? []) as Json[]).sort((a, b) => String(a.Name).localeCompare(String(b.Name)));
      for (const w of (r?.Warnings ?? []) as string[]) process.stderr.write(`WARNING: ${w}\n`);
      if (o.quiet) { for (const v of list) process.stdout.write(`${v.Name}\n`); return; }
      if (o.format) { for (const v of list) process.stdout.write(`${renderTemplate(o.format, v)}\n`); return; }
      process.stdout.write(table([['DRIVER', 'VOLUME NAME'], ...list.map((v) => [v.Driver, v.Name])]));
    });

  vol.command('inspect').description('display detailed information on one or more volumes')
    .argument('<volume...>')
    .option('-f, --format <template>', 'format the output with a template')
    .action(async (names: string[], o: { format?: string }) => {
      const { printInspected } = await import('./inspect-each');
      await printInspected(names, (n) => ctx.client().json<Json>('GET', `/volumes/${enc(n)}`), o.format, 'Error response from daemon: ');
    });

  vol.command('rm').alias('remove').description('remove one or more volumes')
    .argument('<volume...>')
    .option('-f, --force', 'force the removal of one or more volumes')
    .action(async (names: string[], o: { force?: boolean }) => {
      const { eachContainer } = await import('./container-commands');
      await eachContainer(names, async (n) => { await ctx.client().status('DELETE', `/volumes/${enc(n)}`, { query: { force: o.force } }); });
    });

  vol.command('prune').description('remove all unused local volumes')
    .option('-f, --force', 'do not prompt for confirmation')
    .option('--filter <key=value>', 'filter (repeatable)', collect, [])
    .action(async (o: { filter: string[] }) => {
      const { filtersParam } = await import('./system-commands');
      const { humanSize } = await import('../output');
      const r = await ctx.client().json<Json>('POST', '/volumes/prune', { query: { filters: filtersParam(o.filter) } });
      const gone = (r?.VolumesDeleted ?? []) as string[];
      if (gone.length > 0) process.stdout.write(`Deleted Volumes:\n${gone.join('\n')}\n\n`);
      process.stdout.write(`Total reclaimed space: ${humanSize(r?.SpaceReclaimed ?? 0)}\n`);
    });
}
