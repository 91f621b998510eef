/**
 * Image commands: images, pull, push, tag, rmi, save, load, import.
 * Streams (save, load, import) go between the daemon and a file or the
 * standard streams without buffering the whole image.
 */
import * as fs from 'node:fs';
import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import { collect, StatusError, type CliContext } from '../cli-context';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const AUTH = { 'X-Registry-Auth': Buffer.from('{}').toString('base64url') };

function inputStream(file: string | undefined): Readable {
  if (file === undefined || file === '-') {
    if (process.stdin.isTTY) throw new StatusError(1, 'berth: requested load from stdin, but stdin is empty (use -i FILE or a pipe)');
    return process.stdin;
  }
  if (!fs.existsSync(file)) throw new StatusError(1, `berth: open ${file}: no such file or directory`);
  return fs.createReadStream(file);
}

/** Declares the image commands. */
export function registerImageCommands(program: Command, ctx: CliContext): void {
  program.command('images').description('list images')
    .argument('[repository]', 'only images of this repository[:tag]')
    .option('-a, --all', 'show all images (default hides intermediate images)')
    .option('-q, --quiet', 'only show image IDs')
    .option('--digests', 'show digests')
    .option('--no-trunc', "don't truncate output")
    .option('-f, --filter <key=value>', 'filter output (repeatable)', collect, [])
    .option('--format <template>', 'format each image with a template (or json)')
    .action(async (repo: string | undefined, o: { all?: boolean; quiet?: boolean; digests?: boolean; trunc: boolean; filter: string[]; format?: string }) => {
      const { table, shortId, ago, humanSize, renderTemplate } = await import('../output');
      const { filtersParam } = await import('./system-commands');
      const filters = [...o.filter, ...(repo ? [`reference=${repo}`] : [])];
      const list = await ctx.client().json<Json[]>('GET', '/images/json', { query: { all: o.all, filters: filtersParam(filters) } });
      const noTrunc = !o.trunc;
      if (o.quiet) {
        const seen = new Set<string>();
        for (const i of list) { const id = shortId(i.Id, noTrunc); if (!seen.has(id)) { seen.add(id); process.stdout.write(`${id}\n`); } }
        return;
      }
      const rows: string[][] = [['REPOSITORY', 'TAG', ...(o.digests ? ['DIGEST'] : []), 'IMAGE ID', 'CREATED', 'SIZE']];
      const objs: Json[] = [];
      for (const i of list) {
        const tags: string[] = (i.RepoTags ?? []).filter((t: string) => t !== '<none>:<none>');
        const digest = ((i.RepoDigests ?? []) as string[])[0]?.split('@')[1] ?? '<none>';
        const pairs = tags.length > 0 ? tags.map((t) => { const k = t.lastIndexOf(':'); return [t.slice(0, k), t.slice(k + 1)]; })
          : [[((i.RepoDigests ?? []) as string[])[0]?.split('@')[0] ?? '<none>', '<none>']];
        for (const [r, t] of pairs) {
          rows.push([r, t, ...(o.digests ? [digest] : []), shortId(i.Id, noTrunc), ago(i.Created), humanSize(i.Size ?? 0)]);
          objs.push({ ...i, ID: shortId(i.Id, noTrunc), Repository: r, Tag: t, Digest: digest, Size: humanSize(i.Size ?? 0), CreatedSince: ago(i.Created) });
        }
      }
      if (o.format) { for (const x of objs) process.stdout.write(`${renderTemplate(o.format, x)}\n`); return; }
      process.stdout.write(table(rows));
    });

  program.command('pull').description('download an image from a registry (a progress bar per layer)')
    .argument('<name>', 'NAME[:TAG|@DIGEST]')
    .option('-a, --all-tags', 'download all tagged images of the repository')
    .option('-q, --quiet', 'suppress verbose output')
    .option('--platform <os/arch>', 'platform to pull')
    .action(async (name: string, o: { allTags?: boolean; quiet?: boolean; platform?: string }) => {
      const { pullImage } = await import('../pull-image');
      await pullImage(ctx.client(), name, { out: process.stdout, platform: o.platform, quiet: o.quiet, allTags: o.allTags });
    });

  program.command('push').description('upload an image to a registry')
    .argument('<name>', 'NAME[:TAG]')
    .option('-a, --all-tags', 'push all tags of the repository')
    .option('-q, --quiet', 'suppress verbose output')
    .action(async (name: string, o: { allTags?: boolean; quiet?: boolean }) => {
      const { splitReference, terminalOf } = await import('../pull-image');
      const { ProgressRenderer } = await import('../json-progress');
      const { fromImage, tag } = splitReference(name);
      const c = ctx.client();
      const res = await c.request('POST', `/images/${encodeURIComponent(fromImage)}/push`, {
        query: { tag: o.allTags ? undefined : tag }, headers: AUTH,
      });
      const { isTerminal, width } = terminalOf(process.stdout);
      const r = new ProgressRenderer(process.stdout, isTerminal, width);
      await c.jsonStream(res, (m) => { if (!o.quiet || m.error !== undefined) r.write(m); });
      if (o.quiet) process.stdout.write(`${name}\n`);
    });

  program.command('tag').description('create a tag TARGET_IMAGE that refers to SOURCE_IMAGE')
    .argument('<source>').argument('<target>')
    .action(async (source: string, target: string) => {
      const { splitReference } = await import('../pull-image');
      const { fromImage, tag } = splitReference(target);
      await ctx.client().status('POST', `/images/${encodeURIComponent(source)}/tag`, { query: { repo: fromImage, tag } });
    });

  program.command('rmi').description('remove one or more images')
    .argument('<image...>')
    .option('-f, --force', 'force removal of the image')
    .option('--no-prune', 'do not delete untagged parents')
    .action(async (names: string[], o: { force?: boolean; prune: boolean }) => {
      const c = ctx.client();
      let failed = false;
      for (const n of names) {
        try {
          const r = await c.json<Json[]>('DELETE', `/images/${encodeURIComponent(n)}`, { query: { force: o.force, noprune: !o.prune } });
          for (const x of r ?? []) {
            if (x.Untagged) process.stdout.write(`Untagged: ${x.Untagged}\n`);
            if (x.Deleted) process.stdout.write(`Deleted: ${x.Deleted}\n`);
          }
        } catch (err) {
          failed = true;
          process.stderr.write(`Error response from daemon: ${(err as Error).message}\n`);
        }
      }
      if (failed) throw new StatusError(1);
    });

  program.command('save').description('save one or more images to a tar archive (streamed to stdout by default)')
    .argument('<image...>')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action(async (names: string[], o: { output?: string }) => {
      const { writeArchive } = await import('../archive-output');
      await writeArchive(o.output, () => ctx.client().request('GET', '/images/get', { query: { names } }));
    });

  program.command('load').description('load an image from a tar archive or STDIN')
    .option('-i, --input <file>', 'read from a tar archive file instead of STDIN')
    .option('-q, --quiet', 'suppress the load output')
    .action(async (o: { input?: string; quiet?: boolean }) => {
      const c = ctx.client();
      const res = await c.request('POST', '/images/load', { query: { quiet: o.quiet }, stream: inputStream(o.input) });
      if (!String(res.headers['content-type'] ?? '').includes('json')) { res.pipe(process.stdout); return; }
      const { ProgressRenderer } = await import('../json-progress');
      const { terminalOf } = await import('../pull-image');
      const { isTerminal, width } = terminalOf(process.stdout);
      const r = new ProgressRenderer(process.stdout, isTerminal, width);
      await c.jsonStream(res, (m) => r.write(m));
    });

  program.command('import').description('import the contents from a tarball to create a filesystem image')
    .argument('<file>', 'tar file, URL, or - for STDIN')
    .argument('[reference]', 'REPOSITORY[:TAG]')
    .option('-c, --change <instruction>', 'apply a Dockerfile instruction to the image (repeatable)', collect, [])
    .option('-m, --message <message>', 'commit message for the imported image')
    .option('--platform <os/arch>', 'platform of the image')
    .action(async (file: string, ref: string | undefined, o: { change: string[]; message?: string; platform?: string }) => {
      const { splitReference } = await import('../pull-image');
      const c = ctx.client();
      const target = ref ? splitReference(ref) : undefined;
      const isUrl = /^https?:\/\//.test(file);
      const res = await c.request('POST', '/images/create', {
        query: { fromSrc: isUrl ? file : '-', repo: target?.fromImage, tag: target?.tag, message: o.message, changes: o.change, platform: o.platform },
        stream: isUrl ? undefined : inputStream(file),
      });
      const { ProgressRenderer } = await import('../json-progress');
      const r = new ProgressRenderer(process.stdout, false);
      await c.jsonStream(res, (m) => r.write(m));
    });
}
