/**
 * The shim zygote (`berth-shim --zygote`, native/src/shim/zygote.c): after the
 * first start of a process, its shims are forked by one zygote instead of
 * posix_spawn + execve. Checked for real: the zygote runs and is nobody's
 * child of ours, a shim it forked shares its stack mapping (a fork keeps it,
 * an execve randomises it) yet names its state directory in its cmdline,
 * gets the daemon's environment of the moment (BERTH_SHIM_TIMING), runs its
 * container normally, and the zygote exits when its socket is closed.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { shimZygotes, stopShimZygotes } from '../../../plugins/execdriver-native';
import { Harness, collect, newHarness, requireKernel } from './harness';

function stackEnd(pid: number): string {
  const line = fs.readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n').find((l) => l.endsWith('[stack]'));
  return line ? line.split(' ')[0].split('-')[1] : '';
}

async function until<T>(what: string, f: () => T | undefined, ms = 5000): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) {
    const v = f();
    if (v !== undefined) return v;
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The zygote's spare (forked from it: same stack mapping), once there is one. */
function spareOf(zygotePid: number): number | undefined {
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0')[1] === '--spare' && stackEnd(Number(d)) === stackEnd(zygotePid)) return Number(d);
    } catch { /* gone */ }
  }
  return undefined;
}

/** Network namespaces `pid` holds open as fds. */
function netnsFds(pid: number): string[] {
  return fs.readdirSync(`/proc/${pid}/fd`).map((fd) => { try { return fs.readlinkSync(`/proc/${pid}/fd/${fd}`); } catch { return ''; } })
    .filter((l) => l.startsWith('net:['));
}

describe('execdriver-native: shim zygote', function () {
  this.timeout(30000);
  let h: Harness;
  before(function () { requireKernel(this); h = newHarness(); });
  afterEach(async () => { await h?.cleanup(); delete process.env.BERTH_SHIM_TIMING; });
  after(async () => { await h?.destroy(); });

  it('forks the shims of later starts, with the environment of the moment, and exits when stopped', async function () {
    stopShimZygotes();
    const first = await h.run(['true']);
    assert.equal(first.status.exitCode, 0);
    const zygote = await until('the zygote', () => shimZygotes()[0]).catch(() => undefined);
    if (!zygote) { console.log('skip: the berth_exec addon has no startZygote (shims are spawned)'); this.skip(); }
    const zstat = fs.readFileSync(`/proc/${zygote.pid}/stat`, 'utf8');
    assert.notEqual(Number(zstat.slice(zstat.lastIndexOf(')') + 2).split(' ')[1]), process.pid, 'the zygote is not our child');
    assert.equal(fs.readFileSync(`/proc/${zygote.pid}/cmdline`, 'utf8').split('\0')[1], '--zygote');

    const timing = path.join(h.dir, 'timing.log');
    process.env.BERTH_SHIM_TIMING = timing;
    const spec = h.spec(['sh', '-c', 'echo hi; sleep 60']);
    const c = await h.start(spec);
    const shimPid = Number(fs.readFileSync(path.join(spec.stateDir, 'shim.pid'), 'utf8').split(' ')[0]);
    assert.equal(stackEnd(shimPid), stackEnd(zygote.pid), 'the shim was forked from the zygote (same stack mapping)');
    assert.deepEqual(fs.readFileSync(`/proc/${shimPid}/cmdline`, 'utf8').split('\0').slice(1, 3), ['--fork', spec.stateDir]);
    const marks = fs.readFileSync(timing, 'utf8');
    assert.match(marks, new RegExp(`^shim-timing ${shimPid} started `, 'm'), 'BERTH_SHIM_TIMING set after the zygote started reached the shim');
    // the private network namespace was made by the shim ahead of clone (BERTH_SHIM_PRENET): PID 1 is in
    // a namespace of its own with only lo, up; the shim went back to ours
    assert.match(marks, new RegExp(`^shim-timing ${shimPid} prenet `, 'm'));
    const netns = (pid: number | 'self'): string => fs.readlinkSync(`/proc/${pid}/ns/net`);
    assert.equal(netns(shimPid), netns('self'), 'the shim serves from the host network namespace');
    assert.notEqual(netns(c.pid), netns('self'), 'PID 1 has its own network namespace');
    const e = await c.exec({ ...spec.process, args: ['sh', '-c', 'ls /sys/class/net; cat /sys/class/net/lo/operstate /sys/class/net/lo/flags'] });
    const io = await e.attach();
    const [out] = await Promise.all([collect(io.stdout), collect(io.stderr), e.wait()]);
    assert.match(out, /^lo\n/, out);
    assert.equal(Number(out.trim().split('\n').pop()) & 1, 1, `lo is up: ${out}`);
    await c.signal('SIGKILL');
    assert.equal((await c.wait()).exitCode, 137);

    stopShimZygotes();
    await until('the zygote to exit', () => (fs.existsSync(`/proc/${zygote.pid}`) && !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${zygote.pid}/status`, 'utf8')) ? undefined : true));
    assert.deepEqual(shimZygotes(), []);
    // starts go on (spawned, then from a new zygote)
    const again = await h.run(['echo', 'again']);
    assert.equal(again.out, 'again\n');
  });

  it('keeps a spare forked ahead, which makes a network namespace ahead when the last start wanted one', async function () {
    await h.run(['true']);
    const zygote = await until('the zygote', () => shimZygotes()[0]).catch(() => undefined);
    if (!zygote) { console.log('skip: the berth_exec addon has no startZygote (shims are spawned)'); this.skip(); }
    // a private network namespace: the next spare holds one, made ahead
    await h.run(['true']);
    let spare = await until('a spare', () => spareOf(zygote.pid));
    await until('the spare\'s network namespace', () => (netnsFds(spare).length === 1 ? true : undefined));
    const ahead = netnsFds(spare)[0];
    // taken by a container that wants one: PID 1 is in it, the shim keeps no fd of it
    const spec = h.spec(['sleep', '60']);
    const c = await h.start(spec);
    assert.equal(fs.readlinkSync(`/proc/${c.pid}/ns/net`), ahead, 'PID 1 got the namespace the spare made ahead');
    const shimPid = Number(fs.readFileSync(path.join(spec.stateDir, 'shim.pid'), 'utf8').split(' ')[0]);
    assert.equal(shimPid, spare, 'the spare became this container\'s shim');
    assert.deepEqual(netnsFds(shimPid), []);
    // a container in the host's network namespace: the ahead one is dropped, and the next spare makes none
    spare = await until('the next spare', () => spareOf(zygote.pid));
    await until('its network namespace', () => (netnsFds(spare).length === 1 ? true : undefined));
    const host = h.spec(['sleep', '60'], {});
    host.namespaces = { ...host.namespaces, net: { mode: 'host' } };
    const hc = await h.start(host);
    assert.equal(fs.readlinkSync(`/proc/${hc.pid}/ns/net`), fs.readlinkSync('/proc/self/ns/net'));
    const hostShim = Number(fs.readFileSync(path.join(host.stateDir, 'shim.pid'), 'utf8').split(' ')[0]);
    assert.deepEqual(netnsFds(hostShim), [], 'the namespace made ahead was closed');
    spare = await until('the next spare', () => spareOf(zygote.pid));
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(netnsFds(spare), [], 'no namespace ahead after a start that wanted none');
    for (const x of [c, hc]) { await x.signal('SIGKILL'); await x.wait(); }
  });

  it('recovers from a killed zygote: its spare leaves, the next start spawns, a new zygote follows', async function () {
    await h.run(['true']);
    const zygote = await until('the zygote', () => shimZygotes()[0]).catch(() => undefined);
    if (!zygote) { console.log('skip: the berth_exec addon has no startZygote (shims are spawned)'); this.skip(); }
    const spare = await until('a spare', () => spareOf(zygote.pid));
    process.kill(zygote.pid, 'SIGKILL');
    const gone = (pid: number): true | undefined => {
      try { return /^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8')) ? true : undefined; } catch { return true; }
    };
    await until('the spare to leave', () => gone(spare));
    const r = await h.run(['echo', 'ok']);
    assert.equal(r.out, 'ok\n');
    // the start after the failed request begins a new zygote
    const again = await h.run(['echo', 'again']);
    assert.equal(again.out, 'again\n');
    await until('a new zygote', () => shimZygotes().find((z) => z.pid !== zygote.pid));
  });

  it('queues a burst of parallel starts while busy and serves them all, then the next ones', async function () {
    await h.run(['true']);
    const zygote = await until('the zygote', () => shimZygotes()[0]).catch(() => undefined);
    if (!zygote) { console.log('skip: the berth_exec addon has no startZygote (shims are spawned)'); this.skip(); }
    // the zygote stopped: 16 start requests wait on its socket (a connected socketpair has no
    // datagram queue limit, only its buffer's) until it is continued
    process.kill(zygote.pid, 'SIGSTOP');
    const cont = setTimeout(() => process.kill(zygote.pid, 'SIGCONT'), 500);
    let runs: Awaited<ReturnType<Harness['run']>>[];
    try {
      runs = await Promise.all(Array.from({ length: 16 }, (_, i) => h.run(['echo', `n${i}`])));
    } finally {
      clearTimeout(cont);
      process.kill(zygote.pid, 'SIGCONT');
    }
    runs.forEach((r, i) => { assert.equal(r.out, `n${i}\n`); assert.equal(r.status.exitCode, 0); });
    assert.deepEqual(shimZygotes().map((z) => z.pid), [zygote.pid], 'the same zygote still serves');
    const spec = h.spec(['sleep', '60']);
    const c = await h.start(spec);
    const shimPid = Number(fs.readFileSync(path.join(spec.stateDir, 'shim.pid'), 'utf8').split(' ')[0]);
    assert.equal(stackEnd(shimPid), stackEnd(zygote.pid), 'forked by the zygote after the burst');
    await c.signal('SIGKILL');
    await c.wait();
  });
});
