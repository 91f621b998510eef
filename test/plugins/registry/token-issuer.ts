/**
 * A small Docker token server for the Bearer tests: `GET /token?service=&scope=`
 * with Basic credentials answers `{token, access_token, expires_in}`, a JWT
 * (RS256) signed with the test CA key and carrying the CA certificate in `x5c`,
 * which docker-registry verifies against its `rootcertbundle`. Listens on
 * 127.0.0.1 only and counts the tokens it issued.
 */
import { createPrivateKey, createSign, randomBytes, X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TokenIssuer {
  realm: string;
  service: string;
  issuer: string;
  /** Requests that got a token, with their scopes. */
  issued: Array<{ account: string; scopes: string[] }>;
  close(): Promise<void>;
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

/** Starts the issuer. `users` maps username → password; each user gets every action asked for. */
export async function startTokenIssuer(caCertFile: string, caKeyFile: string, users: Record<string, string>,
  opts: { staleFirstTokenFor?: string[]; refreshTokens?: Record<string, string> } = {}): Promise<TokenIssuer> {
  /** Users whose first token grants nothing, as a revoked or stale token would: the client must retry once with a fresh one. */
  const stale = new Set(opts.staleFirstTokenFor ?? []);
  const key = createPrivateKey(fs.readFileSync(caKeyFile));
  const der = new X509Certificate(fs.readFileSync(caCertFile)).raw;
  const service = 'berth-test-registry';
  const issuerName = 'berth-test-issuer';
  const issued: TokenIssuer['issued'] = [];
  const server = http.createServer((req, res) => {
    if (req.method === 'POST') {
      // The OAuth2 form (`identitytoken` / refresh token): grant_type=refresh_token&refresh_token=&service=&scope=
      let body = '';
      req.on('data', (c: Buffer) => { body += c.toString(); });
      req.on('end', () => {
        const f = new URLSearchParams(body);
        const user = opts.refreshTokens?.[f.get('refresh_token') ?? ''];
        if (f.get('grant_type') !== 'refresh_token' || !user) { res.writeHead(401); res.end('{"details":"bad refresh token"}'); return; }
        answer(res, user, (f.get('scope') ?? '').split(' ').filter(Boolean));
      });
      return;
    }
    const u = new URL(req.url ?? '/', 'http://x');
    const auth = req.headers.authorization ?? '';
    let account = '';
    if (auth.startsWith('Basic ')) {
      const [user, pass] = Buffer.from(auth.slice(6), 'base64').toString().split(':');
      if (users[user] !== pass) { res.writeHead(401, { 'Content-Type': 'application/json' }); res.end('{"details":"bad credentials"}'); return; }
      account = user;
    }
    answer(res, account, u.searchParams.getAll('scope'));
  });
  const answer = (res: http.ServerResponse, account: string, scopes: string[]): void => {
    const staleNow = stale.delete(account);
    const access = account && !staleNow ? scopes.map((s) => {
      const [type, ...rest] = s.split(':');
      const actions = rest.pop()!.split(',');
      return { type, name: rest.join(':'), actions };
    }) : [];
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'RS256', typ: 'JWT', x5c: [der.toString('base64')] };
    const claims = { iss: issuerName, sub: account, aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access };
    const signing = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const sig = createSign('RSA-SHA256').update(signing).sign(key);
    const token = `${signing}.${b64url(sig)}`;
    issued.push({ account, scopes });
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ token, access_token: token, expires_in: 300, issued_at: new Date().toISOString() }));
  };
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`, service, issuer: issuerName, issued,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
