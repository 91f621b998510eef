/**
 * What berth knows about layers on registries, like Docker's v2 metadata
 * service: for a diff_id, the compressed blob digest last pulled or pushed
 * and the repositories (`registry/path`) known to hold it. Pushes use it to
 * skip recompression, to answer "Layer already exists" without uploading and
 * to mount blobs across repositories. Stored as one JSON file, written
 * atomically.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { atomicWriteJson } from '../../core';

export interface LayerBlobInfo {
  digest: string;
  size: number;
  mediaType: string;
  /** `registry/repository` names known to hold the blob, most recent first. */
  repos: string[];
}

export class LayerMetadata {
  private data: Record<string, LayerBlobInfo> = {};
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly file: string) {
    try { this.data = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, LayerBlobInfo>; } catch { this.data = {}; }
  }

  /** The blob known for a diff_id. */
  get(diffId: string): LayerBlobInfo | undefined {
    return this.data[diffId];
  }

  /** Records that `repo` holds the blob of `diffId` (persisted atomically). */
  async note(diffId: string, blob: Omit<LayerBlobInfo, 'repos'>, repo?: string): Promise<void> {
    const prev = this.data[diffId];
    const repos = prev && prev.digest === blob.digest ? prev.repos.filter((r) => r !== repo) : [];
    this.data[diffId] = { ...blob, repos: repo ? [repo, ...repos].slice(0, 20) : repos };
    const snapshot = { ...this.data };
    this.writing = this.writing.catch(() => undefined).then(async () => {
      await fs.promises.mkdir(path.dirname(this.file), { recursive: true });
      await atomicWriteJson(this.file, snapshot);
    });
    await this.writing;
  }
}
