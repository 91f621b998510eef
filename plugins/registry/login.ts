/**
 * `docker login` (POST /auth): checks credentials against a registry's `/v2/`
 * endpoint — Basic, or a Bearer token fetched with them — and says so. The
 * daemon keeps nothing: the client stores the credentials, as with dockerd.
 */
import { InvalidArgumentError, type AuthConfig } from '../../core';
import type { TokenCache } from './auth-challenge';
import { connectRegistry } from './connect';
import { fromAuthConfig } from './credentials';
import { DOCKER_HUB, type EndpointResolver } from './endpoints';

/** The registry a login's `serveraddress` names: scheme, path and trailing slash dropped; Docker Hub by default. */
export function loginRegistry(serveraddress: string | undefined): string {
  const s = (serveraddress ?? '').trim().replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
  if (s === '' || s === 'index.docker.io' || s === 'registry-1.docker.io') return DOCKER_HUB;
  return s;
}

/** Resolves when the registry accepts `auth`; UnauthorizedError (or the registry's error) otherwise. */
export async function login(resolver: EndpointResolver, tokens: TokenCache, auth: AuthConfig, signal?: AbortSignal): Promise<void> {
  const creds = fromAuthConfig(auth);
  if (!creds || (creds.username === undefined && creds.identityToken === undefined)) {
    throw new InvalidArgumentError('login: a username and password (or an identity token) are required');
  }
  const session = await connectRegistry(resolver, tokens, loginRegistry(auth.serveraddress), [], creds, signal);
  const res = await session.request({ method: 'GET', path: '/v2/', signal });
  res.resume();
}
