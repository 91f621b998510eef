/**
 * berthd on TCP with `--tlsverify`, driven by the real docker CLI with client
 * certificates (`docker --tlsverify -H tcp://127.0.0.1:<port>`), and refused
 * to a client without one. Traffic stays on 127.0.0.1.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { freePort } from '../helpers/registry-server';
import { makeTestCerts, type TestCerts } from '../core/api/tls-certs';
import { DOCKER, startAcceptanceDaemon, type AcceptanceDaemon } from './acceptance-env';

describe('acceptance: TLS with client certificates', function () {
  let d: AcceptanceDaemon | undefined;
  let certDir: string;
  let certs: TestCerts;
  let port: number;

  before(async function () {
    if (!DOCKER) { console.log('skip: no docker CLI on this machine'); this.skip(); }
    if (process.getuid?.() !== 0) { console.log('skip: berthd needs root (namespaces, mounts, cgroups)'); this.skip(); }
    certDir = fs.mkdtempSync('/tmp/berth-test-acc-tls-');
    try { certs = makeTestCerts(certDir); } catch { console.log('skip: openssl could not make test certificates'); this.skip(); }
    port = await freePort();
    d = await startAcceptanceDaemon(
      { tls: true, tlsverify: true, tlscacert: certs.ca, tlscert: certs.cert, tlskey: certs.key },
      [`tcp://127.0.0.1:${port}`],
    );
  });

  after(async () => {
    try { await d?.stop(); } finally { if (certDir) fs.rmSync(certDir, { recursive: true, force: true }); }
  });

  it('serves the docker CLI over TLS when it presents a client certificate', async () => {
    const out = await d!.dockerOk(['--tlsverify', '--tlscacert', certs.ca, '--tlscert', certs.clientCert, '--tlskey', certs.clientKey,
      '-H', `tcp://127.0.0.1:${port}`, 'version', '--format', '{{.Server.APIVersion}}']);
    assert.equal(out.trim(), '1.41');
  });

  it('refuses a client without a certificate', async () => {
    const r = await d!.docker(['--tls', '--tlscacert', certs.ca, '-H', `tcp://127.0.0.1:${port}`, 'version', '--format', '{{.Server.APIVersion}}']);
    assert.notEqual(r.code, 0);
    assert.doesNotMatch(r.stdout, /1\.41/);
  });
});
