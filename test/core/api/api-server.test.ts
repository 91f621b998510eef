/**
 * The API server over a real unix socket, with the real kernel and system
 * jobs. Container/exec/image jobs are registered here as small test jobs:
 * these tests are about the HTTP side (framing, hijack, half-close, detach,
 * errors); the real services are driven end to end in test/acceptance.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { ApiServer } from '../../../core/api/api-server';
import { listen, type Listener } from '../../../core/api/listeners';
import { allRoutes } from '../../../core/api/routes';
import { demux } from '../../../core/api/stdcopy';
import type { OwnedKernel } from '../../../core/daemon/create-kernel';
import type { Job } from '../../../core/engine/job';
import type { JobName } from '../../../core/engine/job-map';
import { NotFoundError, NotModifiedError } from '../../../core/errors';
import { makeEvent } from '../../../core/system/events-bridge';
import { setupSystem } from '../../../core/system/setup-system';
import { makeTestKernel } from '../../helpers/test-kernel';
import { RawConn, request } from './http-helpers';

type AnyJob = Job<Record<string, unknown>>;

describe('api server', function () {
  let dir: string;
  let kernel: OwnedKernel;
  let listener: Listener;
  let sock: string;
  const attachSeen: Array<Record<string, unknown>> = [];
  let releaseWait: ((code: number) => void) | undefined;

  function job(name: string, fn: (j: AnyJob) => unknown): void {
    kernel.engine.register(name as JobName, fn as never, 'test');
  }

  async function readAll(s: Readable, signal: AbortSignal): Promise<string> {
    let text = '';
    return new Promise((resolve) => {
      s.on('data', (c: Buffer) => { text += c.toString(); });
      s.on('end', () => resolve(text));
      signal.addEventListener('abort', () => resolve(text), { once: true });
    });
  }

  before(async () => {
    dir = fs.mkdtempSync('/tmp/berth-test-api-');
    kernel = await makeTestKernel({ dataRoot: path.join(dir, 'data') });
    await setupSystem(kernel);
    job('container.resolve', (j) => {
      if (j.input.id === 'tty') return { Id: 'tty', Name: '/tty', Tty: true };
      if (j.input.id === 'plain') return { Id: 'plain', Name: '/plain', Tty: false };
      throw new NotFoundError(`No such container: ${String(j.input.id)}`);
    });
    job('container.attach', async (j) => {
      attachSeen.push(j.input);
      const text = await readAll(j.io.stdin, j.signal);
      j.io.stdout.write(text.toUpperCase());
      if (j.input.id === 'plain') j.io.stderr.write('bye\n');
    });
    job('container.logs', (j) => {
      j.io.stdout.write('out line\n');
      j.io.stderr.write('err line\n');
      j.io.stdout.write(`tail=${String(j.input.tail)}\n`);
    });
    job('container.start', (j) => { if (j.input.id === 'plain') throw new NotModifiedError('container already started'); });
    job('container.wait', () => new Promise((resolve) => { releaseWait = (code) => resolve({ StatusCode: code, Error: null }); }));
    job('exec.inspect', () => ({ ID: 'e1', ProcessConfig: { tty: false }, OpenStdin: true }));
    job('exec.start', async (j) => {
      const text = await readAll(j.io.stdin, j.signal);
      j.io.stdout.write(`exec got ${text}`);
    });
    job('image.pull', (j) => {
      if (j.input.fromImage === 'bad ref') throw new (require('../../../core/errors').InvalidArgumentError)('invalid reference format');
      j.io.stdout.write(JSON.stringify({ status: 'Pulling from x' }) + '\n');
      throw new Error('registry went away');
    });
    listener = await listen(`unix://${path.join(dir, 'api.sock')}`, new ApiServer(kernel, allRoutes, { version: '9.9.9' }), { tls: false, tlsverify: false }, 'berth');
    sock = listener.socketPath!;
  });

  after(async () => {
    try {
      await listener?.close();
      await kernel?.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers _ping (GET and HEAD) with Docker headers and a 0660 socket', async () => {
    const r = await request(sock, 'GET', '/_ping');
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), 'OK');
    assert.equal(r.headers['api-version'], '1.41');
    assert.equal(r.headers.ostype, 'linux');
    assert.equal(r.headers.server, 'Berth/9.9.9 (linux)');
    assert.equal(r.headers['docker-experimental'], 'false');
    const h = await request(sock, 'HEAD', '/v1.30/_ping');
    assert.equal(h.status, 200);
    assert.equal(h.body.length, 0);
    assert.equal(fs.statSync(sock).mode & 0o777, 0o660);
  });

  it('serves version and info from the system jobs', async () => {
    const v = JSON.parse((await request(sock, 'GET', '/v1.41/version')).body.toString());
    assert.equal(v.ApiVersion, '1.41');
    assert.equal(v.MinAPIVersion, '1.24');
    assert.equal(v.Os, 'linux');
    const info = JSON.parse((await request(sock, 'GET', '/info')).body.toString());
    assert.equal(info.OSType, 'linux');
    assert.ok(['1', '2'].includes(info.CgroupVersion));
    assert.equal(info.DockerRootDir, path.join(dir, 'data'));
    assert.ok(info.NCPU >= 1);
    assert.ok(Array.isArray(info.SecurityOptions));
  });

  it('refuses API versions out of range, unknown routes and missing jobs the Docker way', async () => {
    const tooNew = await request(sock, 'GET', '/v1.50/info');
    assert.equal(tooNew.status, 400);
    assert.deepEqual(JSON.parse(tooNew.body.toString()), { message: 'client version 1.50 is too new. Maximum supported API version is 1.41' });
    const nf = await request(sock, 'GET', '/v1.41/nowhere');
    assert.equal(nf.status, 404);
    assert.deepEqual(JSON.parse(nf.body.toString()), { message: 'page not found' });
    const missing = await request(sock, 'GET', '/containers/json');
    assert.equal(missing.status, 501);
    assert.match(JSON.parse(missing.body.toString()).message, /container\.list is not available/);
  });

  it('answers 400 naming the problem for bad JSON, bad fields and bad query values (names are the jobs\' to check)', async () => {
    const json = { 'Content-Type': 'application/json' };
    const bad = await request(sock, 'POST', '/containers/create', { body: '{"Image": ', headers: json });
    assert.equal(bad.status, 400);
    assert.match(JSON.parse(bad.body.toString()).message, /^invalid JSON in request body/);
    const typ = await request(sock, 'POST', '/containers/create', { body: '{"Image":"x","Tty":"yes"}', headers: json });
    assert.equal(typ.status, 400);
    assert.equal(JSON.parse(typ.body.toString()).message, 'invalid value for Tty: must be boolean');
    const q = await request(sock, 'POST', '/containers/plain/stop?t=soon');
    assert.equal(q.status, 400);
    assert.match(JSON.parse(q.body.toString()).message, /query parameter t/);
  });

  it('answers features berth does not have the way such a Docker daemon does', async () => {
    const build = await request(sock, 'POST', '/v1.41/build');
    assert.equal(build.status, 501);
    assert.match(JSON.parse(build.body.toString()).message, /does not build images/);
    const swarm = await request(sock, 'GET', '/v1.41/swarm');
    assert.equal(swarm.status, 503);
    assert.match(JSON.parse(swarm.body.toString()).message, /^This node is not a swarm manager/);
    const plugins = await request(sock, 'GET', '/plugins');
    assert.deepEqual(JSON.parse(plugins.body.toString()), []);
  });

  it('answers malformed paths and methods with 4xx and keeps serving', async () => {
    const enc = await request(sock, 'GET', '/v1.41/containers/%zz/json');
    assert.ok(enc.status >= 400 && enc.status < 500, String(enc.status));
    const patch = await request(sock, 'PATCH', '/v1.41/containers/plain/json');
    assert.equal(patch.status, 404);
    const deep = await request(sock, 'GET', `/v1.41/${'x/'.repeat(2000)}`);
    assert.equal(deep.status, 404);
    const noBody = await request(sock, 'POST', '/v1.41/containers/create', { headers: { 'Content-Type': 'application/json' } });
    assert.equal(noBody.status, 400);
    assert.match(JSON.parse(noBody.body.toString()).message, /JSON body is required/);
    const notJson = await request(sock, 'POST', '/v1.41/containers/create', { body: 'Image=x', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    assert.equal(notJson.status, 400);
    assert.match(JSON.parse(notJson.body.toString()).message, /must be 'application\/json'/);
    assert.equal((await request(sock, 'GET', '/_ping')).status, 200);
  });

  it('maps NotModified to a bare 304 and NotFound to 404 with the message', async () => {
    const r = await request(sock, 'POST', '/containers/plain/start');
    assert.equal(r.status, 304);
    assert.equal(r.body.length, 0);
    const nf = await request(sock, 'GET', '/containers/ghost/logs?stdout=1');
    assert.equal(nf.status, 404);
    assert.deepEqual(JSON.parse(nf.body.toString()), { message: 'No such container: ghost' });
  });

  it('lets hooks.api.authorize veto a request with 403', async () => {
    kernel.hooks.api.authorize.tapPromise('test-authz', async (r) => (r.path === '/images/json' ? { allow: false, msg: 'images are off limits' } : undefined));
    const r = await request(sock, 'GET', '/v1.41/images/json');
    assert.equal(r.status, 403);
    assert.deepEqual(JSON.parse(r.body.toString()), { message: 'images are off limits' });
  });

  it('multiplexes logs without a tty', async () => {
    const r = await request(sock, 'GET', '/containers/plain/logs?stdout=1&stderr=1&tail=2');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/vnd.docker.raw-stream');
    const { frames, rest } = demux(r.body);
    assert.equal(rest.length, 0);
    assert.deepEqual(frames.map((f) => [f.type, f.data.toString()]), [[1, 'out line\n'], [2, 'err line\n'], [1, 'tail=2\n']]);
    const none = await request(sock, 'GET', '/containers/plain/logs');
    assert.equal(none.status, 400);
  });

  it('hijacks attach with Upgrade: tcp, frames output, and ends stdin on half-close', async () => {
    const c = new RawConn(sock);
    try {
      c.socket.write('POST /v1.41/containers/plain/attach?stream=1&stdin=1&stdout=1&stderr=1 HTTP/1.1\r\nHost: berth\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
      const head = await c.head();
      assert.equal(head.status, 101);
      assert.match(head.text, /Content-Type: application\/vnd\.docker\.raw-stream/);
      assert.match(head.text, /Upgrade: tcp/);
      c.socket.write('hello ');
      c.socket.end('world');
      const { frames } = demux(await c.rest());
      assert.deepEqual(frames.map((f) => [f.type, f.data.toString()]), [[1, 'HELLO WORLD'], [2, 'bye\n']]);
      assert.deepEqual(attachSeen.at(-1), { id: 'plain', logs: false, stream: true, stdin: true, stdout: true, stderr: true, detachKeys: 'ctrl-p,ctrl-q' });
    } finally {
      c.destroy();
    }
  });

  it('serves attach without an upgrade as a 200 stream whose request body is stdin', async () => {
    const r = await request(sock, 'POST', '/v1.41/containers/plain/attach?stream=1&stdin=1&stdout=1&stderr=1', { body: 'no upgrade' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/vnd.docker.raw-stream');
    const { frames } = demux(r.body);
    assert.deepEqual(frames.map((f) => [f.type, f.data.toString()]), [[1, 'NO UPGRADE'], [2, 'bye\n']]);
  });

  it('detaches a tty attach on the detach keys and sends raw output', async () => {
    const c = new RawConn(sock);
    try {
      c.socket.write('POST /containers/tty/attach?stream=1&stdin=1&stdout=1&detachKeys=ctrl-a,x HTTP/1.1\r\nHost: berth\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
      assert.equal((await c.head()).status, 101);
      c.socket.write(Buffer.from([0x61, 0x62, 0x01, 0x78, 0x7a])); // "ab", ctrl-a, "x", then "z" after detaching
      assert.equal((await c.rest()).toString(), 'AB');
    } finally {
      c.destroy();
    }
  });

  it('answers attach to an unknown container with a JSON 404 instead of hijacking', async () => {
    const c = new RawConn(sock);
    try {
      c.socket.write('POST /containers/ghost/attach?stream=1 HTTP/1.1\r\nHost: berth\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
      const head = await c.head();
      assert.equal(head.status, 404);
      assert.match((await c.rest()).toString(), /No such container: ghost/);
    } finally {
      c.destroy();
    }
  });

  it('reads the exec start body from an upgraded connection and keeps what follows as stdin', async () => {
    const c = new RawConn(sock);
    try {
      const body = '{"Detach":false,"Tty":false}';
      c.socket.write(`POST /v1.41/exec/e1/start HTTP/1.1\r\nHost: berth\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}early `);
      assert.equal((await c.head()).status, 101);
      c.socket.end('input');
      const { frames } = demux(await c.rest());
      assert.deepEqual(frames.map((f) => f.data.toString()), ['exec got early input']);
    } finally {
      c.destroy();
    }
  });

  it('sends wait headers before the container exits, the status after', async () => {
    const c = new RawConn(sock);
    try {
      c.socket.write('POST /containers/plain/wait?condition=next-exit HTTP/1.1\r\nHost: berth\r\nContent-Length: 0\r\n\r\n');
      const head = await c.head();
      assert.equal(head.status, 200);
      assert.ok(releaseWait, 'the wait job is running');
      releaseWait(3);
      const body = await c.atLeast(10);
      assert.match(body.toString(), /\{"StatusCode":3,"Error":null\}/);
      const bad = await request(sock, 'POST', '/containers/plain/wait?condition=whenever');
      assert.equal(bad.status, 400);
    } finally {
      c.destroy();
    }
  });

  it('streams pull progress, with a proper status for early failures and errorDetail for late ones', async () => {
    const early = await request(sock, 'POST', '/images/create?fromImage=bad%20ref');
    assert.equal(early.status, 400);
    assert.deepEqual(JSON.parse(early.body.toString()), { message: 'invalid reference format' });
    const late = await request(sock, 'POST', '/images/create?fromImage=busybox&tag=latest');
    assert.equal(late.status, 200);
    const lines = late.body.toString().trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines, [{ status: 'Pulling from x' }, { errorDetail: { message: 'registry went away' }, error: 'registry went away' }]);
  });

  it('streams /events from hooks.engine.event with filters, and replays with since', async () => {
    const t0 = Math.floor(Date.now() / 1000) - 1;
    await kernel.hooks.engine.event.promise(makeEvent('volume', 'create', 'bt-vol', { driver: 'local' }));
    const c = new RawConn(sock);
    try {
      const filters = encodeURIComponent(JSON.stringify({ type: ['network', 'volume'] }));
      c.socket.write(`GET /v1.41/events?since=${t0}&filters=${filters} HTTP/1.1\r\nHost: berth\r\n\r\n`);
      assert.equal((await c.head()).status, 200);
      await kernel.hooks.engine.event.promise(makeEvent('container', 'start', 'abc', { name: 'x' }));
      await kernel.hooks.engine.event.promise(makeEvent('network', 'create', 'n1', { name: 'bt-net', type: 'bridge' }));
      const text = await c.text(/bt-net/);
      assert.match(text, /"Type":"volume","Action":"create","Actor":\{"ID":"bt-vol"/);
      assert.match(text, /"Type":"network","Action":"create","Actor":\{"ID":"n1","Attributes":\{"name":"bt-net"/);
      assert.doesNotMatch(text, /"ID":"abc"/, 'the container event is filtered out');
      assert.ok(text.indexOf('bt-vol') < text.indexOf('bt-net'), 'replayed events come first');
    } finally {
      c.destroy();
    }
  });
});
