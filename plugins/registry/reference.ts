/**
 * Image references as the distribution client needs them, built on core's
 * shared parser (Docker's normalisation: `busybox` →
 * `docker.io/library/busybox:latest`): registry host, repository path, tag
 * and/or digest, and the familiar form Docker prints.
 */
import { familiarString, parseReference as parseCoreReference } from '../../core';

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

/**
 * Parses and normalises a reference. `defaultTag` is applied when there is
 * neither tag nor digest (`latest` for pulls). InvalidArgumentError names what
 * is wrong. Pass `null` for no default tag.
 */
export function parseReference(ref: string, defaultTag: string | null = 'latest'): RemoteReference {
  const r = parseCoreReference(ref);
  if (r.tag === undefined && r.digest === undefined && defaultTag) r.tag = defaultTag;
  return { registry: r.domain, repository: r.path, tag: r.tag, digest: r.digest, name: r.name, familiar: familiarString(r) };
}
