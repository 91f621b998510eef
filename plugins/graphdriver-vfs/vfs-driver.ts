/**
 * The vfs graph driver: every layer is a full copy of its parent plus its own
 * changes, in `<home>/dir/<id>`. No mounts, works on any filesystem; copies
 * are made with `cp -a --reflink=auto`, which keeps owners, modes, times,
 * xattrs, hardlinks and device nodes (and shares blocks where the filesystem
 * can). It has no differ of its own: core wraps it with the naive differ.
 */
import { execFile } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import {
  AlreadyExistsError, InternalError, InvalidArgumentError, NotFoundError, backingFs,
  type CreateLayerOpts, type GraphDriver,
} from '../../core';

const run = promisify(execFile);

/**
 * `cp` ends with the daemon: run through util-linux `setpriv --pdeathsig
 * KILL` where it is installed. Otherwise a daemon killed mid-copy leaves
 * `cp` writing into a `.tmp-` directory that the next open must delete
 * (and that delete would race it).
 */
const COPY: readonly string[] = existsSync('/usr/bin/setpriv') ? ['/usr/bin/setpriv', '--pdeathsig', 'KILL', '--', 'cp'] : ['cp'];

/** Deletes a half-made copy left by a crash; retries while a dying copier still writes into it. */
async function removeLeftover(dir: string): Promise<void> {
  for (let i = 0; ; i++) {
    try { await fsp.rm(dir, { recursive: true, force: true }); return; } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (i >= 20 || (code !== 'ENOTEMPTY' && code !== 'EBUSY')) throw err;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

/** The vfs driver (see file comment); open with VfsDriver.open. */
export class VfsDriver implements GraphDriver {
  readonly name = 'vfs';
  private readonly refs = new Map<string, number>();

  private constructor(private readonly home: string, private readonly fsName: string) {}

  /** Opens (creating) the driver home and removes half-made copies left by a crash. */
  static async open(home: string, options: Record<string, string>): Promise<VfsDriver> {
    for (const k of Object.keys(options)) {
      throw new InvalidArgumentError(`vfs: unknown storage option "${k}"`);
    }
    await fsp.mkdir(path.join(home, 'dir'), { recursive: true, mode: 0o700 });
    for (const n of await fsp.readdir(path.join(home, 'dir'))) {
      if (n.startsWith('.tmp-')) await removeLeftover(path.join(home, 'dir', n));
    }
    return new VfsDriver(home, (await backingFs(home)).name);
  }

  private dir(id: string): string {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(id)) throw new InvalidArgumentError(`vfs: invalid layer id "${id}"`);
    return path.join(this.home, 'dir', id);
  }

  /** `Backing Filesystem`. */
  status(): Array<[string, string]> {
    return [['Backing Filesystem', this.fsName]];
  }

  /** Copies the parent (or makes an empty dir) under a temp name, then renames it into place. */
  async create(id: string, parent: string | null, opts?: CreateLayerOpts): Promise<void> {
    for (const k of Object.keys(opts?.storageOpt ?? {})) throw new InvalidArgumentError(`vfs: storage option "${k}" is not supported`);
    const dst = this.dir(id);
    if (await this.exists(id)) throw new AlreadyExistsError(`vfs: layer ${id} already exists`);
    const tmp = path.join(this.home, 'dir', `.tmp-${id}-${randomBytes(4).toString('hex')}`);
    try {
      if (parent) {
        if (!(await this.exists(parent))) throw new NotFoundError(`vfs: parent layer ${parent} not found`);
        try {
          await run(COPY[0], [...COPY.slice(1), '-a', '--reflink=auto', '--', this.dir(parent), tmp]);
        } catch (e) {
          throw new InternalError(`vfs: copying layer ${parent} failed: ${(e as { stderr?: string }).stderr ?? String(e)}`, { cause: e });
        }
      } else {
        await fsp.mkdir(tmp, { mode: 0o755 });
      }
      await fsp.rename(tmp, dst);
    } catch (err) {
      await fsp.rm(tmp, { recursive: true, force: true });
      throw err;
    }
  }

  /** Same as create: a vfs layer is writable either way. */
  createReadWrite(id: string, parent: string | null, opts?: CreateLayerOpts): Promise<void> {
    return this.create(id, parent, opts);
  }

  /** Deletes the copy (renamed away first so a crash never leaves half a layer under its id). */
  async remove(id: string): Promise<void> {
    const dst = this.dir(id);
    this.refs.delete(id);
    const trash = path.join(this.home, 'dir', `.tmp-rm-${id}-${randomBytes(4).toString('hex')}`);
    try { await fsp.rename(dst, trash); } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    await fsp.rm(trash, { recursive: true, force: true });
  }

  /** The layer directory itself; counts a reference. */
  async get(id: string): Promise<string> {
    const dst = this.dir(id);
    if (!(await this.exists(id))) throw new NotFoundError(`vfs: layer ${id} not found`);
    this.refs.set(id, (this.refs.get(id) ?? 0) + 1);
    return dst;
  }

  /** Drops a reference (nothing to unmount). */
  async put(id: string): Promise<void> {
    const n = (this.refs.get(id) ?? 0) - 1;
    if (n <= 0) this.refs.delete(id); else this.refs.set(id, n);
  }

  /** Whether `<home>/dir/<id>` exists. */
  async exists(id: string): Promise<boolean> {
    try { return (await fsp.stat(this.dir(id))).isDirectory(); } catch { return false; }
  }

  /** `{ Dir }`. */
  async metadata(id: string): Promise<Record<string, string>> {
    if (!(await this.exists(id))) throw new NotFoundError(`vfs: layer ${id} not found`);
    return { Dir: this.dir(id) };
  }

  /** Nothing is mounted: forgets the reference counts. */
  async cleanup(): Promise<void> {
    this.refs.clear();
  }
}
