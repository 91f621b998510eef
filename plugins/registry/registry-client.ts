/**
 * berth's RegistryClient (core/drivers/registry.ts): pull into and push from
 * the kernel's image service, which is resolved lazily (`kernel:images`) at
 * each call so the plugin can init before the image domain is set up.
 */
import * as path from 'node:path';
import {
  FailedPreconditionError, NotFoundError, type AuthConfig, type Hooks, type PullRequest, type PushRequest,
  type RegistryClient, type SearchResult,
} from '../../core';
import type { Distribution } from './distribution';
import type { ImagesPort } from './images-port';
import { ImagesTarget } from './images-target';
import { LayerMetadata } from './layer-metadata';
import { pushSourceFor } from './push-source';

export interface ClientContext {
  resolve<T>(name: string): T;
  has(name: string): boolean;
  hooks: Hooks;
  stateDir: string;
}

export interface PullOutcome { id: string; digest: string; upToDate: boolean }

export class DistributionClient implements RegistryClient {
  private readonly meta: LayerMetadata;

  constructor(readonly dist: Distribution, private readonly ctx: ClientContext) {
    this.meta = new LayerMetadata(path.join(ctx.stateDir, 'layer-blobs.json'));
  }

  private images(): ImagesPort {
    if (!this.ctx.has('kernel:images')) throw new FailedPreconditionError('registry.distribution: no image service is set up (kernel:images)');
    return this.ctx.resolve<ImagesPort>('kernel:images');
  }

  /** Pulls and records the image; resolves with its image id (`sha256:…`). */
  async pull(req: PullRequest): Promise<string> {
    return (await this.pullDetailed(req)).id;
  }

  /** Like pull, also telling the manifest digest and whether the image was already up to date. */
  async pullDetailed(req: PullRequest & { signal?: AbortSignal }): Promise<PullOutcome> {
    const ref = this.dist.parse(req.reference);
    const target = new ImagesTarget(this.images(), this.meta, this.ctx.hooks);
    const r = await this.dist.pull(ref, target, { platform: req.platform, auth: req.auth, progress: req.progress, signal: req.signal });
    return { id: r.id, digest: r.manifestDigest, upToDate: r.upToDate };
  }

  /** Pushes a local image; resolves with the manifest digest. */
  async push(req: PushRequest & { signal?: AbortSignal }): Promise<string> {
    const ref = this.dist.parse(req.reference);
    const images = this.images();
    const id = images.lookupId(ref.familiar);
    if (!id) throw new NotFoundError(`An image does not exist locally with the tag: ${ref.familiar.replace(/:latest$/, '')}`);
    const source = await pushSourceFor(images, this.meta, id, ref.registry);
    const r = await this.dist.push(ref, source, { auth: req.auth, progress: req.progress, signal: req.signal });
    const diffIds = (JSON.parse(source.config.toString('utf8')) as { rootfs?: { diff_ids?: string[] } }).rootfs?.diff_ids ?? [];
    for (const [i, l] of source.layers.entries()) {
      await this.meta.note(diffIds[i], { digest: l.digest, size: l.size, mediaType: l.mediaType }, ref.name);
    }
    await images.refs.add({ domain: ref.registry, path: ref.repository, name: ref.name, digest: r.digest }, id, true).catch(() => undefined);
    await this.ctx.hooks.image.pushed.promise(ref.familiar, r.digest);
    return r.digest;
  }

  /**
   * The tags to push for an API push request: the given tag, or — Docker's
   * API with no tag (`docker push --all-tags`) — every local tag of the
   * repository, sorted. NotFoundError when there is none.
   */
  tagsToPush(name: string, tag?: string): string[] {
    const base = this.dist.parse(name, null);
    if (tag || base.tag || base.digest) return [tag ? `${base.name}:${tag}` : name];
    const prefix = `${base.name}:`;
    const tags = this.images().refs.all().map(([r]) => r).filter((r) => r.startsWith(prefix) && !r.includes('@')).sort();
    if (!tags.length) throw new NotFoundError(`An image does not exist locally with the tag: ${base.familiar}`);
    return tags;
  }

  /** Searches the v1 search endpoint; NotImplementedError naming the registry when it has none. */
  async search(term: string, limit: number, auth?: AuthConfig): Promise<SearchResult[]> {
    return this.dist.search(term, limit, auth);
  }
}
