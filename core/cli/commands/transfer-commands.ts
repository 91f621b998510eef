/**
 * Commands that move filesystems in and out of containers: export, commit, cp.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { collect, StatusError, type CliContext } from '../cli-context';

const enc = encodeURIComponent;

/** Splits `container:path` (a local path has no colon before its first slash). */
export function splitCpArg(arg: string): { container?: string; path: string } {
  if (arg.startsWith('/') || arg.startsWith('.') || arg === '-') return { path: arg };
  const i = arg.indexOf(':');
  if (i <= 0) return { path: arg };
  return { container: arg.slice(0, i), path: arg.slice(i + 1) };
}

interface PathStat { name: string; size: number; mode: number; linkTarget?: string }

/** Declares export, commit, cp. */
export function registerTransferCommands(program: Command, ctx: CliContext): void {
  program.command('export').description("export a container's filesystem as a tar archive")
    .argument('<container>')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action(async (name: string, o: { output?: string }) => {
      const { writeArchive } = await import('../archive-output');
      await writeArchive(o.output, () => ctx.client().request('GET', `/containers/${enc(name)}/export`));
    });

  program.command('commit').description("create a new image from a container's changes")
    .argument('<container>').argument('[reference]', 'REPOSITORY[:TAG]')
    .option('-a, --author <author>', 'author')
    .option('-c, --change <instruction>', 'apply a Dockerfile instruction to the image (repeatable)', collect, [])
    .option('-m, --message <message>', 'commit message')
    .option('-p, --pause', 'pause the container during commit (default true)', true)
    .option('--no-pause', 'do not pause the container')
    .action(async (name: string, ref: string | undefined, o: { author?: string; change: string[]; message?: string; pause: boolean }) => {
      const { splitReference } = await import('../pull-image');
      const target = ref ? splitReference(ref) : undefined;
      const r = await ctx.client().json<{ Id: string }>('POST', '/commit', {
        query: { container: name, repo: target?.fromImage, tag: target?.tag, author: o.author, comment: o.message, pause: o.pause, changes: o.change },
        body: {},
      });
      process.stdout.write(`${r.Id}\n`);
    });

  program.command('cp').description('copy files between a container and the local filesystem')
    .argument('<src>', 'CONTAINER:SRC_PATH, a local path, or - (tar on STDIN)')
    .argument('<dest>', 'CONTAINER:DEST_PATH, a local path, or - (tar on STDOUT)')
    .option('-q, --quiet', 'suppress progress output (berth prints none)')
    .action(async (srcArg: string, destArg: string) => {
      const src = splitCpArg(srcArg);
      const dest = splitCpArg(destArg);
      if (src.container && dest.container) throw new StatusError(1, 'berth: copying between containers is not supported');
      if (!src.container && !dest.container) throw new StatusError(1, 'berth: must specify at least one container source');
      const c = ctx.client();
      const cp = await import('../cp-archive');
      const { pipeline } = await import('node:stream/promises');
      if (src.container) {
        const res = await c.request('GET', `/containers/${enc(src.container)}/archive`, { query: { path: src.path } });
        if (dest.path === '-') { await pipeline(res, process.stdout); return; }
        const stat = JSON.parse(Buffer.from(String(res.headers['x-docker-container-path-stat'] ?? 'e30='), 'base64').toString('utf8')) as PathStat;
        const topName = stat.name || path.basename(src.path);
        const destAbs = path.resolve(dest.path);
        if (fs.existsSync(destAbs) && fs.statSync(destAbs).isDirectory()) {
          await cp.extractTo(res, destAbs);
        } else {
          if (!fs.existsSync(path.dirname(destAbs))) throw new StatusError(1, `berth: destination directory ${path.dirname(destAbs)} does not exist`);
          await cp.extractTo(res, path.dirname(destAbs), { from: topName, to: path.basename(destAbs) });
        }
        return;
      }
      const container = dest.container!;
      if (src.path === '-') {
        await c.status('PUT', `/containers/${enc(container)}/archive`, { query: { path: dest.path }, stream: process.stdin });
        return;
      }
      const local = path.resolve(src.path);
      if (!fs.existsSync(local)) throw new StatusError(1, `berth: stat ${src.path}: no such file or directory`);
      let destDir = dest.path;
      let name = path.basename(local);
      try {
        const res = await c.request('HEAD', `/containers/${enc(container)}/archive`, { query: { path: dest.path } });
        res.resume();
        const stat = JSON.parse(Buffer.from(String(res.headers['x-docker-container-path-stat'] ?? 'e30='), 'base64').toString('utf8')) as PathStat;
        if (!cp.isGoDir(stat.mode ?? 0)) {
          if (fs.statSync(local).isDirectory()) throw new StatusError(1, `berth: cannot copy directory ${src.path} over file ${dest.path}`);
          destDir = path.posix.dirname(dest.path); name = path.posix.basename(dest.path);
        }
      } catch (err) {
        if ((err as { status?: number }).status !== 404) throw err;
        destDir = path.posix.dirname(dest.path); name = path.posix.basename(dest.path);
      }
      await c.status('PUT', `/containers/${enc(container)}/archive`, { query: { path: destDir }, stream: cp.packPath(local, name) });
    });
}
