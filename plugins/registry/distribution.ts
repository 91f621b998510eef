/**
 * The distribution client: endpoints, credentials and token cache shared by
 * pull, push and search. Independent of the image store: pulls write into a
 * PullTarget, pushes read from a PushSource.
 */
import type { AuthConfig, ProgressSink, SearchResult } from '../../core';
import { TokenCache } from './auth-challenge';
import { fromAuthConfig, fromDockerConfig, type Credentials } from './credentials';
import { EndpointResolver } from './endpoints';
import { Puller, type PullResult } from './puller';
import type { PullTarget } from './pull-target';
import { Pusher, type PushSource } from './pusher';
import { parseReference, type RemoteReference } from './reference';
import { searchRegistry } from './search';
import { listTags } from './tags';
import { login } from './login';

export interface DistributionConfig {
  insecureRegistries: readonly string[];
  mirrors: readonly string[];
  certsDir: string;
  dockerConfig: string;
  maxConcurrentDownloads: number;
  maxConcurrentUploads: number;
  chunkSize: number;
  /** Attempts per blob download when the connection drops (default 5). */
  downloadAttempts?: number;
  /** Treat 127.0.0.0/8, ::1 and localhost as insecure (Docker's default: true). */
  loopbackInsecure?: boolean;
}

export class Distribution {
  readonly resolver: EndpointResolver;
  readonly tokens = new TokenCache();

  constructor(readonly cfg: DistributionConfig) {
    this.resolver = new EndpointResolver({
      insecureRegistries: cfg.insecureRegistries, mirrors: cfg.mirrors, certsDir: cfg.certsDir,
      loopbackInsecure: cfg.loopbackInsecure ?? true,
    });
  }

  /** Credentials for a registry: the request's auth config first, then the Docker CLI config. */
  async credentials(registry: string, auth?: AuthConfig): Promise<Credentials | undefined> {
    return fromAuthConfig(auth) ?? await fromDockerConfig(this.cfg.dockerConfig, registry);
  }

  /** Parses a reference (InvalidArgumentError when malformed). */
  parse(ref: string, defaultTag: string | null = 'latest'): RemoteReference {
    return parseReference(ref, defaultTag);
  }

  /** Pulls `ref` into `target`; see Puller.pull. */
  async pull(ref: RemoteReference, target: PullTarget, opts: { platform?: string; auth?: AuthConfig; progress: ProgressSink; signal?: AbortSignal }): Promise<PullResult> {
    const puller = new Puller({ resolver: this.resolver, tokens: this.tokens, maxConcurrent: this.cfg.maxConcurrentDownloads, retries: this.cfg.downloadAttempts ?? 5 });
    return puller.pull({ ref, platform: opts.platform, creds: await this.credentials(ref.registry, opts.auth), progress: opts.progress, signal: opts.signal }, target);
  }

  /** Pushes `source` as `ref`; resolves with the manifest digest. See Pusher.push. */
  async push(ref: RemoteReference, source: PushSource, opts: { auth?: AuthConfig; progress: ProgressSink; signal?: AbortSignal }): Promise<{ digest: string; size: number }> {
    const pusher = new Pusher({ resolver: this.resolver, tokens: this.tokens, maxConcurrent: this.cfg.maxConcurrentUploads, chunkSize: this.cfg.chunkSize });
    return pusher.push({ ref, source, creds: await this.credentials(ref.registry, opts.auth), progress: opts.progress, signal: opts.signal });
  }

  /** Every tag of `ref`'s repository on its registry (sorted). */
  async tags(ref: RemoteReference, auth?: AuthConfig, signal?: AbortSignal): Promise<string[]> {
    return listTags(this.resolver, this.tokens, ref, await this.credentials(ref.registry, auth), signal);
  }

  /** Searches a registry's v1 search endpoint (`registry/term` picks the registry; Docker Hub otherwise). */
  async search(term: string, limit: number, auth?: AuthConfig): Promise<SearchResult[]> {
    return searchRegistry(this.resolver, this.tokens, term, limit, (reg) => this.credentials(reg, auth));
  }

  /** Checks credentials against a registry (`docker login`); see login.ts. */
  async login(auth: AuthConfig, signal?: AbortSignal): Promise<void> {
    return login(this.resolver, this.tokens, auth, signal);
  }

  /** Closes keep-alive sockets. */
  close(): void {
    this.resolver.close();
    this.tokens.close();
  }
}
