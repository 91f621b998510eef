/**
 * Where berthd listens: unix sockets (0660, owned by the configured group),
 * TCP only with TLS, and with tlsverify only clients holding a certificate
 * signed by the CA. Certificates are made with openssl for the test; all
 * traffic is to 127.0.0.1.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import { ApiServer } from '../../../core/api/api-server';
import { groupId, listen, type Listener } from '../../../core/api/listeners';
import { allRoutes } from '../../../core/api/routes';
import type { OwnedKernel } from '../../../core/daemon/create-kernel';
import { makeTestKernel } from '../../helpers/test-kernel';
import { request } from './http-helpers';
import { makeTestCerts } from './tls-certs';

function tlsGet(port: number, dir: string, withClientCert: boolean): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1', port, path: '/_ping', method: 'GET', agent: false,
      ca: fs.readFileSync(path.join(dir, 'ca.pem')),
      ...(withClientCert ? { cert: fs.readFileSync(path.join(dir, 'client-cert.pem')), key: fs.readFileSync(path.join(dir, 'client-key.pem')) } : {}),
    }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('api listeners', function () {
  let dir: string;
  let kernel: OwnedKernel;
  let api: ApiServer;
  const open: Listener[] = [];

  before(async () => {
    dir = fs.mkdtempSync('/tmp/berth-test-listen-');
    kernel = await makeTestKernel({ dataRoot: path.join(dir, 'data') });
    api = new ApiServer(kernel, allRoutes, { version: '0.0.0-test' });
  });

  after(async () => {
    try {
      for (const l of open) await l.close();
      await kernel?.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('makes the unix socket 0660 and gives it to the group, and removes it on close', async function () {
    const gid = groupId('daemon');
    if (gid === undefined) { console.log('skip: no group "daemon" in /etc/group to hand the socket to'); this.skip(); }
    const sock = path.join(dir, 'group.sock');
    const l = await listen(`unix://${sock}`, api, { tls: false, tlsverify: false }, 'daemon');
    try {
      const st = fs.statSync(sock);
      assert.ok(st.isSocket());
      assert.equal(st.mode & 0o777, 0o660);
      assert.equal(st.gid, gid);
      assert.equal((await request(sock, 'GET', '/_ping')).status, 200);
    } finally {
      await l.close();
    }
    assert.equal(fs.existsSync(sock), false);
  });

  it('replaces a stale socket file but refuses to clobber a regular file', async () => {
    const stale = path.join(dir, 'stale.sock');
    const first = await listen(`unix://${stale}`, api, { tls: false, tlsverify: false }, 'berth');
    await first.close();
    // a socket file left behind by a crash
    execFileSync('python3', ['-c', `import socket; s=socket.socket(socket.AF_UNIX); s.bind(${JSON.stringify(stale)})`]);
    const again = await listen(`unix://${stale}`, api, { tls: false, tlsverify: false }, 'berth');
    open.push(again);
    assert.equal((await request(stale, 'GET', '/_ping')).status, 200);
    const regular = path.join(dir, 'regular');
    fs.writeFileSync(regular, 'not a socket');
    await assert.rejects(listen(`unix://${regular}`, api, { tls: false, tlsverify: false }, 'berth'), /exists and is not a socket/);
  });

  it('refuses tcp:// without TLS', async () => {
    await assert.rejects(listen('tcp://127.0.0.1:0', api, { tls: false, tlsverify: false }, 'berth'), /refusing to listen on tcp:\/\/127\.0\.0\.1:0 without TLS/);
  });

  it('serves TLS, and with tlsverify only clients with a certificate from the CA', async function () {
    try { makeTestCerts(dir); } catch { console.log('skip: openssl could not make test certificates'); this.skip(); }
    const tls = {
      tls: true, tlsverify: true, tlscacert: path.join(dir, 'ca.pem'),
      tlscert: path.join(dir, 'cert.pem'), tlskey: path.join(dir, 'key.pem'),
    };
    const l = await listen('tcp://127.0.0.1:0', api, tls, 'berth');
    open.push(l);
    assert.ok(l.port && l.port > 0);
    assert.deepEqual(await tlsGet(l.port, dir, true), { status: 200, body: 'OK' });
    await assert.rejects(tlsGet(l.port, dir, false));
  });
});
