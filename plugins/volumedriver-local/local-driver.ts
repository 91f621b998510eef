/**
 * Docker's `local` volume driver: a volume is `<root>/<name>/_data`. With
 * driver options `type`, `device` and `o` (as `mount -t type -o o device`)
 * the volume is a mount made on first use (a tmpfs, a bind of a host
 * directory), reference counted per mount id and unmounted after the last one.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import {
  atomicWriteJson, ConflictError, FailedPreconditionError, InvalidArgumentError, NotFoundError,
  readJsonIfExists, type VolumeDriver, type VolumeInfo,
} from '../../core';

const run = promisify(execFile);
const OPTION_KEYS = new Set(['type', 'device', 'o', 'size']);

interface LocalVolumeMeta {
  name: string;
  createdAt: string;
  labels: Record<string, string>;
  options: Record<string, string>;
}

export class LocalVolumeDriver implements VolumeDriver {
  readonly name = 'local';
  /** mount refcounts by volume name → set of mount ids. */
  private readonly mounts = new Map<string, Set<string>>();

  constructor(private readonly root: string) {
    fs.mkdirSync(root, { recursive: true, mode: 0o701 });
  }

  private dir(name: string): string { return path.join(this.root, name); }
  private dataDir(name: string): string { return path.join(this.root, name, '_data'); }
  private metaFile(name: string): string { return path.join(this.root, name, 'opts.json'); }

  private async meta(name: string): Promise<LocalVolumeMeta> {
    const m = await readJsonIfExists<LocalVolumeMeta>(this.metaFile(name));
    if (!m) throw new NotFoundError(`get ${name}: no such volume`);
    return m;
  }

  private validateOptions(options: Record<string, string>): void {
    for (const k of Object.keys(options)) {
      if (!OPTION_KEYS.has(k)) throw new InvalidArgumentError(`invalid option: "${k}" (local volume driver accepts type, device, o)`);
    }
    const hasType = options.type !== undefined;
    if (options.device !== undefined && !hasType) throw new InvalidArgumentError('missing "type" option for local volume with "device"');
    if (options.type === 'bind' || (options.o ?? '').split(',').includes('bind')) {
      if (!options.device) throw new InvalidArgumentError('missing "device" option for a bind volume');
      if (!path.isAbsolute(options.device)) throw new InvalidArgumentError(`invalid "device" option "${options.device}": must be an absolute path`);
    }
  }

  /** Creates the volume directory; idempotent for the same name. */
  async create(name: string, options: Record<string, string>, labels: Record<string, string>): Promise<VolumeInfo> {
    this.validateOptions(options);
    const existing = await readJsonIfExists<LocalVolumeMeta>(this.metaFile(name));
    if (existing) return this.info(existing);
    const tmp = path.join(this.root, `.${name}.creating`);
    await fs.promises.rm(tmp, { recursive: true, force: true });
    await fs.promises.mkdir(path.join(tmp, '_data'), { recursive: true, mode: 0o755 });
    const meta: LocalVolumeMeta = { name, createdAt: new Date().toISOString(), labels, options };
    await atomicWriteJson(path.join(tmp, 'opts.json'), meta);
    try {
      await fs.promises.rename(tmp, this.dir(name));
    } catch (err) {
      await fs.promises.rm(tmp, { recursive: true, force: true });
      throw err;
    }
    return this.info(meta);
  }

  private info(m: LocalVolumeMeta): VolumeInfo {
    return {
      name: m.name, driver: 'local', mountpoint: this.dataDir(m.name), createdAt: m.createdAt,
      labels: m.labels, options: m.options, scope: 'local',
    };
  }

  /** Removes the volume and its data; ConflictError while mounted. */
  async remove(name: string): Promise<void> {
    await this.meta(name);
    if ((this.mounts.get(name)?.size ?? 0) > 0) throw new ConflictError(`remove ${name}: volume is in use`);
    const trash = path.join(this.root, `.${name}.removing`);
    await fs.promises.rename(this.dir(name), trash);
    await fs.promises.rm(trash, { recursive: true, force: true });
  }

  /** Mounts the volume's device when it has one; returns `_data`. */
  async mount(name: string, mountId: string): Promise<string> {
    const m = await this.meta(name);
    const ids = this.mounts.get(name) ?? new Set<string>();
    if (ids.size === 0 && m.options.type) {
      const data = this.dataDir(name);
      const o = [m.options.o, m.options.size ? `size=${m.options.size}` : undefined].filter(Boolean).join(',');
      const args = ['-t', m.options.type, ...(o ? ['-o', o] : []), m.options.device ?? m.options.type, data];
      try {
        await run('mount', args);
      } catch (err) {
        throw new FailedPreconditionError(`error while mounting volume '${name}': ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`);
      }
    }
    ids.add(mountId);
    this.mounts.set(name, ids);
    return this.dataDir(name);
  }

  /** Releases one mount id; unmounts the device after the last one. */
  async unmount(name: string, mountId: string): Promise<void> {
    const ids = this.mounts.get(name);
    if (!ids || !ids.delete(mountId)) return;
    if (ids.size > 0) return;
    this.mounts.delete(name);
    const m = await this.meta(name);
    if (m.options.type) await run('umount', [this.dataDir(name)]).catch(() => undefined);
  }

  async path(name: string): Promise<string> {
    await this.meta(name);
    return this.dataDir(name);
  }

  async get(name: string): Promise<VolumeInfo> {
    return this.info(await this.meta(name));
  }

  async list(): Promise<VolumeInfo[]> {
    const out: VolumeInfo[] = [];
    for (const e of await fs.promises.readdir(this.root, { withFileTypes: true })) {
      if (!e.isDirectory() || e.name.startsWith('.')) continue;
      const m = await readJsonIfExists<LocalVolumeMeta>(this.metaFile(e.name));
      if (m) out.push(this.info(m));
    }
    return out;
  }

  capabilities(): { scope: 'local' } {
    return { scope: 'local' };
  }

  /** Unmounts every device volume; called on shutdown. */
  async close(): Promise<void> {
    for (const name of [...this.mounts.keys()]) {
      const m = await readJsonIfExists<LocalVolumeMeta>(this.metaFile(name));
      if (m?.options.type) await run('umount', [this.dataDir(name)]).catch(() => undefined);
    }
    this.mounts.clear();
  }

  /** Removes leftovers of interrupted create/remove (`.x.creating`, `.x.removing`). */
  async cleanupLeftovers(): Promise<void> {
    for (const e of await fs.promises.readdir(this.root)) {
      if (/^\..+\.(creating|removing)$/.test(e)) await fs.promises.rm(path.join(this.root, e), { recursive: true, force: true });
    }
  }
}
