/**
 * Where credentials for a registry come from: the request (the API's
 * `X-Registry-Auth` header, base64url JSON of an AuthConfig) first, then the
 * Docker CLI config (`docker login` writes it): credential helpers or the
 * inline `auths` map.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { InvalidArgumentError, UnavailableError, type AuthConfig } from '../../core';
import { DOCKER_HUB } from './endpoints';

/** What the authorizer needs: Basic credentials and/or tokens. */
export interface Credentials {
  username?: string;
  password?: string;
  /** OAuth2 refresh token (`identitytoken`): used with the token endpoint's POST form. */
  identityToken?: string;
  /** A bearer token to send as is (`registrytoken`). */
  registryToken?: string;
}

/** Decodes an `X-Registry-Auth` header value (base64url or base64 JSON). Empty → undefined. */
export function decodeRegistryAuth(header: string | undefined): AuthConfig | undefined {
  if (!header || header.trim() === '') return undefined;
  try {
    const json = Buffer.from(header.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
    const v = JSON.parse(json) as unknown;
    if (typeof v !== 'object' || v === null) throw new Error('not an object');
    return v as AuthConfig;
  } catch (err) {
    throw new InvalidArgumentError(`X-Registry-Auth: invalid base64 JSON auth config (${(err as Error).message})`);
  }
}

/** Turns an AuthConfig into Credentials; `auth` (base64 user:pass) fills in username/password. */
export function fromAuthConfig(a: AuthConfig | undefined): Credentials | undefined {
  if (!a) return undefined;
  const c: Credentials = {};
  if (a.username) c.username = a.username;
  if (a.password) c.password = a.password;
  if (a.auth && !c.username) {
    const dec = Buffer.from(a.auth, 'base64').toString('utf8');
    const i = dec.indexOf(':');
    if (i < 0) throw new InvalidArgumentError('auth config: "auth" must be base64 of "username:password"');
    c.username = dec.slice(0, i);
    c.password = dec.slice(i + 1);
  }
  if (a.identitytoken) c.identityToken = a.identitytoken;
  if (a.registrytoken) c.registryToken = a.registrytoken;
  return Object.keys(c).length ? c : undefined;
}

/** The keys under which `docker login` may have stored a registry's credentials. */
function configKeys(host: string): string[] {
  if (host === DOCKER_HUB) {
    return ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io', 'https://index.docker.io/v1'];
  }
  return [host, `https://${host}`, `http://${host}`, `https://${host}/v1/`, `https://${host}/v2/`];
}

/**
 * Runs a Docker credential helper (`docker-credential-<name> get`, the server
 * URL on stdin, `{"Username","Secret"}` on stdout). `<token>` as username
 * means the secret is an identity token. Undefined when the helper knows no
 * credentials; UnavailableError naming the helper when it cannot be run.
 */
async function fromHelper(name: string, serverUrl: string): Promise<Credentials | undefined> {
  const bin = `docker-credential-${name}`;
  const out = await new Promise<{ code: number | null; stdout: string; stderr: string; err?: Error }>((resolve) => {
    const child = execFile(bin, ['get'], { timeout: 30_000, maxBuffer: 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null) : 0, stdout, stderr, err: err ?? undefined });
    });
    child.stdin?.end(serverUrl);
  });
  if (out.code !== 0) {
    if (/credentials not found/i.test(out.stdout + out.stderr)) return undefined;
    throw new UnavailableError(`credential helper ${bin} failed: ${(out.stderr || out.stdout || out.err?.message || '').trim()}`);
  }
  let j: { Username?: string; Secret?: string };
  try { j = JSON.parse(out.stdout) as typeof j; } catch {
    throw new UnavailableError(`credential helper ${bin} printed invalid JSON`);
  }
  if (!j.Secret) return undefined;
  return j.Username === '<token>' ? { identityToken: j.Secret } : { username: j.Username ?? '', password: j.Secret };
}

/**
 * Credentials for `host` from a Docker CLI config file, the way the docker
 * CLI looks them up: `credHelpers[host]`, then `credsStore`, then the inline
 * `auths` entry. Undefined when nothing is known. A malformed file is an
 * InvalidArgumentError.
 */
export async function fromDockerConfig(file: string, host: string): Promise<Credentials | undefined> {
  let raw: string;
  try { raw = await fs.promises.readFile(file, 'utf8'); } catch { return undefined; }
  let cfg: { auths?: Record<string, AuthConfig>; credsStore?: string; credHelpers?: Record<string, string> };
  try { cfg = JSON.parse(raw) as typeof cfg; } catch (err) {
    throw new InvalidArgumentError(`${file}: invalid JSON (${(err as Error).message})`);
  }
  const serverUrl = host === DOCKER_HUB ? 'https://index.docker.io/v1/' : host;
  const helper = cfg.credHelpers?.[host] ?? cfg.credsStore;
  if (helper) {
    const c = await fromHelper(helper, serverUrl);
    if (c) return c;
  }
  const auths = cfg.auths ?? {};
  for (const k of configKeys(host)) {
    if (auths[k]) return fromAuthConfig(auths[k]);
  }
  return undefined;
}
