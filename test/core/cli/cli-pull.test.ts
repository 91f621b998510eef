import * as assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { hasBusybox, makeBusyboxRootfs } from '../../helpers/busybox-rootfs';
import { hasRegistry, startRegistry, type RegistryServer } from '../../helpers/registry-server';
import { BERTH_JS, DIST, startBerthd, type Berthd, type CliResult } from './berthd-harness';

const PTY_RUN = path.resolve(DIST, '..', 'test', 'core', 'cli', 'pty-run.py');
const sha256 = (b: Buffer): string => `sha256:${crypto.createHash('sha256').update(b).digest('hex')}`;

function request(port: number, method: string, p: string, body?: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: p, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Uploads a blob with the registry v2 API (monolithic upload) and returns its digest. */
async function putBlob(port: number, repo: string, data: Buffer): Promise<string> {
  const digest = sha256(data);
  const start = await request(port, 'POST', `/v2/${repo}/blobs/uploads/`);
  assert.equal(start.status, 202);
  const loc = new URL(String(start.headers.location), `http://127.0.0.1:${port}`);
  loc.searchParams.set('digest', digest);
  const put = await request(port, 'PUT', `${loc.pathname}${loc.search}`, data, { 'Content-Type': 'application/octet-stream' });
  assert.equal(put.status, 201);
  return digest;
}

/** Pushes a two-layer image (busybox root + a page) straight to the registry; returns the layer digests. */
async function seedImage(reg: RegistryServer, dir: string, repo: string, tag: string): Promise<string[]> {
  // Each seeded image gets layers of its own (a marker file in both), so no layer "Already exists".
  const marker = `${repo}:${tag}:${crypto.randomBytes(8).toString('hex')}\n`;
  const root = makeBusyboxRootfs(path.join(dir, `seed-root-${tag}`));
  fs.writeFileSync(path.join(root, 'etc', 'bt-seed'), marker);
  const page = path.join(dir, `seed-page-${tag}`);
  fs.mkdirSync(path.join(page, 'www'), { recursive: true });
  fs.writeFileSync(path.join(page, 'www', 'index.html'), `pulled ${marker}`);
  const tars = [root, page].map((d, i) => {
    const t = path.join(dir, `layer-${tag}-${i}.tar`);
    execFileSync('tar', ['--numeric-owner', '-C', d, '-cf', t, '.']);
    return fs.readFileSync(t);
  });
  const gz = tars.map((t) => zlib.gzipSync(t));
  const layers: string[] = [];
  for (const g of gz) layers.push(await putBlob(reg.port, repo, g));
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', created: new Date().toISOString(),
    config: { Cmd: ['sh'], Env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'] },
    rootfs: { type: 'layers', diff_ids: tars.map(sha256) },
    history: [{ created_by: 'busybox rootfs' }, { created_by: 'page' }],
  }));
  const configDigest = await putBlob(reg.port, repo, config);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: config.length, digest: configDigest },
    layers: gz.map((g, i) => ({ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: g.length, digest: layers[i] })),
  }));
  const put = await request(reg.port, 'PUT', `/v2/${repo}/manifests/${tag}`, manifest, { 'Content-Type': 'application/vnd.docker.distribution.manifest.v2+json' });
  assert.equal(put.status, 201);
  return layers;
}

function onPty(host: string, args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', [PTY_RUN, '--', process.execPath, BERTH_JS, ...args], { env: { ...process.env, BERTH_HOST: host } });
    let stdout = ''; let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('core/cli: berth pull from a local registry (progress per layer)', function () {
  this.timeout(120000);
  let d: Berthd | undefined;
  let reg: RegistryServer | undefined;
  let layers: string[] = [];

  before(async function () {
    if (!hasRegistry()) { console.log('skip: docker-registry (Debian package docker-registry) is not installed'); this.skip(); }
    if (!hasBusybox()) { console.log('skip: no static busybox at /bin/busybox to build the test image'); this.skip(); }
    reg = await startRegistry();
    d = await startBerthd();
    layers = await seedImage(reg, d.dir, 'bt/cli-pull', 'latest');
    await seedImage(reg, d.dir, 'bt/cli-pull-tty', 'v1');
  });
  after(async () => {
    try { await d?.stop(); } finally { await reg?.stop(); }
  });

  it('off a terminal: one status line per layer event, no bars, no cursor moves', async function () {
    const ref = `${reg!.host}/bt/cli-pull:latest`;
    const r = await d!.berth(['pull', ref]);
    if (r.status !== 0 && /not available|no loaded service/.test(r.stderr)) {
      console.log(`skip: this berthd does not serve image pull yet (${r.stderr.trim()})`);
      this.skip();
    }
    assert.equal(r.status, 0, r.stderr);
    assert.ok(!r.stdout.includes('\x1b['), 'no ANSI escapes off a terminal');
    assert.ok(!/\[=*>/.test(r.stdout), 'no progress bars off a terminal');
    assert.match(r.stdout, /^latest: Pulling from bt\/cli-pull$/m);
    for (const l of layers) assert.match(r.stdout, new RegExp(`^${l.slice(7, 19)}: Pull complete$`, 'm'), r.stdout);
    assert.match(r.stdout, /^Digest: sha256:[0-9a-f]{64}$/m);
    assert.ok(r.stdout.includes(`Status: Downloaded newer image for ${ref}\n`), r.stdout);
    const images = await d!.berth(['images', '--format', '{{.Repository}}:{{.Tag}}']);
    assert.ok(images.stdout.split('\n').includes(`${reg!.host}/bt/cli-pull:latest`), images.stdout);
    const again = await d!.berth(['pull', ref]);
    assert.equal(again.status, 0, again.stderr);
    assert.ok(again.stdout.includes(`Status: Image is up to date for ${ref}\n`), again.stdout);
  });

  it('on a terminal: each layer has its line, redrawn in place with cursor moves', async function () {
    const ref = `${reg!.host}/bt/cli-pull-tty:v1`;
    const r = await onPty(d!.host, ['pull', ref]);
    if (r.status !== 0 && /not available|no loaded service/.test(r.stdout)) {
      console.log('skip: this berthd does not serve image pull yet');
      this.skip();
    }
    assert.equal(r.status, 0, r.stdout);
    assert.ok(r.stdout.includes('\x1b[2K'), 'lines are cleared before being redrawn');
    assert.match(r.stdout, /\x1b\[\d+A/, 'the cursor moves up to a layer line');
    assert.match(r.stdout, /\x1b\[\d+B/, 'and back down');
    assert.match(r.stdout, /[0-9a-f]{12}: Pull complete/);
    assert.match(r.stdout, /[0-9a-f]{12}: Downloading \[[=> ]{51}\] +[0-9.]+k?B\/[0-9.]+[kM]?B\r/, 'a bar per downloading layer (200 columns)');
    assert.ok(r.stdout.includes(`Status: Downloaded newer image for ${ref}`), r.stdout);
  });

  it('run pulls a missing image first (progress on stderr), then runs it', async function () {
    await seedImage(reg!, d!.dir, 'bt/cli-run-pull', 'v2');
    const ref = `${reg!.host}/bt/cli-run-pull:v2`;
    const r = await d!.berth(['run', '--rm', ref, 'cat', '/www/index.html']);
    if (/not available|no loaded service/.test(r.stderr)) { console.log('skip: this berthd does not serve image pull yet'); this.skip(); }
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^pulled bt\/cli-run-pull:v2:[0-9a-f]{16}\n$/);
    assert.match(r.stderr, new RegExp(`^Unable to find image '${ref.replace(/[.]/g, '\\.')}' locally\n`));
    assert.match(r.stderr, /Status: Downloaded newer image for /);
  });

  it('run --pull never refuses a missing image without pulling; --pull always pulls a present one again', async function () {
    await seedImage(reg!, d!.dir, 'bt/cli-run-policy', 'v1');
    const ref = `${reg!.host}/bt/cli-run-policy:v1`;
    const never = await d!.berth(['run', '--rm', '--pull', 'never', ref, 'true']);
    assert.equal(never.status, 125, never.stderr);
    assert.match(never.stderr, /No such image: /);
    assert.doesNotMatch(never.stderr, /Unable to find image/);
    const bad = await d!.berth(['run', '--rm', '--pull', 'sometimes', ref, 'true']);
    assert.equal(bad.status, 125);
    assert.match(bad.stderr, /invalid pull option: 'sometimes'/);
    assert.equal((await d!.berth(['pull', ref])).status, 0);
    const always = await d!.berth(['run', '--rm', '--pull', 'always', ref, 'true']);
    assert.equal(always.status, 0, always.stderr);
    assert.match(always.stderr, /Status: Image is up to date for /);
  });

  it('push sends an imported image to the registry, which then serves its manifest', async function () {
    const root = makeBusyboxRootfs(path.join(d!.dir, 'push-root'));
    const tar = path.join(d!.dir, 'push.tar');
    execFileSync('tar', ['-C', root, '-cf', tar, '.']);
    assert.equal((await d!.berth(['import', tar, 'bt-push:local'])).status, 0);
    const ref = `${reg!.host}/bt/cli-push:v1`;
    assert.equal((await d!.berth(['tag', 'bt-push:local', ref])).status, 0);
    const r = await d!.berth(['push', ref]);
    if (/not available|no loaded service/.test(r.stderr)) { console.log('skip: this berthd does not serve image push yet'); this.skip(); }
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^The push refers to repository \[127\.0\.0\.1:\d+\/bt\/cli-push\]$/m);
    assert.match(r.stdout, /^[0-9a-f]{12}: Pushed$/m);
    assert.match(r.stdout, /^v1: digest: sha256:[0-9a-f]{64} size: \d+$/m);
    const head = await request(reg!.port, 'HEAD', '/v2/bt/cli-push/manifests/v1', undefined, {
      Accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json',
    });
    assert.equal(head.status, 200);
  });

  it('pull of a missing tag fails with the registry error and exit status 1', async function () {
    const r = await d!.berth(['pull', `${reg!.host}/bt/cli-pull:nope`]);
    if (/not available|no loaded service/.test(r.stderr)) { console.log('skip: this berthd does not serve image pull yet'); this.skip(); }
    assert.equal(r.status, 1);
    assert.match(r.stderr, /nope|not found|unknown/i);
  });
});
