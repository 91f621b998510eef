/**
 * Auth and TLS against real docker-registry instances on 127.0.0.1: htpasswd
 * (bcrypt) Basic auth, token (Bearer) auth with a JWT issuer signing with the
 * test CA key, TLS with a self-signed CA in certs.d, and client certificates.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Distribution } from '../../../plugins/registry/distribution';
import { hasBusybox } from '../../helpers/busybox-rootfs';
import { hasRegistry, startRegistry, type RegistryServer } from '../../helpers/registry-server';
import { DirTarget } from './dir-target';
import { busyboxLayer, makeTestCa, skopeoPush, writeOciLayout, type TestCa } from './fixtures';
import { newDistribution } from './make-distribution';
import { startTokenIssuer, type TokenIssuer } from './token-issuer';

type Coded = Error & { code?: string };

describe('registry.distribution auth and TLS (real docker-registry)', function () {
  this.timeout(180_000);
  let tmp = '';
  let ca: TestCa;
  const servers: RegistryServer[] = [];
  const dists: Distribution[] = [];
  let issuer: TokenIssuer | undefined;
  let layout = '';

  before(function () {
    if (!hasRegistry() || !hasBusybox() || !fs.existsSync('/usr/bin/htpasswd')) {
      console.log('skip: docker-registry, busybox-static or htpasswd (apache2-utils) is not installed');
      this.skip();
    }
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-auth-'));
    ca = makeTestCa(path.join(tmp, 'ca'));
    layout = path.join(tmp, 'img');
    writeOciLayout(layout, 'v1', [{ layers: [busyboxLayer(tmp)] }]);
  });

  after(async () => {
    try {
      for (const d of dists) d.close();
      await issuer?.close();
      for (const s of servers) await s.stop().catch(() => undefined);
    } finally {
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  async function registry(o: Parameters<typeof startRegistry>[0]): Promise<RegistryServer> {
    const s = await startRegistry(o);
    servers.push(s);
    return s;
  }
  function dist(over: Parameters<typeof newDistribution>[1] = {}): Distribution {
    const d = newDistribution(fs.mkdtempSync(path.join(tmp, 'd-')), over);
    dists.push(d);
    return d;
  }
  function target(): DirTarget { return new DirTarget(fs.mkdtempSync(path.join(tmp, 't-'))); }
  const noProgress = (): void => undefined;

  describe('Basic auth (htpasswd, bcrypt)', () => {
    let reg: RegistryServer;
    before(async () => {
      const pw = path.join(tmp, 'htpasswd');
      fs.writeFileSync(pw, execFileSync('htpasswd', ['-Bbn', 'alice', 's3cret']));
      reg = await registry({ htpasswd: pw });
      await skopeoPush(layout, 'v1', `${reg.host}/priv/bb:v1`, { creds: 'alice:s3cret' });
    });

    it('refuses an anonymous pull with Unauthorized naming the registry', async () => {
      const d = dist();
      await assert.rejects(d.pull(d.parse(`${reg.host}/priv/bb:v1`), target(), { progress: noProgress }),
        (e: Coded) => e.code === 'Unauthorized' && e.message.includes(reg.host));
    });

    it('pulls with X-Registry-Auth credentials and refuses a wrong password', async () => {
      const d = dist();
      const t = target();
      const r = await d.pull(d.parse(`${reg.host}/priv/bb:v1`), t, { progress: noProgress, auth: { username: 'alice', password: 's3cret' } });
      assert.equal(t.records()[0].id, r.id);
      await assert.rejects(d.pull(d.parse(`${reg.host}/priv/bb:v1`), target(), { progress: noProgress, auth: { username: 'alice', password: 'wrong' } }),
        (e: Coded) => e.code === 'Unauthorized');
    });

    it('pulls with the base64 auth of ~/.docker/config.json (docker login)', async () => {
      const dir = fs.mkdtempSync(path.join(tmp, 'cfg-'));
      const cfg = path.join(dir, 'config.json');
      fs.writeFileSync(cfg, JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from('alice:s3cret').toString('base64') } } }));
      const d = dist({ dockerConfig: cfg });
      const t = target();
      await d.pull(d.parse(`${reg.host}/priv/bb:v1`), t, { progress: noProgress });
      assert.equal(t.records().length, 1);
    });
  });

  describe('Docker credential helpers', () => {
    let reg: RegistryServer;
    before(async () => {
      const pw = path.join(tmp, 'htpasswd-helper');
      fs.writeFileSync(pw, execFileSync('htpasswd', ['-Bbn', 'erin', 'h3lper']));
      reg = await registry({ htpasswd: pw });
      await skopeoPush(layout, 'v1', `${reg.host}/priv/helped:v1`, { creds: 'erin:h3lper' });
    });

    it('asks docker-credential-<credHelpers[host]> for the registry (credsStore protocol: URL on stdin, JSON out)', async () => {
      const bin = fs.mkdtempSync(path.join(tmp, 'bin-'));
      const asked = path.join(bin, 'asked');
      fs.writeFileSync(path.join(bin, 'docker-credential-berthtest'), [
        '#!/bin/sh',
        `[ "$1" = get ] || exit 2`,
        'read url',
        `echo "$url" >> ${asked}`,
        `if [ "$url" = "${reg.host}" ]; then echo '{"ServerURL":"${reg.host}","Username":"erin","Secret":"h3lper"}'; else echo 'credentials not found in native keychain'; exit 1; fi`,
      ].join('\n') + '\n', { mode: 0o755 });
      const cfg = path.join(bin, 'config.json');
      fs.writeFileSync(cfg, JSON.stringify({ auths: {}, credHelpers: { [reg.host]: 'berthtest' } }));
      const savedPath = process.env.PATH;
      process.env.PATH = `${bin}:${savedPath ?? ''}`;
      try {
        const d = dist({ dockerConfig: cfg });
        const t = target();
        await d.pull(d.parse(`${reg.host}/priv/helped:v1`), t, { progress: noProgress });
        assert.equal(t.records().length, 1);
        assert.equal(fs.readFileSync(asked, 'utf8'), `${reg.host}\n`);
      } finally {
        process.env.PATH = savedPath;
      }
    });
  });

  describe('Bearer token auth (auth.token + JWT issuer signed by the test CA)', () => {
    let reg: RegistryServer;
    before(async () => {
      issuer = await startTokenIssuer(ca.caCert, ca.caKey, { bob: 'hunter2', carol: 'pw' }, { staleFirstTokenFor: ['carol'], refreshTokens: { 'rt-dave-123': 'dave' } });
      reg = await registry({ token: { realm: issuer.realm, service: issuer.service, issuer: issuer.issuer, rootCertBundle: ca.caCert } });
      await skopeoPush(layout, 'v1', `${reg.host}/team/bb:v1`, { creds: 'bob:hunter2' });
    });

    it('gets a token for the repository scope, pulls, and reuses the cached token', async () => {
      const d = dist();
      const before = issuer!.issued.length;
      const t = target();
      await d.pull(d.parse(`${reg.host}/team/bb:v1`), t, { progress: noProgress, auth: { username: 'bob', password: 'hunter2' } });
      assert.equal(t.records().length, 1);
      const mine = issuer!.issued.slice(before);
      assert.equal(mine.length, 1, `one token for the whole pull, got ${JSON.stringify(mine)}`);
      assert.deepEqual(mine[0], { account: 'bob', scopes: ['repository:team/bb:pull'] });
      await d.pull(d.parse(`${reg.host}/team/bb:v1`), target(), { progress: noProgress, auth: { username: 'bob', password: 'hunter2' } });
      assert.equal(issuer!.issued.length, before + 1, 'the second pull used the cached token');
    });

    it('retries once with a fresh token when the registry refuses the cached one (401)', async () => {
      const d = dist();
      const before = issuer!.issued.length;
      const t = target();
      await d.pull(d.parse(`${reg.host}/team/bb:v1`), t, { progress: noProgress, auth: { username: 'carol', password: 'pw' } });
      assert.equal(t.records().length, 1);
      assert.equal(issuer!.issued.length - before, 2, 'the refused token was replaced exactly once');
    });

    it('uses an identitytoken with the OAuth2 refresh-token form, and a registrytoken as is', async () => {
      const d = dist();
      const before = issuer!.issued.length;
      const t = target();
      await d.pull(d.parse(`${reg.host}/team/bb:v1`), t, { progress: noProgress, auth: { identitytoken: 'rt-dave-123' } });
      assert.equal(t.records().length, 1);
      assert.deepEqual(issuer!.issued.slice(before), [{ account: 'dave', scopes: ['repository:team/bb:pull'] }]);
      await assert.rejects(dist().pull(d.parse(`${reg.host}/team/bb:v1`), target(), { progress: noProgress, auth: { identitytoken: 'wrong' } }),
        (e: Coded) => e.code === 'Unauthorized');

      // A token obtained elsewhere (X-Registry-Auth registrytoken) is sent as is: no token request.
      const res = await fetch(`${issuer!.realm}?service=${issuer!.service}&scope=repository:team/bb:pull`,
        { headers: { Authorization: `Basic ${Buffer.from('bob:hunter2').toString('base64')}` } });
      const { token } = await res.json() as { token: string };
      const n = issuer!.issued.length;
      const t2 = target();
      await dist().pull(d.parse(`${reg.host}/team/bb:v1`), t2, { progress: noProgress, auth: { registrytoken: token } });
      assert.equal(t2.records().length, 1);
      assert.equal(issuer!.issued.length, n, 'no token was requested');
    });

    it('fails anonymous pulls with Unauthorized (the token grants nothing) and bad passwords at the token server', async () => {
      const d = dist();
      await assert.rejects(d.pull(d.parse(`${reg.host}/team/bb:v1`), target(), { progress: noProgress }),
        (e: Coded) => e.code === 'Unauthorized');
      await assert.rejects(d.pull(d.parse(`${reg.host}/team/bb:v1`), target(), { progress: noProgress, auth: { username: 'bob', password: 'nope' } }),
        (e: Coded) => e.code === 'Unauthorized' && /token server/.test(e.message));
    });
  });

  describe('TLS', () => {
    let reg: RegistryServer;
    let mtls: RegistryServer;
    before(async () => {
      reg = await registry({ tls: { cert: ca.serverCert, key: ca.serverKey } });
      mtls = await registry({ tls: { cert: ca.serverCert, key: ca.serverKey, clientCa: ca.caCert } });
      await skopeoPush(layout, 'v1', `${reg.host}/tls/bb:v1`);
      const certDir = path.join(tmp, 'skopeo-certs');
      fs.mkdirSync(certDir, { recursive: true });
      fs.copyFileSync(ca.caCert, path.join(certDir, 'ca.crt'));
      fs.copyFileSync(ca.clientCert, path.join(certDir, 'client.cert'));
      fs.copyFileSync(ca.clientKey, path.join(certDir, 'client.key'));
      await skopeoPush(layout, 'v1', `${mtls.host}/tls/bb:v1`, { certDir });
    });

    it('treats 127.0.0.0/8 as insecure by default: HTTPS without verification', async () => {
      const d = dist();
      const t = target();
      await d.pull(d.parse(`${reg.host}/tls/bb:v1`), t, { progress: noProgress });
      assert.equal(t.records().length, 1);
    });

    it('verifies the server against certs.d/<host:port>/ca.crt when the registry is secure', async () => {
      const noCa = dist({ loopbackInsecure: false });
      await assert.rejects(noCa.pull(noCa.parse(`${reg.host}/tls/bb:v1`), target(), { progress: noProgress }),
        (e: Coded) => e.code === 'Unavailable' && /certificate/i.test(e.message));
      const certsDir = fs.mkdtempSync(path.join(tmp, 'certs.d-'));
      fs.mkdirSync(path.join(certsDir, reg.host));
      fs.copyFileSync(ca.caCert, path.join(certsDir, reg.host, 'ca.crt'));
      const withCa = dist({ loopbackInsecure: false, certsDir });
      const t = target();
      await withCa.pull(withCa.parse(`${reg.host}/tls/bb:v1`), t, { progress: noProgress });
      assert.equal(t.records().length, 1);
    });

    it('presents the client certificate from certs.d to a registry that requires one', async () => {
      const certsDir = fs.mkdtempSync(path.join(tmp, 'certs.d-'));
      const hostDir = path.join(certsDir, mtls.host);
      fs.mkdirSync(hostDir);
      fs.copyFileSync(ca.caCert, path.join(hostDir, 'ca.crt'));
      const noClient = dist({ loopbackInsecure: false, certsDir });
      await assert.rejects(noClient.pull(noClient.parse(`${mtls.host}/tls/bb:v1`), target(), { progress: noProgress }),
        (e: Coded) => e.code === 'Unavailable');
      fs.copyFileSync(ca.clientCert, path.join(hostDir, 'client.cert'));
      fs.copyFileSync(ca.clientKey, path.join(hostDir, 'client.key'));
      const withClient = dist({ loopbackInsecure: false, certsDir });
      const t = target();
      await withClient.pull(withClient.parse(`${mtls.host}/tls/bb:v1`), t, { progress: noProgress });
      assert.equal(t.records().length, 1);
    });
  });
});
