/**
 * Image references as the distribution client needs them: registry host,
 * repository path, tag and/or digest, with Docker's normalisation
 * (`busybox` → `docker.io/library/busybox:latest`).
 */
import { InvalidArgumentError } from '../../core';
import { DOCKER_HUB } from './endpoints';

export interface RemoteReference {
  /** `docker.io`, `127.0.0.1:5000`, ... */
  registry: string;
  /** `library/busybox`, `team/app` */
  repository: string;
  tag?: string;
  digest?: string;
  /** Docker's familiar form for messages: `busybox:latest`, `127.0.0.1:5000/x:1`. */
  familiar: string;
  /** The full name without tag or digest: `docker.io/library/busybox`. */
  name: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;

/**
 * Parses and normalises a reference. `defaultTag` is applied when there is
 * neither tag nor digest (`latest` for pulls). InvalidArgumentError names what
 * is wrong.
 */
export function parseReference(ref: string, defaultTag: string | undefined = 'latest'): RemoteReference {
  if (!ref || ref !== ref.trim()) throw new InvalidArgumentError(`invalid reference format: "${ref}"`);
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw new InvalidArgumentError(`invalid reference format: bad digest "${digest}" in "${ref}"`);
  }
  let tag: string | undefined;
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > slash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw new InvalidArgumentError(`invalid reference format: bad tag "${tag}" in "${ref}"`);
  }
  const parts = rest.split('/');
  let registry = DOCKER_HUB;
  if (parts.length > 1 && (parts[0].includes('.') || parts[0].includes(':') || parts[0] === 'localhost')) {
    registry = parts.shift()!;
  }
  if (registry === 'index.docker.io' || registry === 'registry-1.docker.io') registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && parts.length === 1) parts.unshift('library');
  for (const c of parts) {
    if (!COMPONENT.test(c)) {
      throw new InvalidArgumentError(`invalid reference format: repository name "${rest}" must be lowercase (component "${c}")`);
    }
  }
  if (!tag && !digest && defaultTag) tag = defaultTag;
  const repository = parts.join('/');
  const short = registry === DOCKER_HUB
    ? (repository.startsWith('library/') ? repository.slice('library/'.length) : repository)
    : `${registry}/${repository}`;
  const familiar = short + (tag ? `:${tag}` : '') + (digest ? `@${digest}` : '');
  return { registry, repository, tag, digest, familiar, name: `${registry}/${repository}` };
}
