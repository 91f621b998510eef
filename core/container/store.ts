/**
 * ContainerStore: the containers on disk and in memory.
 *
 * Layout: `<data-root>/containers/<id>/config.v2.json` (the ContainerRecord)
 * and `hostconfig.json` (the HostConfig), each written atomically. Names are
 * unique (`/name`); lookup works by full id, unique id prefix or name.
 */
import { mkdirSync, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { readJsonIfExists } from '../fs/atomic-write';
import { writeStateJson } from './state-write';
import { ConflictError, InvalidArgumentError, NotFoundError } from '../errors';
import { normaliseName, randomName } from './names';
import { isFullId } from './ids';
import type { Container, ContainerRecord, HostConfig } from './types';
import { KeyedMutex } from './keyed-mutex';

export const CONFIG_FILE = 'config.v2.json';
export const HOSTCONFIG_FILE = 'hostconfig.json';
/** Name prefix of a removed container's directory whose files are being deleted. */
const TRASH_PREFIX = '.rm-';

export class ContainerStore {
  private readonly byId = new Map<string, Container>();
  private readonly byName = new Map<string, string>();
  /** Names reserved by a create in progress, so two creates cannot take the same one. */
  private readonly reserved = new Map<string, string>();
  /**
   * A container's file writes, one after the other in the order asked: each
   * is a temp file renamed over the last, so two at once could land in either
   * order (a `running` written after the exit's `exited`).
   */
  private readonly writes = new KeyedMutex();

  /** `root` is `<data-root>/containers`. */
  private readonly base: string;

  constructor(readonly root: string) {
    this.base = path.resolve(root).replace(/\/$/, ''); // '/' as ''
  }

  /** The directory owned by a container. */
  dir(id: string): string {
    // asked several times per start and per state write: concatenation, not path.join
    return id.includes('/') || id === '..' || id === '.' ? path.join(this.root, id) : `${this.base}/${id}`;
  }

  /**
   * Loads every container found under the root. A directory whose config
   * cannot be read is skipped and reported in the returned list of problems
   * (the daemon logs them), never fatal.
   */
  async load(): Promise<string[]> {
    await fsp.mkdir(this.root, { recursive: true, mode: 0o710 });
    const problems: string[] = [];
    for (const ent of await fsp.readdir(this.root, { withFileTypes: true })) {
      // what detach() left when the daemon stopped before deleting it
      if (ent.isDirectory() && ent.name.startsWith(TRASH_PREFIX)) { await fsp.rm(path.join(this.root, ent.name), { recursive: true, force: true }); continue; }
      if (!ent.isDirectory() || !isFullId(ent.name)) continue;
      try {
        const record = await readJsonIfExists<ContainerRecord>(path.join(this.root, ent.name, CONFIG_FILE));
        const hostConfig = await readJsonIfExists<HostConfig>(path.join(this.root, ent.name, HOSTCONFIG_FILE));
        // a create the daemon did not finish (see prepare/commit): the container never existed
        if (!record && hostConfig) { await fsp.rm(path.join(this.root, ent.name), { recursive: true, force: true }); continue; }
        if (!record || !hostConfig) { problems.push(`${ent.name}: missing ${record ? HOSTCONFIG_FILE : CONFIG_FILE}`); continue; }
        if (record.ID !== ent.name) { problems.push(`${ent.name}: config.v2.json names id ${record.ID}`); continue; }
        this.byId.set(record.ID, { record, hostConfig });
        this.byName.set(record.Name, record.ID);
      } catch (err) {
        problems.push(`${ent.name}: ${(err as Error).message}`);
      }
    }
    return problems;
  }

  /**
   * Reserves a name for `id`: the given one (validated, Docker's rule) or a
   * fresh random one. ConflictError with Docker's message when taken.
   * Returns the canonical `/name`.
   */
  reserveName(id: string, name?: string): string {
    if (name === undefined || name === '') {
      for (let retry = 0; ; retry++) {
        const n = `/${randomName(retry)}`;
        if (!this.nameTaken(n)) { this.reserved.set(n, id); return n; }
      }
    }
    const n = normaliseName(name);
    const owner = this.byName.get(n) ?? this.reserved.get(n);
    if (owner !== undefined && owner !== id) {
      throw new ConflictError(`Conflict. The container name "${n}" is already in use by container "${owner}". You have to remove (or rename) that container to be able to reuse that name.`);
    }
    this.reserved.set(n, id);
    return n;
  }

  /** Drops a reservation made by reserveName (after a failed create). */
  releaseName(name: string): void {
    this.reserved.delete(name);
  }

  private nameTaken(n: string): boolean {
    return this.byName.has(n) || this.reserved.has(n);
  }

  /** Persists a new container (creating its directory) and indexes it. */
  async add(c: Container): Promise<void> {
    await this.prepare(c);
    await this.commit(c);
  }

  /**
   * First half of add: the container's directory and hostconfig.json. Until
   * commit, the container does not exist (load() deletes such a directory).
   */
  async prepare(c: Container): Promise<void> {
    mkdirSync(this.dir(c.record.ID), { recursive: true, mode: 0o710 });
    await writeStateJson(path.join(this.dir(c.record.ID), HOSTCONFIG_FILE), c.hostConfig);
  }

  /** Second half of add: config.v2.json, which makes the container exist, then the index. */
  async commit(c: Container): Promise<void> {
    await writeStateJson(path.join(this.dir(c.record.ID), CONFIG_FILE), c.record);
    this.byId.set(c.record.ID, c);
    this.byName.set(c.record.Name, c.record.ID);
    this.reserved.delete(c.record.Name);
  }

  /**
   * Writes config.v2.json atomically (after a state change); durably unless
   * `durable` is false, for states a crash may lose (see state-write.ts).
   * A container's writes land in the order they were asked for (see
   * `writes`), so a caller may leave one unawaited.
   */
  saveRecord(c: Container, durable = true): Promise<void> {
    return this.writes.run(c.record.ID, () => writeStateJson(path.join(this.dir(c.record.ID), CONFIG_FILE), c.record, durable));
  }

  /** Writes `record` as the container's config.v2.json, atomically and durably (the in-memory one is untouched). */
  saveRecordAs(c: Container, record: ContainerRecord): Promise<void> {
    return this.writes.run(c.record.ID, () => writeStateJson(path.join(this.dir(c.record.ID), CONFIG_FILE), record));
  }

  /** Writes both files atomically and durably, side by side (after an update of the HostConfig). */
  writeBoth(c: Container): Promise<void> {
    return this.writes.run(c.record.ID, async () => {
      await Promise.all([
        writeStateJson(path.join(this.dir(c.record.ID), HOSTCONFIG_FILE), c.hostConfig),
        writeStateJson(path.join(this.dir(c.record.ID), CONFIG_FILE), c.record),
      ]);
    });
  }

  /** Renames a container; the new name follows the same rules as at create. */
  async rename(c: Container, newName: string): Promise<string> {
    const n = this.reserveName(c.record.ID, newName);
    const old = c.record.Name;
    c.record.Name = n;
    try {
      await this.saveRecord(c);
    } catch (err) {
      c.record.Name = old;
      this.reserved.delete(n);
      throw err;
    }
    this.byName.delete(old);
    this.byName.set(n, c.record.ID);
    this.reserved.delete(n);
    return n;
  }

  /**
   * Forgets a container at once: its directory is renamed out of the way
   * (`.rm-<id>`, which load() skips and deletes) and `deleted` settles when
   * its files are gone.
   */
  async detach(id: string): Promise<{ deleted: Promise<void> }> {
    const c = this.byId.get(id);
    const trash = path.join(this.root, `${TRASH_PREFIX}${id}`);
    try {
      await fsp.rename(this.dir(id), trash);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (c) this.byName.delete(c.record.Name);
    this.byId.delete(id);
    return { deleted: fsp.rm(trash, { recursive: true, force: true }) };
  }

  /** Removes a container's directory and forgets it. */
  async delete(id: string): Promise<void> {
    const c = this.byId.get(id);
    await fsp.rm(this.dir(id), { recursive: true, force: true });
    if (c) this.byName.delete(c.record.Name);
    this.byId.delete(id);
  }

  /**
   * Finds a container by full id, name (with or without `/`) or unique id
   * prefix. NotFoundError `No such container: X`; an ambiguous prefix is an
   * InvalidArgumentError naming it.
   */
  get(ref: string): Container {
    const exact = this.byId.get(ref);
    if (exact) return exact;
    const byName = this.byName.get(ref.startsWith('/') ? ref : `/${ref}`);
    if (byName) return this.byId.get(byName)!;
    if (ref !== '' && /^[0-9a-f]+$/.test(ref)) {
      const hits = [...this.byId.keys()].filter((id) => id.startsWith(ref));
      if (hits.length === 1) return this.byId.get(hits[0])!;
      if (hits.length > 1) throw new InvalidArgumentError(`multiple IDs found with provided prefix: ${ref}`);
    }
    throw new NotFoundError(`No such container: ${ref}`);
  }

  /** Like get, but undefined instead of NotFound. */
  find(ref: string): Container | undefined {
    try { return this.get(ref); } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  /** Every container, newest first (Docker's list order). */
  all(): Container[] {
    return [...this.byId.values()].sort((a, b) => (a.record.Created < b.record.Created ? 1 : a.record.Created > b.record.Created ? -1 : 0));
  }
}
