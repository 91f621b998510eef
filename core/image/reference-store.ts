/**
 * Names → image IDs, persisted atomically in `repositories.json` (Docker's
 * shape: `{ "Repositories": { "<repo>": { "<repo>:<tag>": "sha256:…" } } }`,
 * with fully qualified names). Tags and digests are both references; a digest
 * reference (`name@sha256:…`) is a RepoDigest.
 */
import * as path from 'node:path';
import { ConflictError, InvalidArgumentError } from '../errors';
import { atomicWriteJson, readJsonIfExists } from '../fs/atomic-write';
import { type Reference, referenceString } from './reference';

interface RepositoriesFile { Repositories: Record<string, Record<string, string>> }

/** Tags and digest references of images (see file comment). */
export class ReferenceStore {
  private repos: Record<string, Record<string, string>> = {};

  private constructor(private readonly file: string) {}

  /** Loads `<dir>/repositories.json` (empty when missing). */
  static async open(dir: string): Promise<ReferenceStore> {
    const s = new ReferenceStore(path.join(dir, 'repositories.json'));
    s.repos = (await readJsonIfExists<RepositoriesFile>(s.file))?.Repositories ?? {};
    return s;
  }

  private async save(): Promise<void> {
    await atomicWriteJson(this.file, { Repositories: this.repos });
  }

  /** The image a reference points to, or undefined. */
  get(ref: Reference): string | undefined {
    return this.repos[ref.name]?.[referenceString(ref)];
  }

  /**
   * Points `ref` (a tag or a digest, not both) at `id`. Moving an existing
   * tag needs `force` unless it already points there (ConflictError);
   * digest references never move.
   */
  async add(ref: Reference, id: string, force = true): Promise<void> {
    if (ref.tag !== undefined && ref.digest !== undefined) throw new InvalidArgumentError(`cannot store a reference with both tag and digest: ${referenceString(ref)}`);
    const key = referenceString(ref);
    const cur = this.repos[ref.name]?.[key];
    if (cur === id) return;
    if (cur !== undefined && (!force || ref.digest !== undefined)) {
      throw new ConflictError(`Conflict: Tag ${key} is already set to image ${cur}, if you want to replace it, please use the force option`);
    }
    this.repos[ref.name] = { ...(this.repos[ref.name] ?? {}), [key]: id };
    await this.save();
  }

  /** Removes a reference; resolves whether it existed. */
  async delete(ref: Reference): Promise<boolean> {
    const key = referenceString(ref);
    const repo = this.repos[ref.name];
    if (!repo || !(key in repo)) return false;
    delete repo[key];
    if (Object.keys(repo).length === 0) delete this.repos[ref.name];
    await this.save();
    return true;
  }

  /** Every reference string (full form) pointing at `id`, tags and digests. */
  refsOf(id: string): string[] {
    const out: string[] = [];
    for (const repo of Object.values(this.repos)) for (const [k, v] of Object.entries(repo)) if (v === id) out.push(k);
    return out.sort();
  }

  /** All references as [full string, id]. */
  all(): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    for (const repo of Object.values(this.repos)) for (const [k, v] of Object.entries(repo)) out.push([k, v]);
    return out;
  }
}
