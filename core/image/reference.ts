/**
 * Image references, parsed and normalised like Docker's
 * (distribution/reference): `busybox` → `docker.io/library/busybox`,
 * `localhost:5000/x`, `name:tag`, `name@sha256:…`. Invalid references are
 * InvalidArgumentErrors that say what is wrong.
 */
import { InvalidArgumentError } from '../errors';

/** Registry of names without a domain. */
export const DEFAULT_DOMAIN = 'docker.io';
/** Tag of names without tag or digest. */
export const DEFAULT_TAG = 'latest';
const LEGACY_DOMAIN = 'index.docker.io';
const OFFICIAL_PREFIX = 'library/';
const NAME_MAX = 255;

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,}$/;
const ID64 = /^[a-f0-9]{64}$/;

/** A normalised reference. `name` is the full repository name (`docker.io/library/busybox`). */
export interface Reference {
  domain: string;
  /** Repository path without the domain (`library/busybox`). */
  path: string;
  name: string;
  tag?: string;
  digest?: string;
}

function bad(s: string, why: string): never {
  throw new InvalidArgumentError(`invalid reference format "${s}": ${why}`);
}

/**
 * Parses and normalises `s`. Throws InvalidArgumentError for: empty
 * strings, 64-hex strings (those are IDs), uppercase repository names, bad
 * components, tags or digests, names over 255 characters.
 */
export function parseReference(s: string): Reference {
  if (typeof s !== 'string' || s === '') bad(String(s), 'empty reference');
  if (ID64.test(s)) throw new InvalidArgumentError(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  let rest = s;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) bad(s, `"${digest}" is not a valid digest`);
    if (digest.startsWith('sha256:') && !/^sha256:[a-f0-9]{64}$/.test(digest)) bad(s, `sha256 digest must be 64 lowercase hex characters`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) bad(s, `"${tag}" is not a valid tag (letters, digits, _ . -, at most 128, not starting with . or -)`);
  }
  if (rest === '') bad(s, 'repository name is empty');
  let domain = DEFAULT_DOMAIN;
  let remainder = rest;
  const slash = rest.indexOf('/');
  if (slash !== -1) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase()) {
      domain = first;
      remainder = rest.slice(slash + 1);
    }
  }
  if (domain === LEGACY_DOMAIN) domain = DEFAULT_DOMAIN;
  if (!DOMAIN.test(domain)) bad(s, `"${domain}" is not a valid registry domain`);
  if (remainder !== remainder.toLowerCase()) bad(s, `repository name (${remainder}) must be lowercase`);
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_PREFIX + remainder;
  for (const c of remainder.split('/')) {
    if (!PATH_COMPONENT.test(c)) bad(s, `"${c}" is not a valid repository path component (lowercase letters, digits, separators . _ __ -)`);
  }
  const name = `${domain}/${remainder}`;
  if (name.length > NAME_MAX) bad(s, `repository name must not be longer than ${NAME_MAX} characters`);
  const ref: Reference = { domain, path: remainder, name };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/** `ref` with `latest` added when it has neither tag nor digest. */
export function withDefaultTag(ref: Reference): Reference {
  return ref.tag === undefined && ref.digest === undefined ? { ...ref, tag: DEFAULT_TAG } : ref;
}

/** Full string form: `docker.io/library/busybox:latest`, `localhost:5000/x@sha256:…`. */
export function referenceString(ref: Reference): string {
  return ref.name + (ref.tag !== undefined ? `:${ref.tag}` : '') + (ref.digest !== undefined ? `@${ref.digest}` : '');
}

/** The short name Docker shows: `busybox` for `docker.io/library/busybox`, `user/x` for `docker.io/user/x`. */
export function familiarName(name: string): string {
  if (!name.startsWith(`${DEFAULT_DOMAIN}/`)) return name;
  const p = name.slice(DEFAULT_DOMAIN.length + 1);
  return p.startsWith(OFFICIAL_PREFIX) && p.split('/').length === 2 ? p.slice(OFFICIAL_PREFIX.length) : p;
}

/** Familiar string form: `busybox:latest`, `localhost:5000/x@sha256:…`. */
export function familiarString(ref: Reference): string {
  return familiarName(ref.name) + (ref.tag !== undefined ? `:${ref.tag}` : '') + (ref.digest !== undefined ? `@${ref.digest}` : '');
}
