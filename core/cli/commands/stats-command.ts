/**
 * `berth stats`: CPU, memory, network, block I/O and pids per container,
 * computed from the daemon's stats JSON as docker computes them; a live
 * table redrawn every second, or one sample with `--no-stream`.
 */
import type { Command } from 'commander';
import type { CliContext } from '../cli-context';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const enc = encodeURIComponent;

/** Docker's calculateCPUPercentUnix: share of the host's CPU time since the previous sample, times the online CPUs. */
export function cpuPercent(s: Json): number {
  const cpuDelta = (s.cpu_stats?.cpu_usage?.total_usage ?? 0) - (s.precpu_stats?.cpu_usage?.total_usage ?? 0);
  const sysDelta = (s.cpu_stats?.system_cpu_usage ?? 0) - (s.precpu_stats?.system_cpu_usage ?? 0);
  const online = s.cpu_stats?.online_cpus || (s.cpu_stats?.cpu_usage?.percpu_usage ?? []).length || 1;
  return sysDelta > 0 && cpuDelta > 0 ? (cpuDelta / sysDelta) * online * 100 : 0;
}

async function statsRow(s: Json, noTrunc: boolean): Promise<string[]> {
  const { humanSize, bytesSize, shortId } = await import('../output');
  const m = s.memory_stats ?? {};
  const cache = m.stats?.total_inactive_file ?? m.stats?.inactive_file ?? m.stats?.cache ?? 0;
  const used = Math.max(0, (m.usage ?? 0) - cache);
  const limit = m.limit ?? 0;
  let rx = 0; let tx = 0;
  for (const n of Object.values((s.networks ?? {}) as Record<string, Json>)) { rx += n.rx_bytes ?? 0; tx += n.tx_bytes ?? 0; }
  let rd = 0; let wr = 0;
  for (const b of (s.blkio_stats?.io_service_bytes_recursive ?? []) as Json[]) {
    if (String(b.op).toLowerCase() === 'read') rd += b.value ?? 0;
    if (String(b.op).toLowerCase() === 'write') wr += b.value ?? 0;
  }
  return [shortId(s.id ?? '', noTrunc), String(s.name ?? '').replace(/^\//, ''), `${cpuPercent(s).toFixed(2)}%`,
    `${bytesSize(used)} / ${bytesSize(limit)}`, `${(limit > 0 ? (used / limit) * 100 : 0).toFixed(2)}%`,
    `${humanSize(rx)} / ${humanSize(tx)}`, `${humanSize(rd)} / ${humanSize(wr)}`, String(s.pids_stats?.current ?? 0)];
}

const STATS_HEADER = ['CONTAINER ID', 'NAME', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'NET I/O', 'BLOCK I/O', 'PIDS'];

/** Declares `stats`. */
export function registerStatsCommand(program: Command, ctx: CliContext): void {
  program.command('stats').description('display a live stream of container resource usage')
    .argument('[container...]')
    .option('-a, --all', 'show all containers (default only running)')
    .option('--no-stream', 'print the first result only')
    .option('--no-trunc', "don't truncate output")
    .action(async (names: string[], o: { all?: boolean; stream: boolean; trunc: boolean }) => {
      const c = ctx.client();
      const { table } = await import('../output');
      let ids = names;
      if (ids.length === 0) ids = (await c.json<Json[]>('GET', '/containers/json', { query: { all: o.all } })).map((x) => x.Id);
      if (!o.stream) {
        const rows = [STATS_HEADER];
        for (const id of ids) rows.push(await statsRow(await c.json<Json>('GET', `/containers/${enc(id)}/stats`, { query: { stream: false } }), !o.trunc));
        process.stdout.write(table(rows));
        return;
      }
      const latest = new Map<string, Json>();
      const tty = process.stdout.isTTY;
      const draw = async (): Promise<void> => {
        const rows = [STATS_HEADER];
        for (const id of ids) { const s = latest.get(id); if (s) rows.push(await statsRow(s, !o.trunc)); }
        process.stdout.write(`${tty ? '\x1b[2J\x1b[H' : ''}${table(rows)}`);
      };
      const timer = setInterval(() => { draw().catch(() => undefined); }, 1000);
      try {
        await Promise.all(ids.map(async (id) => {
          const res = await c.request('GET', `/containers/${enc(id)}/stats`, { query: { stream: true } });
          await c.jsonStream(res, (m) => { latest.set(id, m); });
        }));
      } finally {
        clearInterval(timer);
      }
    });

}
