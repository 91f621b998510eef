/**
 * Container commands: start, ps, logs, stop, kill, rm, restart, wait, top,
 * diff, attach, rename, pause, unpause (stats: stats-command.ts).
 */
import type { Command } from 'commander';
import { collect, StatusError, type CliContext } from '../cli-context';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const enc = encodeURIComponent;

/**
 * Runs `fn` for every name, printing the name on success and Docker's error
 * line on failure; exits 1 at the end if any failed.
 */
export async function eachContainer(names: string[], fn: (name: string) => Promise<string | void>): Promise<void> {
  let failed = false;
  for (const n of names) {
    try {
      const shown = await fn(n);
      process.stdout.write(`${shown ?? n}\n`);
    } catch (err) {
      failed = true;
      const e = err as Error;
      process.stderr.write(`${e.name === 'DaemonError' ? 'Error response from daemon: ' : 'Error: '}${e.message}\n`);
    }
  }
  if (failed) throw new StatusError(1);
}

/** `0.0.0.0:8080->80/tcp, 443/tcp` from a ContainerSummary's Ports. */
export function formatPorts(ports: Json[] | null | undefined): string {
  return (ports ?? []).map((p) => (p.PublicPort
    ? `${p.IP && p.IP.includes(':') ? `[${p.IP}]` : (p.IP || '0.0.0.0')}:${p.PublicPort}->${p.PrivatePort}/${p.Type}`
    : `${p.PrivatePort}/${p.Type}`)).filter((v, i, a) => a.indexOf(v) === i).join(', ');
}

/** Declares the container lifecycle and inspection commands. */
export function registerContainerCommands(program: Command, ctx: CliContext): void {
  program.command('start').description('start one or more stopped containers')
    .argument('<container...>')
    .option('-a, --attach', 'attach stdout/stderr and forward signals')
    .option('-i, --interactive', "attach the container's stdin")
    .option('--detach-keys <keys>', 'key sequence for detaching')
    .action(async (names: string[], o: { attach?: boolean; interactive?: boolean; detachKeys?: string }) => {
      const c = ctx.client();
      if (o.attach || o.interactive) {
        if (names.length > 1) throw new StatusError(1, 'berth: you cannot start and attach multiple containers at once');
        const info = await c.json<Json>('GET', `/containers/${enc(names[0])}/json`).catch((err: Error) => {
          throw new StatusError(1, `Error response from daemon: ${err.message}`);
        });
        const { attachStartWait } = await import('../container-session');
        const code = await attachStartWait(c, info.Id, {
          tty: Boolean(info.Config?.Tty), interactive: Boolean(o.interactive && info.Config?.OpenStdin),
          detachKeys: o.detachKeys, autoRemove: Boolean(info.HostConfig?.AutoRemove), errorPrefix: '',
        });
        if (code !== null && code !== 0) throw new StatusError(code);
        return;
      }
      await eachContainer(names, async (n) => { await c.status('POST', `/containers/${enc(n)}/start`); });
    });

  program.command('ps').description('list containers')
    .option('-a, --all', 'show all containers (default only running)')
    .option('-q, --quiet', 'only display container IDs')
    .option('-n, --last <n>', 'show the n last created containers')
    .option('-l, --latest', 'show the latest created container')
    .option('-s, --size', 'display total file sizes')
    .option('-f, --filter <key=value>', 'filter output (repeatable)', collect, [])
    .option('--no-trunc', "don't truncate output")
    .option('--format <template>', 'format each container with a template (or json)')
    .action(async (o: { all?: boolean; quiet?: boolean; last?: string; latest?: boolean; size?: boolean; filter: string[]; trunc: boolean; format?: string }) => {
      const { table, shortId, ago, ellipsis, renderTemplate, humanSize } = await import('../output');
      const { filtersParam } = await import('./system-commands');
      const list = await ctx.client().json<Json[]>('GET', '/containers/json', {
        query: { all: o.all || o.last !== undefined || o.latest, limit: o.latest ? 1 : o.last, size: o.size, filters: filtersParam(o.filter) },
      });
      const noTrunc = !o.trunc;
      if (o.quiet) { for (const x of list) process.stdout.write(`${shortId(x.Id, noTrunc)}\n`); return; }
      if (o.format) {
        // the fields docker's `ps --format` offers, formatted as it formats them
        for (const x of list) {
          process.stdout.write(`${renderTemplate(o.format, {
            ...x, ID: shortId(x.Id, noTrunc), Names: (x.Names ?? []).map((n: string) => n.replace(/^\//, '')).join(','),
            Command: JSON.stringify(noTrunc ? String(x.Command ?? '') : ellipsis(String(x.Command ?? ''), 20)),
            CreatedAt: new Date((x.Created ?? 0) * 1000).toISOString(), RunningFor: ago(x.Created).replace(/ ago$/, ''),
            Ports: formatPorts(x.Ports), Networks: Object.keys(x.NetworkSettings?.Networks ?? {}).join(','),
            Labels: Object.entries((x.Labels ?? {}) as Record<string, string>).map(([k, v]) => `${k}=${v}`).join(','),
          })}\n`);
        }
        return;
      }
      const rows = [['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES', ...(o.size ? ['SIZE'] : [])]];
      for (const x of list) {
        const command = noTrunc ? String(x.Command ?? '') : ellipsis(String(x.Command ?? ''), 20);
        const names = (x.Names ?? []).map((n: string) => n.replace(/^\//, '')).filter((n: string) => noTrunc || !n.includes('/')).join(',');
        rows.push([shortId(x.Id, noTrunc), noTrunc ? x.Image : ellipsis(String(x.Image ?? ''), 40), JSON.stringify(command), ago(x.Created), x.Status ?? '',
          formatPorts(x.Ports), names, ...(o.size ? [`${humanSize(x.SizeRw ?? 0)} (virtual ${humanSize(x.SizeRootFs ?? 0)})`] : [])]);
      }
      process.stdout.write(table(rows));
    });

  program.command('logs').description('fetch the logs of a container')
    .argument('<container>')
    .option('-f, --follow', 'follow log output')
    .option('--tail <n>', 'number of lines to show from the end ("all")', 'all')
    .option('-t, --timestamps', 'show timestamps')
    .option('--since <time>', 'show logs since a timestamp (2013-01-02T13:23:37Z) or relative time (42m)')
    .option('--until <time>', 'show logs before a timestamp or relative time')
    .option('--details', 'show extra details given to logs')
    .action(async (name: string, o: { follow?: boolean; tail: string; timestamps?: boolean; since?: string; until?: string; details?: boolean }) => {
      const { toTimestamp } = await import('../timestamps');
      const since = o.since === undefined ? undefined : toTimestamp(o.since, '--since');
      const until = o.until === undefined ? undefined : toTimestamp(o.until, '--until');
      const c = ctx.client();
      const info = await c.json<Json>('GET', `/containers/${enc(name)}/json`);
      const res = await c.request('GET', `/containers/${enc(name)}/logs`, {
        query: { stdout: true, stderr: true, follow: o.follow, tail: o.tail, timestamps: o.timestamps, since, until, details: o.details },
      });
      const { Demuxer } = await import('../attach-io');
      const demux = info.Config?.Tty ? undefined : new Demuxer(process.stdout, process.stderr);
      for await (const chunk of res) {
        if (demux) demux.push(chunk as Buffer);
        else process.stdout.write(chunk as Buffer);
      }
    });

  program.command('stop').description('stop one or more running containers')
    .argument('<container...>')
    .option('-t, --time <seconds>', 'seconds to wait before killing it')
    .option('-s, --signal <signal>', 'signal to send (default the image/container stop signal)')
    .action(async (names: string[], o: { time?: string; signal?: string }) => {
      const c = ctx.client();
      await eachContainer(names, async (n) => { await c.status('POST', `/containers/${enc(n)}/stop`, { query: { t: o.time, signal: o.signal } }); });
    });

  program.command('restart').description('restart one or more containers')
    .argument('<container...>')
    .option('-t, --time <seconds>', 'seconds to wait before killing it')
    .action(async (names: string[], o: { time?: string }) => {
      const c = ctx.client();
      await eachContainer(names, async (n) => { await c.status('POST', `/containers/${enc(n)}/restart`, { query: { t: o.time } }); });
    });

  program.command('kill').description('kill one or more running containers')
    .argument('<container...>')
    .option('-s, --signal <signal>', 'signal to send', 'KILL')
    .action(async (names: string[], o: { signal: string }) => {
      const c = ctx.client();
      await eachContainer(names, async (n) => { await c.status('POST', `/containers/${enc(n)}/kill`, { query: { signal: o.signal } }); });
    });

  program.command('rm').description('remove one or more containers')
    .argument('<container...>')
    .option('-f, --force', 'force the removal of a running container (SIGKILL)')
    .option('-v, --volumes', 'remove anonymous volumes of the container')
    .option('-l, --link', 'remove the specified link')
    .action(async (names: string[], o: { force?: boolean; volumes?: boolean; link?: boolean }) => {
      const c = ctx.client();
      await eachContainer(names, async (n) => { await c.status('DELETE', `/containers/${enc(n)}`, { query: { force: o.force, v: o.volumes, link: o.link } }); });
    });

  program.command('wait').description('block until containers stop, then print their exit codes')
    .argument('<container...>')
    .action(async (names: string[]) => {
      const c = ctx.client();
      await eachContainer(names, async (n) => {
        const r = await c.json<Json>('POST', `/containers/${enc(n)}/wait`);
        return String(r.StatusCode);
      });
    });

  program.command('top').description('display the running processes of a container')
    .argument('<container>')
    .argument('[ps-options...]')
    .action(async (name: string, psArgs: string[]) => {
      const { table } = await import('../output');
      const r = await ctx.client().json<Json>('GET', `/containers/${enc(name)}/top`, { query: { ps_args: psArgs.length ? psArgs.join(' ') : undefined } });
      process.stdout.write(table([r.Titles ?? [], ...((r.Processes ?? []) as string[][])]));
    });

  program.command('diff').description("inspect changes to files or directories on a container's filesystem")
    .argument('<container>')
    .action(async (name: string) => {
      const changes = await ctx.client().json<Json[] | null>('GET', `/containers/${enc(name)}/changes`);
      for (const ch of changes ?? []) process.stdout.write(`${['C', 'A', 'D'][ch.Kind] ?? '?'} ${ch.Path}\n`);
    });

  program.command('attach').description("attach local stdin/stdout/stderr to a running container")
    .argument('<container>')
    .option('--no-stdin', 'do not attach stdin')
    .option('--detach-keys <keys>', 'key sequence for detaching')
    .action(async (name: string, o: { stdin: boolean; detachKeys?: string }) => {
      const c = ctx.client();
      const info = await c.json<Json>('GET', `/containers/${enc(name)}/json`);
      if (!info.State?.Running) throw new StatusError(1, 'berth: You cannot attach to a stopped container, start it first');
      const { followResize, parseDetachKeys, proxySignals, pumpStreams } = await import('../attach-io');
      const tty = Boolean(info.Config?.Tty);
      const stdin = o.stdin && Boolean(info.Config?.OpenStdin);
      const h = await c.hijack('POST', `/containers/${enc(info.Id)}/attach`, { query: { stream: true, stdin, stdout: true, stderr: true, detachKeys: o.detachKeys } });
      // As docker: the wait is registered before the streams run, so the exit is not missed.
      const abort = new AbortController();
      const waited = c.json<Json>('POST', `/containers/${enc(info.Id)}/wait`, { signal: abort.signal });
      waited.catch(() => undefined);
      const stop = tty ? followResize((hh, w) => c.status('POST', `/containers/${enc(info.Id)}/resize`, { query: { h: hh, w } })) : () => undefined;
      // --sig-proxy, as docker attach: without a tty, signals to berth go to the container
      const stopProxy = tty ? () => undefined : proxySignals((sig) => c.status('POST', `/containers/${enc(info.Id)}/kill`, { query: { signal: sig } }));
      let r;
      try {
        r = await pumpStreams(h, { tty, stdin, detachKeys: parseDetachKeys(o.detachKeys ?? 'ctrl-p,ctrl-q') });
      } finally {
        stopProxy();
        stop();
      }
      if (r.detached) { abort.abort(); return; }
      const code = Number((await waited.catch(() => undefined))?.StatusCode ?? 0);
      if (code !== 0) throw new StatusError(code);
    });

  program.command('rename').description('rename a container')
    .argument('<container>').argument('<new-name>')
    .action(async (name: string, newName: string) => {
      await ctx.client().status('POST', `/containers/${enc(name)}/rename`, { query: { name: newName } });
    });

  for (const verb of ['pause', 'unpause'] as const) {
    program.command(verb).description(`${verb} all processes within one or more containers`)
      .argument('<container...>')
      .action(async (names: string[]) => {
        const c = ctx.client();
        await eachContainer(names, async (n) => { await c.status('POST', `/containers/${enc(n)}/${verb}`); });
      });
  }
}
