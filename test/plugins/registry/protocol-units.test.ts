/**
 * The pure parts of the distribution client: WWW-Authenticate parsing,
 * manifest classification (schema 1 refused), platform selection, which
 * registries are insecure, X-Registry-Auth decoding, Docker's progress bar.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseChallenges } from '../../../plugins/registry/auth-challenge';
import { decodeRegistryAuth, fromAuthConfig, fromDockerConfig } from '../../../plugins/registry/credentials';
import { EndpointResolver } from '../../../plugins/registry/endpoints';
import { parseManifest, parsePlatform, selectPlatform, type ImageIndex } from '../../../plugins/registry/manifest';
import { humanSize, progressBar } from '../../../plugins/registry/progress';
import { parseReference } from '../../../plugins/registry/reference';

type Coded = Error & { code?: string };

describe('registry.distribution protocol units', () => {
  let tmp = '';
  before(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-regunits-')); });
  after(() => { fs.rmSync(tmp, { recursive: true, force: true }); });

  it('parses Bearer and Basic challenges with quoted, escaped and unquoted params', () => {
    const c = parseChallenges(['Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"', 'Basic realm=x, charset="UTF-8"']);
    assert.deepEqual(c, [
      { scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' } },
      { scheme: 'basic', params: { realm: 'x', charset: 'UTF-8' } },
    ]);
    assert.deepEqual(parseChallenges('Basic realm="a \\"quoted\\" realm"'), [{ scheme: 'basic', params: { realm: 'a "quoted" realm' } }]);
  });

  it('refuses Docker schema 1 manifests with a message saying so', () => {
    const s1 = Buffer.from(JSON.stringify({ schemaVersion: 1, name: 'x', tag: 'y', fsLayers: [], history: [] }));
    assert.throws(() => parseManifest(s1, 'application/vnd.docker.distribution.manifest.v1+prettyjws', 'x:y'),
      (e: Coded) => e.code === 'FailedPrecondition' && /schema 1/.test(e.message) && /x:y/.test(e.message));
    assert.throws(() => parseManifest(Buffer.from('{"mediaType":"application/x-unknown"}'), undefined, 'z'),
      (e: Coded) => e.code === 'InvalidArgument' && /application\/x-unknown/.test(e.message));
  });

  it('selects os/arch/variant from an index, preferring the exact variant and skipping attestations', () => {
    const d = (arch: string, variant?: string, os_ = 'linux'): ImageIndex['manifests'][number] =>
      ({ mediaType: 'm', digest: `sha256:${arch}${variant ?? ''}`, size: 1, platform: { os: os_, architecture: arch, variant } });
    const index: ImageIndex = { schemaVersion: 2, mediaType: 'i', manifests: [
      d('unknown', undefined, 'unknown'), d('arm', 'v6'), d('arm', 'v7'), d('arm64', 'v8'), d('amd64'),
    ] };
    assert.equal(selectPlatform(index, parsePlatform('linux/amd64'), 'r').digest, 'sha256:amd64');
    assert.equal(selectPlatform(index, parsePlatform('linux/arm64'), 'r').digest, 'sha256:arm64v8');
    assert.equal(selectPlatform(index, parsePlatform('linux/arm/v7'), 'r').digest, 'sha256:armv7');
    assert.equal(selectPlatform(index, parsePlatform('linux/arm/v6'), 'r').digest, 'sha256:armv6');
    assert.throws(() => selectPlatform(index, parsePlatform('windows/amd64'), 'r'),
      (e: Coded) => e.code === 'NotFound' && /windows\/amd64/.test(e.message) && /linux\/arm\/v7/.test(e.message) && !/unknown/.test(e.message));
    assert.throws(() => parsePlatform('linux//x'), (e: Coded) => e.code === 'InvalidArgument');
  });

  it('treats loopback and listed registries (host or CIDR) as insecure, others as secure', () => {
    const r = new EndpointResolver({ insecureRegistries: ['myreg.example:5000', '10.1.0.0/16'], mirrors: [], certsDir: path.join(tmp, 'none'), loopbackInsecure: true });
    try {
      assert.equal(r.isInsecure('127.0.0.1:5000'), true);
      assert.equal(r.isInsecure('127.3.4.5'), true);
      assert.equal(r.isInsecure('[::1]:5000'), true);
      assert.equal(r.isInsecure('localhost:5000'), true);
      assert.equal(r.isInsecure('myreg.example:5000'), true);
      assert.equal(r.isInsecure('10.1.200.3:443'), true);
      assert.equal(r.isInsecure('10.2.0.1'), false);
      assert.equal(r.isInsecure('registry.example'), false);
      assert.deepEqual(r.endpoints('127.0.0.1:5000').map((e) => [e.base, e.tlsVerify]), [['https://127.0.0.1:5000', false], ['http://127.0.0.1:5000', false]]);
      assert.deepEqual(r.endpoints('registry.example').map((e) => [e.base, e.tlsVerify]), [['https://registry.example', true]]);
    } finally { r.close(); }
  });

  it('refuses a client certificate without its key in certs.d', () => {
    const certs = path.join(tmp, 'certs.d');
    fs.mkdirSync(path.join(certs, 'reg.example:5000'), { recursive: true });
    fs.writeFileSync(path.join(certs, 'reg.example:5000', 'client.cert'), 'x');
    const r = new EndpointResolver({ insecureRegistries: [], mirrors: [], certsDir: certs, loopbackInsecure: true });
    try {
      assert.throws(() => r.endpoints('reg.example:5000'), (e: Coded) => e.code === 'InvalidArgument' && /client\.key/.test(e.message));
    } finally { r.close(); }
  });

  it('decodes X-Registry-Auth and docker config auths', async () => {
    const hdr = Buffer.from(JSON.stringify({ username: 'u', password: 'p' })).toString('base64url');
    assert.deepEqual(fromAuthConfig(decodeRegistryAuth(hdr)), { username: 'u', password: 'p' });
    assert.throws(() => decodeRegistryAuth('!!notjson'), (e: Coded) => e.code === 'InvalidArgument' && /X-Registry-Auth/.test(e.message));
    const cfg = path.join(tmp, 'config.json');
    fs.writeFileSync(cfg, JSON.stringify({ auths: { 'https://index.docker.io/v1/': { auth: Buffer.from('hub:pw').toString('base64') } } }));
    assert.deepEqual(await fromDockerConfig(cfg, 'docker.io'), { username: 'hub', password: 'pw' });
    assert.equal(await fromDockerConfig(cfg, 'other.example'), undefined);
  });

  it('normalises references through core\'s parser', () => {
    assert.deepEqual(parseReference('busybox'), { registry: 'docker.io', repository: 'library/busybox', tag: 'latest', digest: undefined, name: 'docker.io/library/busybox', familiar: 'busybox:latest' });
    assert.equal(parseReference('127.0.0.1:5000/a/b:1').familiar, '127.0.0.1:5000/a/b:1');
    assert.throws(() => parseReference('Busybox'), (e: Coded) => e.code === 'InvalidArgument');
  });

  it('draws Docker\'s progress bar and sizes', () => {
    assert.equal(humanSize(1234567), '1.235MB');
    assert.equal(humanSize(999), '999B');
    assert.equal(progressBar(50, 100), `[${'='.repeat(25)}>${' '.repeat(24)}] ${'50B'.padStart(8)}/100B`);
    assert.equal(progressBar(100, 100), `[${'='.repeat(50)}] ${'100B'.padStart(8)}/100B`);
  });
});
