/**
 * The volume service: Docker's fourth kind of object. It keeps which driver
 * owns each volume name (`<data-root>/volume-meta/<name>.json`, atomic), finds
 * drivers by name (`volumedriver:<name>` from plugins, else an out-of-process
 * Docker volume plugin through `volume:plugins`), refuses to remove volumes in
 * use, and mounts volumes for containers, copying the image's content into an
 * empty volume on first mount (Docker's copy-up) unless `nocopy` is given.
 */
import 'reflect-metadata';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { inject, injectable } from 'tsyringe';
import type { VolumeDriver, VolumeInfo } from '../drivers/volumedriver';
import { ConflictError, InvalidArgumentError, NotFoundError, isNotFound } from '../errors';
import { atomicWriteJson, readJsonIfExists } from '../fs/atomic-write';
import type { Kernel } from '../daemon/kernel';
import { Tokens } from '../daemon/kernel';
import { matchLabels } from '../filters';
import { normaliseFilters } from './filters';
import type { DockerVolume, Filters, VolumeCreateBody } from './types';
import { anonymousVolumeName, validateVolumeName } from './volume-names';

const run = promisify(execFile);

/** Discovers out-of-process volume plugins by name (provided as `volume:plugins`). */
export interface VolumePluginLookup {
  /** The driver of plugin `name`, activated; NotFoundError when no such plugin is found. */
  lookup(name: string): Promise<VolumeDriver>;
}

interface VolumeMeta {
  name: string;
  driver: string;
  anonymous: boolean;
}

export interface ContainerVolumeMount {
  /** Volume name; absent for an anonymous volume (one is created). */
  name?: string;
  driver?: string;
  driverOpts?: Record<string, string>;
  labels?: Record<string, string>;
  containerId: string;
  /** Mounted root filesystem of the container, for copy-up. */
  rootfs: string;
  destination: string;
  nocopy: boolean;
}

@injectable()
export class VolumeService {
  private readonly metaDir: string;
  private usageCheck: (name: string) => string[] = () => [];

  constructor(@inject(Tokens.Kernel) private readonly kernel: Kernel) {
    this.metaDir = path.join(kernel.config['data-root'], 'volume-meta');
    fs.mkdirSync(this.metaDir, { recursive: true, mode: 0o700 });
  }

  /** The container service tells which containers use a volume (for 409 on remove, `dangling`). */
  setUsageCheck(fn: (name: string) => string[]): void {
    this.usageCheck = fn;
  }

  /** The driver called `name`; NotFoundError `plugin "x" not found` when none is. */
  async driver(name: string): Promise<VolumeDriver> {
    const key = `volumedriver:${name}`;
    if (this.kernel.plugins.has(key)) return this.kernel.plugins.resolve<VolumeDriver>(key);
    if (this.kernel.plugins.has('volume:plugins')) {
      return this.kernel.plugins.resolve<VolumePluginLookup>('volume:plugins').lookup(name);
    }
    throw new NotFoundError(`error looking up volume plugin ${name}: plugin "${name}" not found`);
  }

  private metaFile(name: string): string { return path.join(this.metaDir, `${name}.json`); }

  private async meta(name: string): Promise<VolumeMeta> {
    validateVolumeName(name);
    const m = await readJsonIfExists<VolumeMeta>(this.metaFile(name));
    if (!m) throw new NotFoundError(`get ${name}: no such volume`);
    return m;
  }

  private toDocker(v: VolumeInfo, withUsage = false): DockerVolume {
    const out: DockerVolume = {
      CreatedAt: v.createdAt, Driver: v.driver, Labels: v.labels ?? {}, Mountpoint: v.mountpoint,
      Name: v.name, Options: v.options ?? {}, Scope: v.scope,
    };
    if (v.status) out.Status = v.status;
    if (withUsage) out.UsageData = { Size: -1, RefCount: this.usageCheck(v.name).length };
    return out;
  }

  /**
   * Creates a volume (Docker: creating an existing name with the same driver
   * returns it; with another driver is a conflict).
   */
  async create(body: VolumeCreateBody, anonymous = false): Promise<DockerVolume> {
    const name = body.Name || anonymousVolumeName();
    validateVolumeName(name);
    const driverName = body.Driver || 'local';
    const existing = await readJsonIfExists<VolumeMeta>(this.metaFile(name));
    if (existing && existing.driver !== driverName) {
      throw new ConflictError(`create ${name}: volume name is already in use with driver "${existing.driver}"`);
    }
    const driver = await this.driver(driverName);
    const info = await driver.create(name, body.DriverOpts ?? {}, body.Labels ?? {});
    if (!existing) await atomicWriteJson(this.metaFile(name), { name, driver: driverName, anonymous } satisfies VolumeMeta);
    await this.kernel.hooks.volume.created.promise(name);
    return this.toDocker({ ...info, driver: driverName });
  }

  async inspect(name: string): Promise<DockerVolume> {
    const m = await this.meta(name);
    const info = await (await this.driver(m.driver)).get(name);
    return this.toDocker({ ...info, driver: m.driver });
  }

  /** Lists volumes; filters `dangling`, `name` (substring), `label`, `driver`. */
  async list(rawFilters?: Filters | string): Promise<{ Volumes: DockerVolume[]; Warnings: string[] }> {
    const f = normaliseFilters(rawFilters, ['dangling', 'name', 'label', 'driver']);
    const warnings: string[] = [];
    const out: DockerVolume[] = [];
    for (const file of await fs.promises.readdir(this.metaDir)) {
      if (!file.endsWith('.json') || file.startsWith('.')) continue;
      const m = await readJsonIfExists<VolumeMeta>(path.join(this.metaDir, file));
      if (!m) continue;
      let info: VolumeInfo;
      try {
        info = await (await this.driver(m.driver)).get(m.name);
      } catch (err) {
        warnings.push(`${m.name}: ${(err as Error).message}`);
        continue;
      }
      const v = this.toDocker({ ...info, driver: m.driver });
      if (f.name && !f.name.some((n) => v.Name.includes(n))) continue;
      if (f.driver && !f.driver.includes(v.Driver)) continue;
      if (f.label && !matchLabels(v.Labels, f.label)) continue;
      if (f.dangling) {
        const want = f.dangling[0] === 'true' || f.dangling[0] === '1';
        if (want !== (this.usageCheck(v.Name).length === 0)) continue;
      }
      out.push(v);
    }
    out.sort((a, b) => a.Name.localeCompare(b.Name));
    return { Volumes: out, Warnings: warnings };
  }

  /**
   * Removes a volume. In use → ConflictError naming the containers (also with
   * force, as Docker). With force, a volume unknown to its driver is still
   * forgotten.
   */
  async remove(name: string, force = false): Promise<void> {
    let m: VolumeMeta;
    try {
      m = await this.meta(name);
    } catch (err) {
      if (force && isNotFound(err)) return;
      throw err;
    }
    const users = this.usageCheck(name);
    if (users.length > 0) {
      throw new ConflictError(`remove ${name}: volume is in use - [${users.join(', ')}]`);
    }
    try {
      await (await this.driver(m.driver)).remove(name);
    } catch (err) {
      if (!force || !isNotFound(err)) throw err;
    }
    await fs.promises.rm(this.metaFile(name), { force: true });
    await this.kernel.hooks.volume.removed.promise(name);
  }

  /** Removes every unused volume (filter `label`); returns names and bytes reclaimed. */
  async prune(rawFilters?: Filters | string): Promise<{ VolumesDeleted: string[]; SpaceReclaimed: number }> {
    const f = normaliseFilters(rawFilters, ['label', 'all']);
    const deleted: string[] = [];
    let reclaimed = 0;
    const { Volumes } = await this.list();
    for (const v of Volumes) {
      if (this.usageCheck(v.Name).length > 0) continue;
      if (f.label && !matchLabels(v.Labels, f.label)) continue;
      if (v.Driver === 'local' && v.Mountpoint) reclaimed += await dirSize(v.Mountpoint);
      await this.remove(v.Name);
      deleted.push(v.Name);
    }
    return { VolumesDeleted: deleted, SpaceReclaimed: reclaimed };
  }

  /**
   * Mounts a volume for a container (creating it if missing; anonymous when no
   * name) and returns the host path to bind. Copies the image's content at
   * `destination` into an empty volume unless `nocopy`.
   */
  async mountForContainer(req: ContainerVolumeMount): Promise<{ name: string; driver: string; source: string }> {
    let name = req.name;
    let driverName = req.driver || 'local';
    const existing = name ? await readJsonIfExists<VolumeMeta>(this.metaFile(name)) : undefined;
    if (existing) driverName = existing.driver;
    else {
      const v = await this.create({ Name: name, Driver: driverName, DriverOpts: req.driverOpts, Labels: req.labels }, !name);
      name = v.Name;
    }
    const driver = await this.driver(driverName);
    const source = await driver.mount(name!, req.containerId);
    if (!req.nocopy) await copyUp(path.join(req.rootfs, req.destination), source);
    await this.kernel.hooks.volume.mounted.promise(name!, req.containerId);
    return { name: name!, driver: driverName, source };
  }

  /** Releases a container's mount of a volume. Idempotent. */
  async unmountForContainer(name: string, containerId: string): Promise<void> {
    const m = await readJsonIfExists<VolumeMeta>(this.metaFile(name));
    if (!m) return;
    await (await this.driver(m.driver)).unmount(name, containerId);
  }

  /** Whether a volume was created anonymously (removed with `rm -v`). */
  async isAnonymous(name: string): Promise<boolean> {
    return (await readJsonIfExists<VolumeMeta>(this.metaFile(name)))?.anonymous ?? false;
  }
}

/** Copies `from` (the image's directory) into `to` (the volume) when `to` is empty and `from` has content. */
async function copyUp(from: string, to: string): Promise<void> {
  let src: string[];
  try {
    if (!(await fs.promises.stat(from)).isDirectory()) return;
    src = await fs.promises.readdir(from);
  } catch {
    return;
  }
  if (src.length === 0 || (await fs.promises.readdir(to)).length > 0) return;
  // cp -a keeps owners, modes, times, xattrs, hardlinks and device nodes.
  await run('cp', ['-a', '--', `${from}/.`, to]);
}

async function dirSize(dir: string): Promise<number> {
  try {
    const { stdout } = await run('du', ['-sb', dir]);
    return Number(stdout.split('\t')[0]) || 0;
  } catch {
    return 0;
  }
}

/** Throws InvalidArgumentError unless `v` is a string map (DriverOpts, Labels). */
export function assertStringMap(v: unknown, field: string): asserts v is Record<string, string> | undefined {
  if (v === undefined || v === null) return;
  if (typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) {
    throw new InvalidArgumentError(`${field}: must be an object of strings`);
  }
}
