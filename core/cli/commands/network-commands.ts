/**
 * `berth network …`: create, ls, inspect, rm, connect, disconnect, prune.
 */
import type { Command } from 'commander';
import { collect, StatusError, type CliContext } from '../cli-context';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const enc = encodeURIComponent;

function kvMap(list: string[], what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of list) {
    const i = s.indexOf('=');
    if (i === 0) throw new StatusError(125, `berth: invalid ${what} ${JSON.stringify(s)}: empty key`);
    if (i < 0) out[s] = ''; else out[s.slice(0, i)] = s.slice(i + 1);
  }
  return out;
}

/** Declares the network command group. */
export function registerNetworkCommands(program: Command, ctx: CliContext): void {
  const net = program.command('network').description('manage networks');

  net.command('create').description('create a network')
    .argument('<name>')
    .option('-d, --driver <driver>', 'driver to manage the network', 'bridge')
    .option('--subnet <cidr>', 'subnet in CIDR format (repeatable)', collect, [])
    .option('--gateway <ip>', 'gateway for the subnet (repeatable)', collect, [])
    .option('--ip-range <cidr>', 'allocate container IPs from a sub-range (repeatable)', collect, [])
    .option('-o, --opt <key=value>', 'driver option (repeatable)', collect, [])
    .option('--label <key=value>', 'label (repeatable)', collect, [])
    .option('--internal', 'restrict external access to the network')
    .option('--ipv6', 'enable IPv6 networking')
    .option('--attachable', 'enable manual container attachment')
    .action(async (name: string, o: { driver: string; subnet: string[]; gateway: string[]; ipRange: string[]; opt: string[]; label: string[]; internal?: boolean; ipv6?: boolean; attachable?: boolean }) => {
      if (o.gateway.length > o.subnet.length || o.ipRange.length > o.subnet.length) {
        throw new StatusError(125, 'berth: every --gateway and --ip-range needs a matching --subnet');
      }
      const config = o.subnet.map((s, i) => ({ Subnet: s, ...(o.gateway[i] ? { Gateway: o.gateway[i] } : {}), ...(o.ipRange[i] ? { IPRange: o.ipRange[i] } : {}) }));
      const r = await ctx.client().json<Json>('POST', '/networks/create', {
        body: {
          Name: name, CheckDuplicate: true, Driver: o.driver, Internal: Boolean(o.internal), EnableIPv6: Boolean(o.ipv6),
          Attachable: Boolean(o.attachable), Options: kvMap(o.opt, 'option'), Labels: kvMap(o.label, 'label'),
          IPAM: { Driver: 'default', Config: config, Options: {} },
        },
      });
      if (r.Warning) process.stderr.write(`WARNING: ${r.Warning}\n`);
      process.stdout.write(`${r.Id}\n`);
    });

  net.command('ls').alias('list').description('list networks')
    .option('-q, --quiet', 'only display network IDs')
    .option('-f, --filter <key=value>', 'filter output (repeatable)', collect, [])
    .option('--no-trunc', "don't truncate output")
    .option('--format <template>', 'format each network with a template (or json)')
    .action(async (o: { quiet?: boolean; filter: string[]; trunc: boolean; format?: string }) => {
      const { table, shortId, renderTemplate } = await import('../output');
      const { filtersParam } = await import('./system-commands');
      const list = await ctx.client().json<Json[]>('GET', '/networks', { query: { filters: filtersParam(o.filter) } });
      list.sort((a, b) => String(a.Name).localeCompare(String(b.Name)));
      if (o.quiet) { for (const n of list) process.stdout.write(`${shortId(n.Id, !o.trunc)}\n`); return; }
      if (o.format) { for (const n of list) process.stdout.write(`${renderTemplate(o.format, { ...n, ID: n.Id })}\n`); return; }
      process.stdout.write(table([['NETWORK ID', 'NAME', 'DRIVER', 'SCOPE'], ...list.map((n) => [shortId(n.Id, !o.trunc), n.Name, n.Driver, n.Scope ?? 'local'])]));
    });

  net.command('inspect').description('display detailed information on one or more networks')
    .argument('<network...>')
    .option('-f, --format <template>', 'format the output with a template')
    .action(async (names: string[], o: { format?: string }) => {
      const { printInspected } = await import('./inspect-each');
      await printInspected(names, (n) => ctx.client().json<Json>('GET', `/networks/${enc(n)}`), o.format, 'Error response from daemon: ');
    });

  net.command('rm').alias('remove').description('remove one or more networks')
    .argument('<network...>')
    .action(async (names: string[]) => {
      const { eachContainer } = await import('./container-commands');
      await eachContainer(names, async (n) => { await ctx.client().status('DELETE', `/networks/${enc(n)}`); });
    });

  net.command('connect').description('connect a container to a network')
    .argument('<network>').argument('<container>')
    .option('--ip <address>', 'IPv4 address')
    .option('--alias <alias>', 'network-scoped alias (repeatable)', collect, [])
    .action(async (network: string, container: string, o: { ip?: string; alias: string[] }) => {
      await ctx.client().status('POST', `/networks/${enc(network)}/connect`, {
        body: { Container: container, EndpointConfig: { ...(o.ip ? { IPAMConfig: { IPv4Address: o.ip } } : {}), ...(o.alias.length ? { Aliases: o.alias } : {}) } },
      });
    });

  net.command('disconnect').description('disconnect a container from a network')
    .argument('<network>').argument('<container>')
    .option('-f, --force', 'force the container to disconnect')
    .action(async (network: string, container: string, o: { force?: boolean }) => {
      await ctx.client().status('POST', `/networks/${enc(network)}/disconnect`, { body: { Container: container, Force: Boolean(o.force) } });
    });

  net.command('prune').description('remove all unused networks')
    .option('-f, --force', 'do not prompt for confirmation')
    .option('--filter <key=value>', 'filter (repeatable)', collect, [])
    .action(async (o: { filter: string[] }) => {
      const { filtersParam } = await import('./system-commands');
      const r = await ctx.client().json<Json>('POST', '/networks/prune', { query: { filters: filtersParam(o.filter) } });
      const gone = (r?.NetworksDeleted ?? []) as string[];
      if (gone.length > 0) process.stdout.write(`Deleted Networks:\n${gone.join('\n')}\n`);
    });
}
