/**
 * Docker Engine API versions berth speaks. A request may name a version in its
 * path (`/v1.41/info`) or none (then the current one applies). Versions outside
 * [MIN_API_VERSION, API_VERSION] are refused with Docker's own messages.
 */
import { InvalidArgumentError } from '../errors';
import { API_VERSION, MIN_API_VERSION } from '../version';

export { API_VERSION, MIN_API_VERSION };

/** Compares two `major.minor` versions: negative, zero or positive. */
export function compareApiVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** A request path split into its API version and the route path. */
export interface VersionedPath { version: string; path: string }

const VERSION_PREFIX = /^\/v([0-9]+(?:\.[0-9]+)?)(\/.*)$/;

/**
 * Splits `/v1.41/containers/json` into `{ version: '1.41', path: '/containers/json' }`;
 * an unversioned path gets the current version. Throws InvalidArgumentError
 * (400) with Docker's message for a version that is too old or too new.
 */
export function splitVersion(rawPath: string): VersionedPath {
  const m = VERSION_PREFIX.exec(rawPath);
  if (!m) return { version: API_VERSION, path: rawPath };
  const version = m[1].includes('.') ? m[1] : `${m[1]}.0`;
  if (compareApiVersions(version, MIN_API_VERSION) < 0) {
    throw new InvalidArgumentError(`client version ${m[1]} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`);
  }
  if (compareApiVersions(version, API_VERSION) > 0) {
    throw new InvalidArgumentError(`client version ${m[1]} is too new. Maximum supported API version is ${API_VERSION}`);
  }
  return { version, path: m[2] };
}
