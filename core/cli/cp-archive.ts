/**
 * Tar archives for `berth cp`: packing a host path under a chosen top-level
 * name, and extracting what the daemon sends into a host directory with the
 * top-level entry optionally renamed. Entries that would escape the
 * destination (`..`, absolute names) are refused.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { InvalidArgumentError } from '../errors';

/** Packs `src` (file, directory or symlink) as a tar stream whose top entry is `name`. */
export function packPath(src: string, name: string): Readable {
  const pack = tar.pack();
  const add = async (abs: string, rel: string): Promise<void> => {
    const st = fs.lstatSync(abs);
    const common = { name: rel, mode: st.mode & 0o7777, mtime: st.mtime, uid: st.uid, gid: st.gid };
    if (st.isDirectory()) {
      pack.entry({ ...common, type: 'directory' });
      for (const e of fs.readdirSync(abs).sort()) await add(path.join(abs, e), `${rel}/${e}`);
    } else if (st.isSymbolicLink()) {
      pack.entry({ ...common, type: 'symlink', linkname: fs.readlinkSync(abs) });
    } else if (st.isFile()) {
      await new Promise<void>((resolve, reject) => {
        const entry = pack.entry({ ...common, type: 'file', size: st.size }, (err) => (err ? reject(err) : resolve()));
        fs.createReadStream(abs).on('error', reject).pipe(entry);
      });
    }
  };
  add(src, name).then(() => pack.finalize(), (err: Error) => pack.destroy(err));
  return pack as unknown as Readable;
}

/**
 * Extracts `stream` into `destDir`. When `rename` is given, a top-level
 * entry named `rename.from` lands as `rename.to`.
 */
export async function extractTo(stream: Readable, destDir: string, rename?: { from: string; to: string }): Promise<void> {
  const extract = tar.extract();
  const root = path.resolve(destDir);
  extract.on('entry', (header, body, next) => {
    let name = header.name.replace(/^\.\//, '').replace(/\/+$/, '');
    if (rename) {
      const parts = name.split('/');
      if (parts[0] === rename.from) { parts[0] = rename.to; name = parts.join('/'); }
    }
    const target = path.resolve(root, name);
    if (name === '' || path.isAbsolute(name) || (target !== root && !target.startsWith(root + path.sep))) {
      body.resume();
      next(new InvalidArgumentError(`archive entry ${JSON.stringify(header.name)} would land outside ${destDir}`));
      return;
    }
    const mode = (header.mode ?? 0o644) & 0o7777;
    try {
      if (header.type === 'directory') {
        fs.mkdirSync(target, { recursive: true, mode });
        body.resume(); body.on('end', () => next());
      } else if (header.type === 'symlink') {
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.rmSync(target, { force: true });
        fs.symlinkSync(header.linkname ?? '', target);
        body.resume(); body.on('end', () => next());
      } else if (header.type === 'file' || header.type === 'contiguous-file') {
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.rmSync(target, { force: true });
        const ws = fs.createWriteStream(target, { mode });
        body.pipe(ws);
        ws.on('finish', () => {
          if (header.mtime) fs.utimesSync(target, header.mtime, header.mtime);
          next();
        });
        ws.on('error', next);
      } else {
        body.resume(); body.on('end', () => next());
      }
    } catch (err) {
      body.resume();
      next(err as Error);
    }
  });
  await pipeline(stream, extract);
}

/** Whether a Go os.FileMode (from X-Docker-Container-Path-Stat) is a directory. */
export function isGoDir(mode: number): boolean {
  return Math.floor(mode / 2 ** 31) % 2 === 1;
}
