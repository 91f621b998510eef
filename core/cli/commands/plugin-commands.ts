/**
 * `berth plugins ls`: the plugins berthd loaded (or failed to), from
 * `GET /berth/plugins` — berth's own route next to the Docker API.
 */
import type { Command } from 'commander';
import type { CliContext } from '../cli-context';

/** One row of `GET /berth/plugins` (PluginStatus in core/engine/job-map.ts). */
interface PluginRow {
  uri: string; kind: string; id: string; version: string; apiVersion: string;
  source: string; status: string; error?: string; initMs?: number;
}

/** Declares `plugins ls`. */
export function registerPluginCommands(program: Command, ctx: CliContext): void {
  const plugins = program.command('plugins').alias('plugin').description('list the plugins berthd loaded');
  plugins.command('ls').alias('list').description('list plugins: URI, version, source, status and init time')
    .option('-q, --quiet', 'only URIs')
    .option('--format <template>', 'format each plugin with a template (or json)')
    .action(async (o: { quiet?: boolean; format?: string }) => {
      const { table, renderTemplate } = await import('../output');
      const rows = await ctx.client().json<PluginRow[]>('GET', '/berth/plugins');
      if (o.quiet) { for (const p of rows) process.stdout.write(`${p.uri}\n`); return; }
      if (o.format) { for (const p of rows) process.stdout.write(`${renderTemplate(o.format, p)}\n`); return; }
      process.stdout.write(table([
        ['URI', 'VERSION', 'API', 'SOURCE', 'STATUS', 'INIT', 'ERROR'],
        ...rows.map((p) => [p.uri, p.version, p.apiVersion, p.source, p.status,
          p.initMs === undefined ? '' : `${Math.round(p.initMs)}ms`, p.error ?? '']),
      ]));
    });
}
