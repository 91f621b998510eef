import * as assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hasBusybox, makeBusyboxRootfs } from '../../helpers/busybox-rootfs';
import { BERTH_JS, DIST, startBerthd, type Berthd, type CliResult } from './berthd-harness';

const IMAGE = 'bt-busybox:cli';
const PTY_RUN = path.resolve(DIST, '..', 'test', 'core', 'cli', 'pty-run.py');

/**
 * Runs `berth args` on a pseudo-terminal (python3 pty), optionally typing `send` once `when` shows,
 * or doing each `on` action (`send:<text>`, `resize:<rows>x<cols>`) once its text shows, in order.
 */
function onPty(host: string, args: string[], dialog?: { when: string; send: string }, on: Array<[string, string]> = []): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const extra = [...(dialog ? ['--when', dialog.when, '--send', dialog.send] : []), ...on.flatMap(([t, a]) => ['--on', t, a])];
    const child = spawn('python3', [PTY_RUN, ...extra, '--', process.execPath, BERTH_JS, ...args], {
      env: { ...process.env, BERTH_HOST: host }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = ''; let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('core/cli: berth run/logs/stop/exec against a real berthd', function () {
  this.timeout(120000);
  let d: Berthd | undefined;
  let ready = false;

  before(async function () {
    if (!hasBusybox()) { console.log('skip: no static busybox at /bin/busybox to build the test image'); this.skip(); }
    d = await startBerthd();
    const root = makeBusyboxRootfs(path.join(d.dir, 'rootfs'));
    const tar = path.join(d.dir, 'busybox.tar');
    execFileSync('tar', ['-C', root, '-cf', tar, '.']);
    const imp = await d.berth(['import', tar, IMAGE]);
    if (imp.status !== 0 && /not available|no loaded service/.test(imp.stderr)) {
      console.log(`skip: this berthd does not serve image import yet (${imp.stderr.trim()})`);
      this.skip();
    }
    assert.equal(imp.status, 0, imp.stderr);
    assert.match(imp.stdout, /sha256:[0-9a-f]{64}/);
    const probe = await d.berth(['create', '--name', 'bt-cli-probe', IMAGE, 'true']);
    if (probe.status !== 0 && /not available|no loaded service/.test(probe.stderr)) {
      console.log(`skip: this berthd does not serve containers yet (${probe.stderr.trim()})`);
      this.skip();
    }
    assert.equal(probe.status, 0, probe.stderr);
    await d.berth(['rm', '-f', 'bt-cli-probe']);
    ready = true;
  });
  after(async () => {
    if (d && ready) {
      const left = await d.berth(['ps', '-a', '-q']);
      const ids = left.stdout.split('\n').filter(Boolean);
      if (ids.length > 0) await d.berth(['rm', '-f', ...ids]);
    }
    await d?.stop();
  });

  it('run --rm prints the output, exits 0 and leaves no container', async () => {
    const r = await d!.berth(['run', '--rm', '--name', 'bt-cli-rm', IMAGE, 'echo', 'hello from berth']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'hello from berth\n');
    const ps = await d!.berth(['ps', '-a', '--format', '{{.Names}}']);
    assert.ok(!ps.stdout.split('\n').includes('bt-cli-rm'), ps.stdout);
  });

  it('run keeps stdout and stderr apart (8-byte frames) and exits with the container status', async () => {
    const r = await d!.berth(['run', '--rm', IMAGE, 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(r.status, 3);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
  });

  it('run -i sends stdin and closes it at EOF', async () => {
    const r = await d!.berth(['run', '--rm', '-i', IMAGE, 'sh', '-c', 'tr a-z A-Z; echo done'], { input: 'abc\nxyz\n' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'ABC\nXYZ\ndone\n');
  });

  it('exit codes: 127 command not found, 126 not executable, 125 daemon error', async () => {
    const nf = await d!.berth(['run', '--rm', '--name', 'bt-cli-127', IMAGE, '/no/such/binary']);
    assert.equal(nf.status, 127, nf.stderr);
    const gone = await d!.berth(['ps', '-a', '--format', '{{.Names}}']);
    assert.ok(!gone.stdout.split('\n').includes('bt-cli-127'), `--rm removes a container whose start failed: ${gone.stdout}`);
    assert.match(nf.stderr, /no such file or directory|executable file not found/i);
    const ne = await d!.berth(['run', '--rm', IMAGE, '/etc/passwd']);
    assert.equal(ne.status, 126, ne.stderr);
    assert.match(ne.stderr, /permission denied/i);
    const de = await d!.berth(['run', '--rm', '--network', 'bt-no-such-network', IMAGE, 'true']);
    assert.equal(de.status, 125, de.stderr);
    assert.match(de.stderr, /^berth: Error response from daemon: .*bt-no-such-network/m);
  });

  it('run -d, logs -f follows until stop ends the container', async () => {
    const r = await d!.berth(['run', '-d', '--name', 'bt-cli-logs', IMAGE, 'sh', '-c', 'i=0; while true; do i=$((i+1)); echo line-$i; sleep 0.1; done']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^[0-9a-f]{64}\n$/);
    const follow = spawn(process.execPath, [BERTH_JS, 'logs', '-f', 'bt-cli-logs'], { env: { ...process.env, BERTH_HOST: d!.host } });
    let out = '';
    const exited = new Promise<number | null>((resolve) => follow.on('close', resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        follow.stdout.setEncoding('utf8').on('data', (s: string) => { out += s; if (out.includes('line-5\n')) resolve(); });
        follow.on('close', () => reject(new Error(`logs -f ended early: ${out}`)));
      });
      const ps = await d!.berth(['ps', '--filter', 'name=bt-cli-logs', '--format', '{{.Names}}|{{.Status}}|{{.Command}}|{{.Image}}']);
      assert.match(ps.stdout, /^bt-cli-logs\|Up [^|]+\|"sh -c [^"]{13}…"\|bt-busybox:cli\n$/, 'COMMAND cut to 20 characters with an ellipsis');
      const table = await d!.berth(['ps']);
      assert.match(table.stdout, /^CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES\n/);
      assert.match(table.stdout, /\n[0-9a-f]{12} +bt-busybox:cli +"sh -c .*" +.* ago +Up .* +bt-cli-logs\n/);
      const stop = await d!.berth(['stop', '-t', '1', 'bt-cli-logs']);
      assert.equal(stop.status, 0, stop.stderr);
      assert.equal(stop.stdout, 'bt-cli-logs\n');
      assert.equal(await exited, 0, 'logs -f ends when the container stops');
    } finally {
      follow.kill();
    }
    assert.match(out, /^line-1\nline-2\nline-3\nline-4\nline-5\n/);
    const state = await d!.berth(['inspect', '-f', '{{.State.Running}}', 'bt-cli-logs']);
    assert.equal(state.stdout, 'false\n');
    const all = (await d!.berth(['logs', 'bt-cli-logs'])).stdout.split('\n').filter(Boolean);
    const tail = await d!.berth(['logs', '--tail', '2', 'bt-cli-logs']);
    assert.deepEqual(tail.stdout.split('\n').filter(Boolean), all.slice(-2));
    const since = await d!.berth(['logs', '--since', '1h', 'bt-cli-logs']);
    assert.match(since.stdout, /^line-1\n/, 'a relative --since covers the whole run');
    const until = await d!.berth(['logs', '--until', '2000-01-01T00:00:00Z', 'bt-cli-logs']);
    assert.equal(until.status, 0, until.stderr);
    assert.equal(until.stdout, '', 'nothing was logged before 2000');
    const ts = await d!.berth(['logs', '-t', '--tail', '1', 'bt-cli-logs']);
    assert.match(ts.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z line-\d+\n$/);
    const rm = await d!.berth(['rm', 'bt-cli-logs']);
    assert.equal(rm.status, 0, rm.stderr);
  });

  it('exec -it runs on a real pseudo-terminal, reads typed input and returns the exit status', async () => {
    const r0 = await d!.berth(['run', '-d', '--name', 'bt-cli-exec', IMAGE, 'sleep', '300']);
    assert.equal(r0.status, 0, r0.stderr);
    try {
      const r = await onPty(d!.host, ['exec', '-it', 'bt-cli-exec', 'sh', '-c', 'tty; echo READY; read l; echo got-$l-$((6*7)); exit 7'],
        { when: 'READY', send: 'typed\\r' });
      assert.equal(r.status, 7, r.stdout + r.stderr);
      assert.match(r.stdout, /\/dev\/pts\/\d+/);
      assert.match(r.stdout, /got-typed-42/);
      const size = await onPty(d!.host, ['exec', '-it', 'bt-cli-exec', 'stty', 'size']);
      assert.equal(size.status, 0, size.stdout);
      assert.match(size.stdout, /^40 200\r?\r?\n$/, 'the exec terminal has the local size');
      const plain = await d!.berth(['exec', 'bt-cli-exec', 'sh', '-c', 'echo no-tty; exit 4']);
      assert.equal(plain.status, 4);
      assert.equal(plain.stdout, 'no-tty\n');
    } finally {
      await d!.berth(['rm', '-f', 'bt-cli-exec']);
    }
  });

  it('images, tag, cp both ways, diff, top, commit, export, save, rmi and load', async () => {
    const b = d!.berth;
    assert.equal((await b(['tag', IMAGE, 'bt-busybox:tagged'])).status, 0);
    const imgs = await b(['images', '--format', '{{.Repository}}:{{.Tag}}']);
    assert.ok(imgs.stdout.split('\n').includes('bt-busybox:tagged'), imgs.stdout);
    const run = await b(['run', '-d', '--name', 'bt-cli-files', IMAGE, 'sh', '-c', 'echo made-inside > /tmp/inside; sleep 300']);
    assert.equal(run.status, 0, run.stderr);
    try {
      const ready = await b(['exec', 'bt-cli-files', 'sh', '-c', 'while [ ! -s /tmp/inside ]; do sleep 0.05; done; echo ok']);
      assert.equal(ready.stdout, 'ok\n');
      const out = path.join(d!.dir, 'copied-out');
      assert.equal((await b(['cp', 'bt-cli-files:/tmp/inside', out])).status, 0);
      assert.equal(fs.readFileSync(out, 'utf8'), 'made-inside\n');
      const srcDir = path.join(d!.dir, 'to-copy');
      fs.mkdirSync(path.join(srcDir, 'sub'), { recursive: true });
      fs.writeFileSync(path.join(srcDir, 'sub', 'f.txt'), 'from-host\n');
      assert.equal((await b(['cp', srcDir, 'bt-cli-files:/tmp/'])).status, 0);
      assert.equal((await b(['exec', 'bt-cli-files', 'cat', '/tmp/to-copy/sub/f.txt'])).stdout, 'from-host\n');
      assert.equal((await b(['cp', path.join(srcDir, 'sub', 'f.txt'), 'bt-cli-files:/tmp/renamed.txt'])).status, 0);
      assert.equal((await b(['exec', 'bt-cli-files', 'cat', '/tmp/renamed.txt'])).stdout, 'from-host\n');
      const diff = await b(['diff', 'bt-cli-files']);
      assert.match(diff.stdout, /^A \/tmp\/inside$/m);
      const st = await b(['stats', '--no-stream', 'bt-cli-files']);
      assert.equal(st.status, 0, st.stderr);
      assert.match(st.stdout, /^CONTAINER ID +NAME +CPU % +MEM USAGE \/ LIMIT +MEM % +NET I\/O +BLOCK I\/O +PIDS\n[0-9a-f]{12} +bt-cli-files +\d+\.\d\d% +[0-9.]+[KMG]?i?B \/ [0-9.]+[KMGT]?i?B +\d+\.\d\d% +.+ +[1-9]\d*\n$/);
      const top = await b(['top', 'bt-cli-files']);
      assert.match(top.stdout, /^UID +PID +PPID .*CMD\n/);
      assert.match(top.stdout, /sleep 300/);
      const commit = await b(['commit', '-c', 'ENV COMMITTED=yes', 'bt-cli-files', 'bt-busybox:committed']);
      assert.equal(commit.status, 0, commit.stderr);
      assert.match(commit.stdout, /^sha256:[0-9a-f]{64}\n$/);
      const env = await b(['run', '--rm', 'bt-busybox:committed', 'sh', '-c', 'echo $COMMITTED; cat /tmp/inside']);
      assert.equal(env.stdout, 'yes\nmade-inside\n');
      const exp = path.join(d!.dir, 'export.tar');
      assert.equal((await b(['export', '-o', exp, 'bt-cli-files'])).status, 0);
      assert.ok(execFileSync('tar', ['-tf', exp], { encoding: 'utf8' }).split('\n').some((l) => /^(\.\/)?tmp\/inside$/.test(l)));
    } finally {
      await b(['rm', '-f', 'bt-cli-files']);
    }
    const saved = path.join(d!.dir, 'saved.tar');
    assert.equal((await b(['save', '-o', saved, 'bt-busybox:committed'])).status, 0);
    const rmi = await b(['rmi', 'bt-busybox:committed', 'bt-busybox:tagged']);
    assert.equal(rmi.status, 0, rmi.stderr);
    assert.match(rmi.stdout, /^Untagged: bt-busybox:committed$/m);
    assert.match(rmi.stdout, /^Deleted: sha256:[0-9a-f]{64}$/m);
    const load = await b(['load', '-i', saved]);
    assert.equal(load.status, 0, load.stderr);
    assert.match(load.stdout, /Loaded image: bt-busybox:committed/);
    assert.equal((await b(['rmi', 'bt-busybox:committed'])).status, 0);
  });

  it('run without a tty forwards the signals it gets to the container (sig-proxy)', async () => {
    const child = spawn(process.execPath, [BERTH_JS, 'run', '--rm', IMAGE, 'sh', '-c',
      'trap "echo got-term; exit 42" TERM; echo READY; while true; do sleep 0.1; done'], { env: { ...process.env, BERTH_HOST: d!.host } });
    let out = '';
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => { err += s; });
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.setEncoding('utf8').on('data', (s: string) => { out += s; if (out.includes('READY\n')) resolve(); });
        child.on('close', (code) => reject(new Error(`run ended early (${code}): ${out} ${err}`)));
      });
      child.kill('SIGTERM');
      assert.equal(await closed, 42);
      assert.equal(out, 'READY\ngot-term\n');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('events streams container events as they happen, filtered, in docker\'s line format', async () => {
    // --since: events from just before the subscription on, so none is lost to its start-up
    const since = String(Math.floor(Date.now() / 1000) - 1);
    const ev = spawn(process.execPath, [BERTH_JS, 'events', '--since', since, '--filter', 'type=container', '--filter', 'container=bt-cli-ev'],
      { env: { ...process.env, BERTH_HOST: d!.host } });
    let out = '';
    ev.stdout.setEncoding('utf8').on('data', (s: string) => { out += s; });
    try {
      const created = await d!.berth(['create', '--name', 'bt-cli-ev', IMAGE, 'true']);
      assert.equal(created.status, 0, created.stderr);
      const id = created.stdout.trim();
      assert.equal((await d!.berth(['start', '-a', 'bt-cli-ev'])).status, 0);
      assert.equal((await d!.berth(['rm', 'bt-cli-ev'])).status, 0);
      await new Promise<void>((resolve, reject) => {
        const check = (): void => { if (/ container destroy /.test(out)) resolve(); };
        ev.stdout.on('data', check);
        ev.on('close', () => reject(new Error(`events ended: ${out}`)));
        check();
      });
      for (const action of ['start', 'die', 'destroy']) {
        assert.match(out, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}Z container ${action} ${id} \\(.*name=bt-cli-ev.*\\)$`, 'm'), out);
      }
      assert.ok(!/ network /.test(out), 'the type filter holds');
    } finally {
      ev.kill();
    }
  });

  it('attach follows a running container\'s output and returns its exit status', async () => {
    const r = await d!.berth(['run', '-d', '--name', 'bt-cli-attach', IMAGE, 'sh', '-c', 'sleep 0.5; echo after-attach; exit 9']);
    assert.equal(r.status, 0, r.stderr);
    try {
      const a = await d!.berth(['attach', 'bt-cli-attach']);
      assert.equal(a.status, 9, a.stderr);
      assert.equal(a.stdout, 'after-attach\n');
    } finally {
      await d!.berth(['rm', '-f', 'bt-cli-attach']);
    }
  });

  it('ctrl-p ctrl-q detaches from run -it, leaving the container running', async () => {
    try {
      const r = await onPty(d!.host, ['run', '-it', '--name', 'bt-cli-detach', IMAGE, 'sh', '-c', 'echo READY; sleep 300'],
        { when: 'READY', send: '\\x10\\x11' });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      const state = await d!.berth(['inspect', '-f', '{{.State.Running}}', 'bt-cli-detach']);
      assert.equal(state.stdout, 'true\n');
    } finally {
      await d!.berth(['rm', '-f', 'bt-cli-detach']);
    }
  });

  it('run -it: raw local terminal (ctrl-c reaches the container) and SIGWINCH resizes the container\'s', async () => {
    const r = await onPty(d!.host, ['run', '--rm', '-it', IMAGE, 'sh', '-c',
      'trap "echo got-int; exit 3" INT; stty size; echo READY; while true; do stty size; sleep 0.1; done'], undefined,
    [['READY', 'resize:50x120'], ['50 120', 'send:\\x03']]);
    assert.equal(r.status, 3, r.stdout);
    assert.match(r.stdout, /^40 200\r?\r?\nREADY/);
    assert.match(r.stdout, /50 120[\s\S]*got-int/);
  });

  it('run -it gives the container a terminal of the local size', async () => {
    const r = await onPty(d!.host, ['run', '--rm', '-it', IMAGE, 'sh', '-c', 'stty size; tty']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /40 200/);
    assert.match(r.stdout, /\/dev\/pts\/\d+/);
  });
});
