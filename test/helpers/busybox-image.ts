/**
 * Busybox images for tests, built from the host's static busybox (never
 * downloaded): a docker-archive tar (`docker save` format) that `image.load`
 * or `docker load` accepts, in a one-layer form and a three-layer form whose
 * upper layers carry whiteouts and an opaque directory.
 *
 *     const img = await makeBusyboxArchive('/tmp/berth-test-x/bb.tar');
 *     await kernel.engine.run('image.load', {}, { io: { stdin: fs.createReadStream(img.path), ... } });
 *     // → busybox:latest, Cmd ["sh"]
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildTar, type TarEntrySpec } from '../../core/image/tar-build';
import { packTree } from '../../core/image/tar-pack';
import { walkTree } from '../../core/image/tree-walk';
import { makeBusyboxRootfs } from './busybox-rootfs';

export interface BusyboxArchive {
  /** Path of the archive written. */
  path: string;
  /** Image id (`sha256:` of the config). */
  id: string;
  /** `repo:tag` stored in the archive. */
  tag: string;
  diffIds: string[];
  /** The config JSON. */
  config: Record<string, unknown>;
}

export interface BusyboxArchiveOptions {
  /** Default `busybox:latest`. */
  tag?: string;
  /**
   * Adds two layers on top of the busybox root: layer 2 writes /etc/motd,
   * /data/{a,b} and /hello.txt; layer 3 deletes /etc/motd (`.wh.motd`),
   * makes /data opaque holding only /data/c, and rewrites /hello.txt.
   */
  multiLayer?: boolean;
  /** Config `Cmd` (default `["sh"]`). */
  cmd?: string[];
}

const sha256 = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

let cached: Buffer | null = null;
const FIXED_TIME = new Date('2024-01-01T00:00:00Z');

/** The busybox root filesystem as an uncompressed layer tar (same bytes on every call: fixed mtimes). */
export async function busyboxLayerTar(): Promise<Buffer> {
  if (cached) return cached;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-bbroot-'));
  try {
    makeBusyboxRootfs(dir);
    const entries = await walkTree(dir);
    for (const e of [...entries].reverse()) fs.lutimesSync(path.join(dir, e.rel), FIXED_TIME, FIXED_TIME);
    const chunks: Buffer[] = [];
    for await (const c of packTree(dir, entries.map((e) => ({ rel: e.rel, kind: 'entry' as const })))) chunks.push(Buffer.from(c as Buffer));
    cached = Buffer.concat(chunks);
    return cached;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The two extra layers of the multi-layer variant. */
export function whiteoutLayers(): TarEntrySpec[][] {
  return [
    [
      { name: 'etc/motd', body: 'welcome\n' },
      { name: 'data/', type: 'directory' }, { name: 'data/a', body: 'a' }, { name: 'data/b', body: 'b' },
      { name: 'hello.txt', body: 'hello from layer 2\n' },
    ],
    [
      { name: 'etc/', type: 'directory' }, { name: 'etc/.wh.motd' },
      { name: 'data/', type: 'directory' }, { name: 'data/.wh..wh..opq' }, { name: 'data/c', body: 'c' },
      { name: 'hello.txt', body: 'hello from layer 3\n' },
    ],
  ];
}

/** Writes a docker-archive of a busybox image to `file` and describes it. */
export async function makeBusyboxArchive(file: string, opts: BusyboxArchiveOptions = {}): Promise<BusyboxArchive> {
  const tag = opts.tag ?? 'busybox:latest';
  const layers: Buffer[] = [await busyboxLayerTar()];
  if (opts.multiLayer) for (const l of whiteoutLayers()) layers.push(await buildTar(l));
  const diffIds = layers.map((l) => sha256(l));
  const created = '2024-01-01T00:00:00Z';
  const config = {
    architecture: process.arch === 'arm64' ? 'arm64' : 'amd64',
    os: 'linux',
    created,
    config: {
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      Cmd: opts.cmd ?? ['sh'],
    },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: layers.map((_, i) => ({ created, created_by: i === 0 ? 'busybox rootfs from the host' : `test layer ${i + 1}` })),
  };
  const raw = Buffer.from(JSON.stringify(config));
  const id = sha256(raw);
  const hex = id.slice(7);
  const entries: TarEntrySpec[] = [{ name: `${hex}.json`, body: raw }];
  const layerPaths: string[] = [];
  layers.forEach((l, i) => {
    const dir = diffIds[i].slice(7);
    entries.push({ name: `${dir}/`, type: 'directory' }, { name: `${dir}/VERSION`, body: '1.0' }, { name: `${dir}/layer.tar`, body: l });
    layerPaths.push(`${dir}/layer.tar`);
  });
  entries.push({ name: 'manifest.json', body: JSON.stringify([{ Config: `${hex}.json`, RepoTags: [tag], Layers: layerPaths }]) });
  const i = tag.lastIndexOf(':');
  entries.push({ name: 'repositories', body: JSON.stringify({ [tag.slice(0, i)]: { [tag.slice(i + 1)]: diffIds[diffIds.length - 1].slice(7) } }) });
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, await buildTar(entries));
  return { path: file, id, tag, diffIds, config };
}
