/**
 * RegistryClient — distribution: pull and push images against OCI / Docker
 * registries (HTTP API v2).
 *
 * Vocabulary. A *reference* names an image in a registry
 * (`docker.io/library/busybox:latest`, `localhost:5000/x@sha256:…`). A *pull*
 * fetches the manifest (selecting a platform from an index), the config and the
 * layer blobs, verifying every digest while streaming, and records the image
 * only when every layer is applied (atomic). A *push* uploads what the
 * registry lacks and puts the manifest. *Progress* is reported as Docker's JSON
 * progress messages.
 *
 * Errors: NotFoundError (`manifest unknown`), UnauthorizedError, InvalidArgument
 * for bad references, UnavailableError when the registry cannot be reached.
 */

/** One of Docker's JSON progress messages (`{"status":"Downloading","id":"…","progressDetail":{…}}`). */
export interface ProgressMessage {
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message: string };
  aux?: Record<string, unknown>;
}

export type ProgressSink = (msg: ProgressMessage) => void;

export interface AuthConfig {
  username?: string;
  password?: string;
  auth?: string;
  identitytoken?: string;
  registrytoken?: string;
  serveraddress?: string;
}

export interface PullRequest {
  reference: string;
  /** `os/arch[/variant]`; default the host's. */
  platform?: string;
  auth?: AuthConfig;
  progress: ProgressSink;
}

export interface PushRequest {
  reference: string;
  auth?: AuthConfig;
  progress: ProgressSink;
}

export interface SearchResult {
  name: string;
  description: string;
  star_count: number;
  is_official: boolean;
  is_automated: boolean;
}

export interface RegistryClient {
  /** Pulls and records the image; resolves with its image id (`sha256:…`). */
  pull(req: PullRequest): Promise<string>;
  /** Pushes a local image; resolves with the manifest digest. */
  push(req: PushRequest): Promise<string>;
  search(term: string, limit: number, auth?: AuthConfig): Promise<SearchResult[]>;
}
