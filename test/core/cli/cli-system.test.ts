import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BERTH_VERSION } from '../../../core/version';
import { runBerth, startBerthd, type Berthd } from './berthd-harness';

describe('core/cli: berth against a real berthd (system commands)', function () {
  this.timeout(60000);
  let d: Berthd;
  before(async () => { d = await startBerthd(); });
  after(async () => { await d?.stop(); });

  it('berth version prints the client and the daemon versions', async () => {
    const r = await d.berth(['version']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^Client:\n Version: +\S+\n API version: +1\.41\n/);
    assert.match(r.stdout, new RegExp(`Server:\\n Engine:\\n  Version: +${BERTH_VERSION.replace(/\./g, '\\.')}\\n  API version: +1\\.41 \\(minimum version 1\\.24\\)`));
    const f = await d.berth(['version', '--format', '{{.Server.ApiVersion}}/{{.Client.Version}}']);
    assert.equal(f.stdout, `1.41/${BERTH_VERSION}\n`);
  });

  it('berth info reports the temp data root and lists the loaded plugins', async () => {
    const r = await d.berth(['info']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^Server:\n Containers: \d+\n/);
    assert.ok(r.stdout.includes(` Berth Root Dir: ${d.dataRoot}\n`), r.stdout);
    assert.match(r.stdout, /\n Berth Plugins:\n(  \S+ \S+ \((ok|failed|disabled)[^\n]*\)\n)+/);
    assert.match(r.stdout, /\n  graphdriver\.vfs \S+ \(ok\)\n/);
  });

  it('berth plugins ls lists every plugin with its status, -q and --format', async () => {
    const r = await d.berth(['plugins', 'ls']);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0], /^URI +VERSION +API +SOURCE +STATUS +INIT +ERROR$/);
    assert.ok(lines.some((l) => /^graphdriver\.vfs +\S+ +\^1\.0\.0 +builtin +ok +\d+ms/.test(l)), r.stdout);
    const q = await d.berth(['plugins', 'ls', '-q']);
    assert.ok(q.stdout.split('\n').includes('graphdriver.vfs'), q.stdout);
    const j = await d.berth(['plugins', 'ls', '--format', 'json']);
    const rows = j.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const vfs = rows.find((p) => p.uri === 'graphdriver.vfs');
    assert.ok(vfs, j.stdout);
    for (const k of ['kind', 'id', 'version', 'apiVersion', 'source', 'status']) assert.ok(k in vfs, `field ${k}`);
  });

  it('lists networks, volumes and disk usage from the daemon', async () => {
    const n = await d.berth(['network', 'ls']);
    assert.equal(n.status, 0, n.stderr);
    assert.match(n.stdout, /^NETWORK ID +NAME +DRIVER +SCOPE\n/);
    assert.match(n.stdout, /\n[0-9a-f]{12} +bridge +bridge +local\n/);
    const v = await d.berth(['volume', 'ls']);
    assert.equal(v.status, 0, v.stderr);
    assert.match(v.stdout, /^DRIVER +VOLUME NAME\n/);
    const df = await d.berth(['system', 'df']);
    assert.equal(df.status, 0, df.stderr);
    assert.match(df.stdout, /^TYPE +TOTAL +ACTIVE +SIZE +RECLAIMABLE\nImages +\d+/);
  });

  it('creates, inspects and removes a volume', async () => {
    const c = await d.berth(['volume', 'create', 'bt-cli-vol']);
    assert.equal(c.status, 0, c.stderr);
    assert.equal(c.stdout, 'bt-cli-vol\n');
    const i = await d.berth(['inspect', '--type', 'volume', '-f', '{{.Name}} {{.Driver}}', 'bt-cli-vol']);
    assert.equal(i.stdout, 'bt-cli-vol local\n', i.stderr);
    const rm = await d.berth(['volume', 'rm', 'bt-cli-vol']);
    assert.equal(rm.status, 0, rm.stderr);
    const again = await d.berth(['volume', 'inspect', 'bt-cli-vol']);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /Error response from daemon: .*bt-cli-vol/);
  });

  it('usage errors exit 125 and name the bad value', async () => {
    const p = await d.berth(['run', '-p', '80/icmp', 'busybox']);
    assert.equal(p.status, 125);
    assert.match(p.stderr, /berth: invalid proto: icmp/);
    assert.match(p.stderr, /See 'berth run --help'\./);
    const u = await d.berth(['run', '--no-such-flag', 'busybox']);
    assert.equal(u.status, 125);
    assert.match(u.stderr, /unknown option '--no-such-flag'/);
    const c = await d.berth(['no-such-command']);
    assert.equal(c.status, 125);
  });

  it('a daemon error in run is 125; elsewhere 1, with Docker\'s wording', async () => {
    const r = await d.berth(['run', '--rm', '--restart', 'always', 'busybox']);
    assert.equal(r.status, 125);
    assert.match(r.stderr, /conflicting options: cannot specify both --restart and --rm/);
    const rm = await d.berth(['rm', 'bt-no-such-container']);
    assert.equal(rm.status, 1);
    assert.match(rm.stderr, /^Error response from daemon: /);
  });
});

describe('core/cli: berth without a daemon', () => {
  it('says it cannot connect and exits 1, after printing the client version', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-cli-nodaemon-'));
    try {
      const r = await runBerth(`unix://${dir}/absent.sock`, ['version']);
      assert.equal(r.status, 1);
      assert.match(r.stdout, /^Client:\n Version: /);
      assert.match(r.stderr, new RegExp(`Cannot connect to the berth daemon at unix://${dir}/absent\\.sock\\. Is the berth daemon running\\?`));
      const run = await runBerth(`unix://${dir}/absent.sock`, ['run', 'busybox']);
      assert.equal(run.status, 125, 'run turns every failure before the container runs into 125');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('-H overrides BERTH_HOST and a bad -H is an error naming it', async () => {
    const r = await runBerth('unix:///nonexistent/x.sock', ['-H', 'ftp://somewhere', 'ps']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /invalid host "ftp:\/\/somewhere"/);
  });
});
