import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { RestartManager, restartOnDaemonStart, BACKOFF_MAX_MS } from '../../../core/container/restart-policy';
import { humanDuration, rfc3339Nano } from '../../../core/container/clock';
import { statusLine } from '../../../core/container/views';
import { initialState, transition } from '../../../core/container/state';
import { checkListFilters, normaliseFilters, pruneMatcher } from '../../../core/container/list-filters';
import { parsePsOutput, procTop } from '../../../core/container/top';
import { containerResolvConf } from '../../../core/container/etc-files';
import { hostsFile } from '../../../core/network/container-files';
import { resolveInRoot } from '../../../core/container/root-path';
import { IOFanout } from '../../../core/container/io-fanout';
import { filterRuntimeChanges } from '../../../core/container/container-io';
import { parseSignal } from '../../../core/container/signals';
import { parseNetDev } from '../../../core/container/stats-format';
import { probeArgs, recordProbe, type HealthState } from '../../../core/container/health';
import { isInvalidArgument } from '../../../core/errors';

describe('restart policies (Docker\'s restart manager)', () => {
  it('backs off 100 ms, doubling, capped at a minute, reset after 10 s of running', () => {
    const rm = new RestartManager({ Name: 'always' });
    const delays = Array.from({ length: 12 }, () => rm.shouldRestart(0, false, 50));
    assert.deepEqual(delays.slice(0, 5), [100, 200, 400, 800, 1600]);
    assert.equal(delays.at(-1), BACKOFF_MAX_MS);
    assert.equal(rm.shouldRestart(0, false, 10_000), 100, 'a 10 s run resets the back-off');
  });
  it('on-failure restarts only failures, up to N (0 = unlimited)', () => {
    const rm = new RestartManager({ Name: 'on-failure', MaximumRetryCount: 2 });
    assert.equal(rm.shouldRestart(0, false, 1), null);
    assert.notEqual(rm.shouldRestart(1, false, 1), null);
    assert.notEqual(rm.shouldRestart(1, false, 1), null);
    assert.equal(rm.shouldRestart(1, false, 1), null, 'retry budget spent');
    assert.equal(rm.restartCount, 2);
    const unlimited = new RestartManager({ Name: 'on-failure', MaximumRetryCount: 0 });
    for (let i = 0; i < 20; i++) assert.notEqual(unlimited.shouldRestart(3, false, 1), null);
  });
  it('no, manual stops and cancel never restart; reset starts afresh', () => {
    assert.equal(new RestartManager({ Name: 'no' }).shouldRestart(1, false, 1), null);
    assert.equal(new RestartManager({ Name: 'unless-stopped' }).shouldRestart(1, true, 1), null);
    assert.equal(new RestartManager({ Name: 'always' }).shouldRestart(1, true, 1), null);
    const rm = new RestartManager({ Name: 'always' });
    rm.cancel();
    assert.equal(rm.shouldRestart(1, false, 1), null);
    rm.reset();
    assert.equal(rm.shouldRestart(1, false, 1), 100);
  });
  it('daemon start: always, unless-stopped unless stopped, on-failure after a failure', () => {
    assert.equal(restartOnDaemonStart({ Name: 'always' }, 0, true), true);
    assert.equal(restartOnDaemonStart({ Name: 'unless-stopped' }, 0, true), false);
    assert.equal(restartOnDaemonStart({ Name: 'unless-stopped' }, 0, false), true);
    assert.equal(restartOnDaemonStart({ Name: 'on-failure' }, 1, false), true);
    assert.equal(restartOnDaemonStart({ Name: 'on-failure' }, 0, false), false);
    assert.equal(restartOnDaemonStart({ Name: 'no' }, 1, false), false);
  });
});

describe('status lines and times', () => {
  it('humanDuration matches Docker\'s units.HumanDuration', () => {
    assert.equal(humanDuration(500), 'Less than a second');
    assert.equal(humanDuration(1000), '1 second');
    assert.equal(humanDuration(45_000), '45 seconds');
    assert.equal(humanDuration(60_000), 'About a minute');
    assert.equal(humanDuration(5 * 60_000), '5 minutes');
    assert.equal(humanDuration(3_600_000), 'About an hour');
    assert.equal(humanDuration(5 * 3_600_000), '5 hours');
    assert.equal(humanDuration(3 * 86_400_000), '3 days');
  });
  it('statusLine: Created, Up, Paused, Exited (n) … ago', () => {
    const now = Date.parse('2026-01-01T00:10:00Z');
    let s = initialState();
    assert.equal(statusLine(s, now), 'Created');
    s = transition(s, 'running', { StartedAt: '2026-01-01T00:05:00.000000000Z', Pid: 9 });
    assert.equal(statusLine(s, now), 'Up 5 minutes');
    assert.equal(statusLine(transition(s, 'paused'), now), 'Up 5 minutes (Paused)');
    s = transition(s, 'exited', { ExitCode: 2, FinishedAt: '2026-01-01T00:09:57.000000000Z' });
    assert.equal(statusLine(s, now), 'Exited (2) 3 seconds ago');
  });
  it('rfc3339Nano has nine fraction digits and increases', () => {
    const a = rfc3339Nano();
    const b = rfc3339Nano();
    assert.match(a, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    assert.ok(b > a);
  });
});

describe('filters, ps parsing, /etc files, signals', () => {
  it('normalises Docker\'s filter forms and refuses unknown keys and statuses', () => {
    assert.deepEqual(normaliseFilters('{"status":["running"],"label":{"a=b":true}}'), { status: ['running'], label: ['a=b'] });
    assert.throws(() => checkListFilters({ colour: ['x'] }), (e: unknown) => isInvalidArgument(e) && (e as Error).message === "Invalid filter 'colour'");
    assert.throws(() => checkListFilters({ status: ['sleeping'] }), /Invalid filter 'status=sleeping'/);
    assert.throws(() => normaliseFilters('{nope'), isInvalidArgument);
  });
  it('prune until/label', () => {
    const now = Date.parse('2026-01-01T01:00:00Z');
    const mk = (created: string, labels: Record<string, string> = {}) => ({ record: { Created: created, Config: { Labels: labels } } }) as never;
    const m = pruneMatcher({ until: ['30m'], 'label!': ['keep'] }, now);
    assert.equal(m(mk('2026-01-01T00:00:00Z')), true);
    assert.equal(m(mk('2026-01-01T00:50:00Z')), false, 'too recent');
    assert.equal(m(mk('2026-01-01T00:00:00Z', { keep: '1' })), false, 'label! excludes');
  });
  it('parses ps output keeping the container\'s pids and the full command', () => {
    const out = 'UID PID PPID C STIME TTY TIME CMD\nroot 10 1 0 10:00 ? 00:00:00 sleep 1000 now\nroot 11 1 0 10:00 ? 00:00:00 other\n';
    assert.deepEqual(parsePsOutput(out, [10]), { Titles: ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'], Processes: [['root', '10', '1', '0', '10:00', '?', '00:00:00', 'sleep 1000 now']] });
    assert.throws(() => parsePsOutput('A B\n1 2\n', [1]), /Couldn't find PID field in ps output/);
  });
  it('builds ps -ef rows from /proc when the host has no ps', async () => {
    const r = await procTop([process.pid]);
    assert.equal(r.Processes.length, 1);
    assert.equal(r.Processes[0][1], String(process.pid));
    assert.equal(r.Processes[0][2], String(process.ppid));
    assert.match(r.Processes[0][7], /node/);
  });
  it('resolv.conf drops loopback nameservers; --dns replaces them; hosts has --add-host entries', () => {
    assert.equal(containerResolvConf('nameserver 127.0.0.53\nnameserver 10.0.0.2\nsearch lan\n'), 'nameserver 10.0.0.2\nsearch lan\n');
    assert.equal(containerResolvConf('nameserver 10.0.0.2\n', ['1.1.1.1'], ['x.test'], ['ndots:2']), 'search x.test\nnameserver 1.1.1.1\noptions ndots:2\n', 'dockerd\'s order when the container gives any');
    assert.equal(containerResolvConf('nameserver 127.0.0.53\nnameserver 10.0.0.2\nsearch lan\noptions edns0\n', [], ['x.test']), 'search x.test\nnameserver 10.0.0.2\noptions edns0\n', 'the host\'s other lists kept, its loopback nameservers left out');
    assert.match(hostsFile('', [], ['db:10.1.2.3']), /^127\.0\.0\.1\tlocalhost\n[\s\S]*10\.1\.2\.3\tdb\n$/);
  });
  it('network stats from /proc/<pid>/net/dev, without loopback', () => {
    const text = 'Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n    lo:     100       2    0    0    0     0          0         0      100       2    0    0    0     0       0          0\n  eth0:    1500      10    1    2    0     0          0         0      700       5    0    3    0     0       0          0\n';
    assert.deepEqual(parseNetDev(text), { eth0: { rx_bytes: 1500, rx_packets: 10, rx_errors: 1, rx_dropped: 2, tx_bytes: 700, tx_packets: 5, tx_errors: 0, tx_dropped: 3 } });
  });
  it('signals by name, short name or number', () => {
    assert.equal(parseSignal('term'), 'SIGTERM');
    assert.equal(parseSignal('9'), 'SIGKILL');
    assert.equal(parseSignal('SIGUSR1'), 'SIGUSR1');
    assert.throws(() => parseSignal('0'), /Invalid signal: 0/);
  });
  it('diff hides the runtime\'s mount points and directories changed only for them', () => {
    assert.deepEqual(filterRuntimeChanges([
      { Path: '/etc', Kind: 0 }, { Path: '/etc/hosts', Kind: 1 }, { Path: '/dev', Kind: 1 }, { Path: '/tmp', Kind: 0 }, { Path: '/tmp/x', Kind: 1 },
    ]), [{ Path: '/tmp', Kind: 0 }, { Path: '/tmp/x', Kind: 1 }]);
  });
});

describe('resolving container paths and sharing stdio', () => {
  let root: string;
  beforeEach(() => { root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-rootpath-')); });
  afterEach(() => { fs.rmSync(root, { recursive: true, force: true }); });

  it('keeps absolute and .. symlinks inside the root', async () => {
    fs.mkdirSync(path.join(root, 'etc'));
    fs.symlinkSync('/etc/shadow-host', path.join(root, 'etc/passwd'));
    fs.symlinkSync('../../../../etc', path.join(root, 'up'));
    assert.equal(await resolveInRoot(root, '/etc/passwd'), path.join(root, 'etc/shadow-host'));
    assert.equal(await resolveInRoot(root, '/up/group'), path.join(root, 'etc/group'));
  });

  it('fans one output out to several readers, each from when it subscribed', async () => {
    const stdout = new PassThrough();
    const fan = new IOFanout({ stdin: null, stdout, stderr: null });
    const a = fan.subscribe();
    stdout.write('one\n');
    await new Promise((r) => setImmediate(r));
    const b = fan.subscribe();
    stdout.end('two\n');
    const read = (s: NodeJS.ReadableStream) => new Promise<string>((resolve) => { let t = ''; s.on('data', (d: Buffer) => { t += d; }); s.on('end', () => resolve(t)); });
    assert.deepEqual(await Promise.all([read(a.stdout), read(b.stdout)]), ['one\ntwo\n', 'two\n']);
    assert.equal(fan.finished, true);
  });

  it('a slow subscriber holds the source back, and releases it when it goes away', async () => {
    const stdout = new PassThrough();
    const fan = new IOFanout({ stdin: null, stdout, stderr: null });
    const fast = fan.subscribe();
    const slow = fan.subscribe();
    let got = 0;
    fast.stdout.on('data', (d: Buffer) => { got += d.length; });
    const big = Buffer.alloc(64 * 1024, 1);
    for (let i = 0; i < 8; i++) stdout.write(big);
    await new Promise((r) => setTimeout(r, 20));
    assert.ok(stdout.isPaused(), 'the unread subscriber pauses the source');
    const before = got;
    IOFanout.release(slow);
    stdout.end();
    await new Promise<void>((resolve) => fast.stdout.on('end', () => resolve()));
    assert.ok(got > before);
    assert.equal(got, 8 * 64 * 1024, 'the fast reader got everything once the slow one left');
  });
});

describe('health check rules', () => {
  it('probe forms: NONE, CMD, CMD-SHELL', () => {
    assert.equal(probeArgs(['NONE']), null);
    assert.equal(probeArgs([]), null);
    assert.deepEqual(probeArgs(['CMD', 'curl', '-f', 'x']), ['curl', '-f', 'x']);
    assert.deepEqual(probeArgs(['CMD-SHELL', 'test -f /ok']), ['/bin/sh', '-c', 'test -f /ok']);
    assert.throws(() => probeArgs(['SHELL', 'x']), isInvalidArgument);
  });
  it('retries, streak reset, start period, five log entries', () => {
    const h: HealthState = { Status: 'starting', FailingStreak: 0, Log: [] };
    const r = (code: number) => ({ Start: '', End: '', ExitCode: code, Output: '' });
    assert.equal(recordProbe(h, r(1), 2, true), false, 'a failure in the start period does not count');
    assert.equal(h.FailingStreak, 0);
    recordProbe(h, r(1), 2, false);
    assert.equal(h.Status, 'starting');
    assert.equal(recordProbe(h, r(1), 2, false), true);
    assert.equal(h.Status, 'unhealthy');
    assert.equal(recordProbe(h, r(0), 2, false), true);
    assert.deepEqual([h.Status, h.FailingStreak], ['healthy', 0]);
    for (let i = 0; i < 5; i++) recordProbe(h, r(0), 2, false);
    assert.equal(h.Log.length, 5);
  });
});
