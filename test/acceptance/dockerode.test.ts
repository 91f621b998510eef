/**
 * berthd driven by dockerode (the client most Node tools use): ping, version,
 * info, create/attach (hijacked, stdin)/start/wait, logs in the multiplexed
 * format, exec, events, and the status codes and messages of bad requests —
 * also raw malformed requests dockerode would never send.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { hasBusybox } from '../helpers/busybox-rootfs';
import { demux } from '../../core/api/stdcopy';
import { DOCKER, busyboxTar, startAcceptanceDaemon, type AcceptanceDaemon } from './acceptance-env';

const IMAGE = 'bt-busybox:latest';

function raw(socketPath: string, method: string, path: string, body?: string): Promise<{ status: number; json: { message?: string } | null }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method, path, headers: body ? { 'Content-Type': 'application/json' } : {} }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) as { message?: string } : null }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The HTTP status and message of a dockerode failure. */
async function failure(p: Promise<unknown>): Promise<{ statusCode: number; message: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as { statusCode: number; json?: { message?: string } | null; reason?: string };
    return { statusCode: e.statusCode, message: e.json?.message ?? '' };
  }
  assert.fail('the request succeeded');
}

describe('acceptance: dockerode against berthd', function () {
  this.timeout(180_000);
  let d: AcceptanceDaemon;
  let docker: Docker;
  let work: string;

  before(async function () {
    if (!DOCKER) { console.log('skip: no docker CLI on this machine (used to import the test image)'); this.skip(); }
    if (process.getuid?.() !== 0) { console.log('skip: berthd needs root (namespaces, mounts, cgroups)'); this.skip(); }
    if (!hasBusybox()) { console.log('skip: no /bin/busybox to build the test image from'); this.skip(); }
    d = await startAcceptanceDaemon();
    work = fs.mkdtempSync('/tmp/berth-test-acc-work-');
    docker = new Docker({ socketPath: d.socket });
    await d.dockerOk(['import', '--change', 'CMD ["sh"]', '-', IMAGE], { input: await busyboxTar(work) });
  });

  after(async () => {
    try {
      await d?.stop();
    } finally {
      if (work) fs.rmSync(work, { recursive: true, force: true });
    }
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && d) console.log(`berthd log tail:\n${d.log().slice(-3000)}`);
  });

  it('pings, and reports version and info', async () => {
    assert.equal(String(await docker.ping()), 'OK');
    const v = await docker.version();
    assert.equal(v.ApiVersion, '1.41');
    assert.equal(v.Os, 'linux');
    const info = await docker.info() as { Driver: string; ServerVersion: string; Images: number };
    assert.equal(info.Driver, 'overlay2');
    assert.equal(info.Images, 1);
  });

  it('creates, attaches with stdin over a hijacked connection, starts and waits', async () => {
    const c = await docker.createContainer({
      Image: IMAGE, Cmd: ['sh', '-c', 'read line; echo "got $line"; echo to-stderr >&2; exit 7'],
      OpenStdin: true, StdinOnce: true, AttachStdin: true, AttachStdout: true, AttachStderr: true,
    });
    try {
      const stream = await c.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true });
      const out = new PassThrough();
      const err = new PassThrough();
      let stdout = '';
      let stderr = '';
      out.on('data', (b) => { stdout += b; });
      err.on('data', (b) => { stderr += b; });
      c.modem.demuxStream(stream, out, err);
      const ended = new Promise((r) => stream.on('end', r));
      await c.start();
      stream.write('hello\n');
      const res = await c.wait() as { StatusCode: number };
      await ended;
      assert.equal(res.StatusCode, 7);
      assert.equal(stdout, 'got hello\n');
      assert.equal(stderr, 'to-stderr\n');
    } finally {
      await c.remove({ force: true });
    }
  });

  it('serves logs as 8-byte multiplexed frames, and raw with a tty', async () => {
    const c = await docker.createContainer({ Image: IMAGE, Cmd: ['sh', '-c', 'echo out; echo err >&2'] });
    const t = await docker.createContainer({ Image: IMAGE, Cmd: ['sh', '-c', 'echo tty'], Tty: true });
    try {
      await c.start();
      await t.start();
      await c.wait();
      await t.wait();
      const buf = await c.logs({ stdout: true, stderr: true, follow: false }) as unknown as Buffer;
      const { frames, rest } = demux(buf);
      assert.equal(rest.length, 0);
      assert.deepEqual(frames.map((f) => [f.type, f.data.toString()]).sort(), [[1, 'out\n'], [2, 'err\n']]);
      const tty = await t.logs({ stdout: true, stderr: true, follow: false }) as unknown as Buffer;
      assert.equal(tty.toString(), 'tty\r\n');
    } finally {
      await c.remove({ force: true });
      await t.remove({ force: true });
    }
  });

  it('runs an exec through a hijacked start and inspects its exit code', async () => {
    const c = await docker.createContainer({ Image: IMAGE, Cmd: ['sleep', '300'] });
    try {
      await c.start();
      const exec = await c.exec({ Cmd: ['sh', '-c', 'cat; exit 5'], AttachStdin: true, AttachStdout: true, AttachStderr: true });
      const stream = await exec.start({ hijack: true, stdin: true });
      const out = new PassThrough();
      let text = '';
      out.on('data', (b) => { text += b; });
      c.modem.demuxStream(stream, out, out);
      const ended = new Promise((r) => stream.on('end', r));
      stream.end('via exec\n');
      await ended;
      assert.equal(text, 'via exec\n');
      const info = await exec.inspect();
      assert.equal(info.ExitCode, 5);
      assert.equal(info.Running, false);
    } finally {
      await c.remove({ force: true });
    }
  });

  it('streams stats as JSON lines until the client leaves', async () => {
    const c = await docker.createContainer({ Image: IMAGE, Cmd: ['sleep', '300'] });
    try {
      await c.start();
      const stream = await c.stats({ stream: true }) as unknown as NodeJS.ReadableStream & { destroy(): void };
      const samples: Array<{ read: string; memory_stats: { usage?: number }; pids_stats: { current?: number } }> = [];
      let buf = '';
      await new Promise<void>((resolve) => {
        stream.on('data', (b: Buffer) => {
          buf += b.toString();
          let i: number;
          while ((i = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, i).trim();
            buf = buf.slice(i + 1);
            if (line) samples.push(JSON.parse(line));
            if (samples.length === 2) { stream.destroy(); resolve(); }
          }
        });
      });
      assert.equal(samples.length, 2);
      assert.ok(samples[1].pids_stats.current! >= 1);
      assert.notEqual(samples[0].read, samples[1].read);
      const once = await c.stats({ stream: false }) as unknown as { pids_stats: { current?: number } };
      assert.ok(once.pids_stats.current! >= 1);
    } finally {
      await c.remove({ force: true });
    }
  });

  it('detaches from a tty attach on ctrl-p ctrl-q and leaves the container running', async () => {
    const c = await docker.createContainer({ Image: IMAGE, Cmd: ['sh'], Tty: true, OpenStdin: true, AttachStdin: true, AttachStdout: true });
    try {
      await c.start();
      const stream = await c.attach({ stream: true, stdin: true, stdout: true, hijack: true });
      let out = '';
      stream.on('data', (b: Buffer) => { out += b.toString(); });
      const ended = new Promise((r) => stream.on('end', r));
      stream.write('echo marker-$((6*7))\n');
      for (let i = 0; i < 150 && !out.includes('marker-42'); i++) await new Promise((r) => setTimeout(r, 100));
      assert.match(out, /marker-42/);
      stream.write(Buffer.from([0x10, 0x11]));
      await ended;
      const info = await c.inspect();
      assert.equal(info.State.Running, true);
    } finally {
      await c.remove({ force: true });
    }
  });

  it('streams events to getEvents', async () => {
    const stream = await docker.getEvents({ filters: { type: ['container'], event: ['create'] } }) as unknown as NodeJS.ReadableStream & { destroy(): void };
    try {
      const first = new Promise<Record<string, unknown>>((resolve) => stream.once('data', (b: Buffer) => resolve(JSON.parse(b.toString().split('\n')[0]))));
      const c = await docker.createContainer({ Image: IMAGE, Cmd: ['true'], name: 'bt-evented' });
      const ev = await first;
      assert.equal(ev.Type, 'container');
      assert.equal(ev.Action, 'create');
      assert.equal((ev.Actor as { ID: string }).ID, c.id);
      assert.equal((ev.Actor as { Attributes: Record<string, string> }).Attributes.name, 'bt-evented');
      await c.remove();
    } finally {
      stream.destroy();
    }
  });

  it('answers bad requests with Docker status codes and messages, and keeps serving', async () => {
    assert.deepEqual(await failure(docker.getContainer('bt-ghost').inspect()), { statusCode: 404, message: 'No such container: bt-ghost' });
    const badName = await failure(docker.createContainer({ Image: IMAGE, name: 'no/slashes' }));
    assert.equal(badName.statusCode, 400);
    assert.match(badName.message, /^Invalid container name \(no\/slashes\)/);
    const c = await docker.createContainer({ Image: IMAGE, Cmd: ['sleep', '300'], name: 'bt-once' });
    try {
      const dup = await failure(docker.createContainer({ Image: IMAGE, name: 'bt-once' }));
      assert.equal(dup.statusCode, 409);
      assert.match(dup.message, /^Conflict\. The container name "\/bt-once" is already in use/);
      await c.start();
      const again = await failure(c.start());
      assert.equal(again.statusCode, 304);
      const noImage = await failure(docker.createContainer({ Image: 'bt-no-such:1' }));
      assert.equal(noImage.statusCode, 404);
      assert.match(noImage.message, /No such image: bt-no-such:1/);
    } finally {
      await c.remove({ force: true });
    }

    const malformed = await raw(d.socket, 'POST', '/v1.41/containers/create', '{"Image": "bt-busybox",');
    assert.equal(malformed.status, 400);
    assert.match(malformed.json?.message ?? '', /^invalid JSON in request body/);
    const wrongType = await raw(d.socket, 'POST', '/v1.41/containers/create', JSON.stringify({ Image: IMAGE, HostConfig: { Memory: 'lots' } }));
    assert.deepEqual(wrongType, { status: 400, json: { message: 'invalid value for HostConfig.Memory: must be integer' } });
    const wrongCmd = await raw(d.socket, 'POST', '/v1.41/containers/create', JSON.stringify({ Image: IMAGE, Cmd: [1, 2] }));
    assert.equal(wrongCmd.status, 400);
    assert.match(wrongCmd.json?.message ?? '', /^invalid value for Cmd/);
    const tooNew = await raw(d.socket, 'GET', '/v1.99/info');
    assert.deepEqual(tooNew, { status: 400, json: { message: 'client version 1.99 is too new. Maximum supported API version is 1.41' } });
    const lost = await raw(d.socket, 'GET', '/v1.41/containers/bt-ghost/nothing-here');
    assert.deepEqual(lost, { status: 404, json: { message: 'page not found' } });
    assert.equal(String(await docker.ping()), 'OK');
  });
});
