/**
 * Opening a session with a registry's own endpoints (no mirrors): the first
 * that answers `/v2/`, HTTPS before HTTP for insecure registries.
 */
import { BerthError, UnavailableError } from '../../core';
import type { TokenCache } from './auth-challenge';
import type { Credentials } from './credentials';
import type { EndpointResolver } from './endpoints';
import { RegistrySession } from './session';

/** A pinged session on `registry` with `scopes`; the last endpoint's error when none answers. */
export async function connectRegistry(resolver: EndpointResolver, tokens: TokenCache, registry: string, scopes: string[],
  creds: Credentials | undefined, signal?: AbortSignal): Promise<RegistrySession> {
  const eps = resolver.endpoints(registry, true);
  let last: unknown;
  for (const [i, ep] of eps.entries()) {
    const s = new RegistrySession(ep, scopes, creds, tokens);
    try { await s.ping(signal); return s; } catch (err) {
      last = err;
      if (i < eps.length - 1 && err instanceof UnavailableError && !ep.tlsVerify) continue;
      throw err;
    }
  }
  throw last instanceof BerthError ? last : new UnavailableError(`no endpoint of ${registry} answered`);
}
