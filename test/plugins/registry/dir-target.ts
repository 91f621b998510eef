/**
 * A PullTarget for the protocol tests: blobs go to a StagingStore, layers are
 * unpacked with GNU tar into one directory each, and `record` writes the
 * image record atomically. Lets the tests check order, content and atomicity
 * of the protocol layer without the image store.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { atomicWriteJson } from '../../../core';
import type { LayerFeed, PulledImage, PullTarget } from '../../../plugins/registry/pull-target';
import type { RemoteReference } from '../../../plugins/registry/reference';
import { StagingStore } from './staging-store';

export interface DirRecord { id: string; ref: string; manifestDigest: string; layers: string[] }

export class DirTarget implements PullTarget {
  readonly blobs: StagingStore;
  readonly applied: string[] = [];

  constructor(readonly dir: string) {
    this.blobs = new StagingStore(path.join(dir, 'staging'));
    fs.mkdirSync(path.join(dir, 'images'), { recursive: true });
  }

  records(): DirRecord[] {
    return fs.readdirSync(path.join(this.dir, 'images')).filter((n) => n.endsWith('.json'))
      .map((n) => JSON.parse(fs.readFileSync(path.join(this.dir, 'images', n), 'utf8')) as DirRecord);
  }

  async lookup(ref: RemoteReference, imageId: string): Promise<'up-to-date' | 'present' | 'absent'> {
    const r = this.records().find((x) => x.id === imageId);
    if (!r) return 'absent';
    return r.ref === ref.familiar ? 'up-to-date' : 'present';
  }

  async existingLayers(): Promise<number> { return 0; }

  layerDir(img: PulledImage, i: number): string {
    return path.join(this.dir, 'layers', img.configDigest.slice(7, 19), String(i));
  }

  async applyLayers(img: PulledImage, have: number, feeds: LayerFeed[]): Promise<void> {
    for (let i = have; i < feeds.length; i++) {
      const f = feeds[i];
      const blobPath = await f.ready;
      f.onStart();
      const d = this.layerDir(img, i);
      fs.rmSync(d, { recursive: true, force: true });
      fs.mkdirSync(d, { recursive: true });
      execFileSync('tar', ['-xzf', blobPath, '-C', d]);
      f.onProgress(f.desc.size, f.desc.size);
      this.applied.push(f.desc.digest);
      f.onDone();
    }
  }

  async record(img: PulledImage): Promise<string> {
    const rec: DirRecord = { id: img.configDigest, ref: img.ref.familiar, manifestDigest: img.manifestDigest, layers: img.manifest.layers.map((l) => l.digest) };
    await atomicWriteJson(path.join(this.dir, 'images', `${img.configDigest.slice(7)}.json`), rec);
    return img.configDigest;
  }

  async abort(img: PulledImage): Promise<void> {
    fs.rmSync(path.join(this.dir, 'layers', img.configDigest.slice(7, 19)), { recursive: true, force: true });
  }
}
