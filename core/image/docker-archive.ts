/**
 * `docker save` / `docker load`: the docker-archive format
 * (`manifest.json`, `repositories`, `<config hex>.json`,
 * `<layer>/layer.tar` + `VERSION` + `json`), and, for load, OCI image-layout
 * tarballs (`oci-layout`, `index.json`, `blobs/sha256/…`). Archives are
 * unpacked with the safe extractor into a staging dir first, so hostile names
 * stay inside it.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import * as tar from 'tar-stream';
import { InvalidArgumentError, NotFoundError } from '../errors';
import { digestHex, isDigest } from './digest';
import { extractLayer } from './extract';
import { parseImageConfig } from './image-config';
import type { ImageService } from './image-service';
import { familiarString, parseReference, withDefaultTag } from './reference';
import { cleanEntryName, resolveInRoot } from './secure-path';

interface ArchiveManifestItem { Config: string; RepoTags: string[] | null; Layers: string[] }

/** Writes a docker-archive of the images `names` name to `out` (left open); resolves when written. */
export async function saveImages(svc: ImageService, names: string[], out: Writable): Promise<void> {
  if (!names.length) throw new InvalidArgumentError('no image names given to save');
  const pack = tar.pack();
  // The job's stdout belongs to the caller (the API frames and ends it): pipe without ending it.
  const finished = new Promise<void>((resolve, reject) => {
    pack.on('error', reject);
    out.on('error', reject);
    (pack as unknown as Readable).on('end', () => {
      if (out.writableNeedDrain) out.once('drain', () => resolve()); else resolve();
    });
    (pack as unknown as Readable).pipe(out, { end: false });
  });
  const add = (h: Partial<tar.Header> & { name: string }, body: Buffer | string): Promise<void> =>
    new Promise((resolve, reject) => pack.entry({ mode: 0o644, mtime: new Date(0), ...h }, body, (e) => (e ? reject(e) : resolve())));
  const manifest: ArchiveManifestItem[] = [];
  const repositories: Record<string, Record<string, string>> = {};
  const written = new Set<string>();
  const saved = new Set<string>();
  try {
    for (const name of names) {
      const id = svc.lookupId(name);
      if (!id) throw new NotFoundError(`No such image: ${name}`);
      const img = svc.images.get(id)!;
      saved.add(id);
      let tags: string[] = [];
      try {
        const r = parseReference(name);
        if (svc.refs.get(withDefaultTag(r)) === id && !r.digest) tags = [familiarString(withDefaultTag(r))];
      } catch { /* by id: no tags, like Docker */ }
      if (!tags.length && !/^(sha256:)?[a-f0-9]+$/.test(name)) tags = svc.namesOf(id).tags;
      const hex = digestHex(id);
      if (!written.has(hex)) { await add({ name: `${hex}.json` }, img.raw); written.add(hex); }
      const chain: string[] = [];
      for (let c = img.topChain; c; c = svc.layers.get(c)?.parent ?? null) chain.unshift(c);
      const layerPaths: string[] = [];
      let prev: string | null = null;
      for (const c of chain) {
        const info = svc.layers.get(c)!;
        const dir = digestHex(c);
        if (!written.has(dir)) {
          await add({ name: `${dir}/`, type: 'directory', mode: 0o755 }, '');
          await add({ name: `${dir}/VERSION` }, '1.0');
          await add({ name: `${dir}/json` }, JSON.stringify(prev ? { id: dir, parent: prev } : { id: dir }));
          const src = await svc.layers.layerTar(c);
          let size = info.tarSize;
          let body: Buffer | null = null;
          if (!size) { body = Buffer.concat(await src.toArray() as Buffer[]); size = body.length; }
          await new Promise<void>((resolve, reject) => {
            const sink = pack.entry({ name: `${dir}/layer.tar`, size, mode: 0o644, mtime: new Date(0) }, (e) => (e ? reject(e) : resolve()));
            if (body) { sink.end(body); return; }
            src.on('error', reject);
            src.pipe(sink as unknown as NodeJS.WritableStream);
          });
          written.add(dir);
        }
        layerPaths.push(`${dir}/layer.tar`);
        prev = dir;
      }
      manifest.push({ Config: `${hex}.json`, RepoTags: tags.length ? tags : null, Layers: layerPaths });
      for (const t of tags) {
        const i = t.lastIndexOf(':');
        repositories[t.slice(0, i)] = { ...(repositories[t.slice(0, i)] ?? {}), [t.slice(i + 1)]: prev ?? hex };
      }
    }
    await add({ name: 'manifest.json' }, JSON.stringify(manifest));
    if (Object.keys(repositories).length) await add({ name: 'repositories' }, JSON.stringify(repositories));
    pack.finalize();
  } catch (err) {
    pack.destroy(err as Error);
    throw err;
  }
  await finished;
  for (const id of saved) await svc.announce('saved', id);
}

async function readJson<T>(file: string, what: string): Promise<T> {
  try { return JSON.parse(await fsp.readFile(file, 'utf8')) as T; } catch (e) {
    throw new InvalidArgumentError(`invalid archive: cannot read ${what}: ${(e as Error).message}`);
  }
}

/**
 * The path of archive member `name` inside the staging dir `dir`: resolved
 * within it, and required to be a regular file — a member that is a symlink
 * (to a host file, say) is refused.
 */
async function member(dir: string, name: string): Promise<string> {
  const rel = cleanEntryName(String(name));
  const abs = path.join(await resolveInRoot(dir, path.posix.dirname(rel)), path.posix.basename(rel));
  const st = await fsp.lstat(abs).catch(() => null);
  if (!st) throw new InvalidArgumentError(`invalid archive: ${name} is missing`);
  if (!st.isFile()) throw new InvalidArgumentError(`invalid archive: ${name} is not a regular file`);
  return abs;
}

interface OciDescriptor { mediaType?: string; digest: string; size?: number; platform?: { os?: string; architecture?: string }; annotations?: Record<string, string> }

/**
 * Loads images from a docker-archive or OCI-layout tar stream; resolves with
 * `Loaded image: <tag>` / `Loaded image ID: <id>` lines, one per image/tag.
 */
export async function loadImages(svc: ImageService, input: Readable, stagingRoot: string): Promise<string[]> {
  await fsp.mkdir(stagingRoot, { recursive: true, mode: 0o700 });
  const dir = path.join(stagingRoot, `load-${randomBytes(6).toString('hex')}`);
  await fsp.mkdir(dir, { mode: 0o700 });
  const lines: string[] = [];
  try {
    await extractLayer(input, dir, { whiteouts: 'delete', chown: false });
    const has = async (f: string): Promise<boolean> => fsp.access(path.join(dir, f)).then(() => true, () => false);
    if (await has('manifest.json')) {
      const manifest = await readJson<ArchiveManifestItem[]>(await member(dir, 'manifest.json'), 'manifest.json');
      if (!Array.isArray(manifest)) throw new InvalidArgumentError('invalid archive: manifest.json must be an array');
      for (const m of manifest) {
        const raw = await fsp.readFile(await member(dir, m.Config));
        const layers: string[] = [];
        for (const l of m.Layers ?? []) layers.push(await member(dir, l));
        lines.push(...await loadOne(svc, raw, layers, m.RepoTags ?? []));
      }
    } else if (await has('index.json')) {
      const blob = (d: string): Promise<string> => member(dir, `blobs/sha256/${digestHex(d)}`);
      const index = await readJson<{ manifests: OciDescriptor[] }>(await member(dir, 'index.json'), 'index.json');
      for (const desc of index.manifests ?? []) {
        let mdesc = desc;
        if (/index|manifest\.list/.test(desc.mediaType ?? '')) {
          const sub = await readJson<{ manifests: OciDescriptor[] }>(await blob(desc.digest), `index ${desc.digest}`);
          mdesc = sub.manifests.find((x) => x.platform?.os === 'linux') ?? sub.manifests[0];
          if (!mdesc) continue;
        }
        if (!isDigest(mdesc.digest)) throw new InvalidArgumentError(`invalid OCI layout: bad digest ${mdesc.digest}`);
        const man = await readJson<{ config: OciDescriptor; layers: OciDescriptor[] }>(await blob(mdesc.digest), `manifest ${mdesc.digest}`);
        const raw = await fsp.readFile(await blob(man.config.digest));
        const name = desc.annotations?.['io.containerd.image.name'] ?? desc.annotations?.['org.opencontainers.image.ref.name'];
        const tags: string[] = [];
        if (name) { try { tags.push(familiarString(withDefaultTag(parseReference(name)))); } catch { /* a bare tag name */ } }
        const layers: string[] = [];
        for (const l of man.layers) layers.push(await blob(l.digest));
        lines.push(...await loadOne(svc, raw, layers, tags));
      }
    } else {
      throw new InvalidArgumentError('invalid archive: neither manifest.json (docker-archive) nor index.json (OCI layout) found');
    }
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
  return lines;
}

async function loadOne(svc: ImageService, raw: Buffer, layerFiles: string[], tags: string[]): Promise<string[]> {
  const cfg = parseImageConfig(raw);
  const held = await svc.applyLayers(cfg.rootfs.diff_ids, layerFiles);
  try {
    const id = await svc.recordImage(raw);
    const out: string[] = [];
    for (const t of tags) {
      const name = familiarString(withDefaultTag(parseReference(t)));
      await svc.tag(id, name, undefined, { announce: false }); // dockerd's load announces only `load`
      out.push(`Loaded image: ${name}`);
    }
    await svc.announce('loaded', id);
    return tags.length ? out : [`Loaded image ID: ${id}`];
  } finally {
    await svc.releaseLayers(held);
  }
}
