/**
 * Cgroup limits of the native exec driver on this machine's hierarchy
 * (v1 here): memory OOM, pids, stats, freezer, removal.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { ContainerCgroup, isCgroupV2 } from '../../../plugins/execdriver-native/cgroups';
import { defaultProcessSpec } from '../../../plugins/execdriver-native';
import { Harness, collect, newHarness, requireKernel } from './harness';

describe('execdriver-native: cgroups', function () {
  this.timeout(30000);
  let h: Harness;
  before(function () { requireKernel(this); h = newHarness(); });
  afterEach(async () => { await h?.cleanup(); });
  after(async () => { await h?.destroy(); });

  it('OOM-kills a process over its memory limit: exit 137, oomKilled', async () => {
    const spec = h.spec(['awk', 'BEGIN { s = "x"; while (1) s = s s }']);
    spec.cgroup.resources = { memory: 32 * 1024 * 1024 };
    const c = await h.start(spec);
    const st = await c.wait();
    assert.equal(st.exitCode, 137);
    assert.equal(st.signal, 'SIGKILL');
    assert.equal(st.oomKilled, true);
    const recorded = JSON.parse(fs.readFileSync(`${spec.stateDir}/exit.json`, 'utf8'));
    assert.equal(recorded.oomKilled, true);
  });

  it('kills and deletes a paused container', async () => {
    const spec = h.spec(['sleep', '30']);
    const c = await h.start(spec);
    await c.pause();
    await c.signal('SIGKILL');
    assert.equal((await c.wait()).exitCode, 137);
    const spec2 = h.spec(['sleep', '30']);
    const c2 = await h.start(spec2);
    await c2.pause();
    await h.driver.delete(spec2.id, spec2.stateDir);
    for (const d of Object.values(ContainerCgroup.of(spec2.cgroup.parent, spec2.id).dirs)) assert.ok(!fs.existsSync(d), d);
    assert.throws(() => process.kill(c2.pid, 0), /ESRCH/);
  });

  it('shows the container its own cgroups read-only at /sys/fs/cgroup', async () => {
    const spec = h.spec(['sh', '-c', isCgroupV2()
      ? 'cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max; echo 1 > /sys/fs/cgroup/pids.max; echo w=$?'
      : 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max; echo 1 > /sys/fs/cgroup/pids/pids.max; echo w=$?']);
    spec.cgroup.resources = { memory: 48 * 1024 * 1024, pidsLimit: 33 };
    const c = await h.start(spec);
    const io = await c.attach();
    const [out] = await Promise.all([collect(io.stdout), collect(io.stderr)]);
    assert.equal((await c.wait()).exitCode, 0);
    assert.match(out, new RegExp(`^${48 * 1024 * 1024}\n33\nw=[1-9]\n$`));
  });

  it('stops a fork bomb at the pids limit', async () => {
    // the inner sh forks until the kernel refuses; PID 1 then execs into sleep (no fork needed)
    const bomb = 'i=0; while [ $i -lt 40 ]; do sleep 30 & i=$((i+1)); done; echo all-forked';
    const spec = h.spec(['sh', '-c', `sh -c '${bomb}'; echo bomb-exit=$?; exec sleep 30`]);
    spec.cgroup.resources = { pidsLimit: 12 };
    const c = await h.start(spec);
    const io = await c.attach();
    const errP = collect(io.stderr);
    let out = '';
    await new Promise<void>((resolve) => {
      io.stdout.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('bomb-exit=')) resolve(); });
      io.stdout.on('end', () => resolve());
    });
    const stats = await c.stats();
    assert.doesNotMatch(out, /all-forked/);
    assert.match(out, /bomb-exit=[1-9]/);
    assert.equal(stats.pids.limit, 12);
    // PID 1 + the sleeps the inner sh got before the limit (it held one slot itself, now gone)
    assert.ok(stats.pids.current >= 10 && stats.pids.current <= 12, `pids.current ${stats.pids.current}`);
    assert.equal((await c.pids()).length, stats.pids.current);
    await c.signal('SIGKILL');
    await c.wait();
    assert.match(await errP, /can't fork|Resource temporarily unavailable/);
  });

  it('reports stats, pauses and resumes with the freezer, and removes its cgroups on delete', async () => {
    const spec = h.spec(['sh', '-c', 'while true; do echo tick; sleep 0.05; done']);
    spec.cgroup.resources = { memory: 64 * 1024 * 1024, cpuShares: 512, cpuQuota: 50000, cpuPeriod: 100000, cpusetCpus: '0' };
    const c = await h.start(spec);
    const cg = ContainerCgroup.of(spec.cgroup.parent, spec.id);
    const s = await c.stats();
    assert.equal(s.memory.limit, 64 * 1024 * 1024);
    assert.ok(s.memory.usage > 0);
    assert.ok(s.pids.current >= 1);
    if (!isCgroupV2()) {
      assert.equal(fs.readFileSync(`${cg.dirs.cpu}/cpu.shares`, 'utf8').trim(), '512');
      assert.equal(fs.readFileSync(`${cg.dirs.cpu}/cpu.cfs_quota_us`, 'utf8').trim(), '50000');
      assert.equal(fs.readFileSync(`${cg.dirs.cpuset}/cpuset.cpus`, 'utf8').trim(), '0');
      assert.equal(fs.readFileSync(`${cg.dirs.memory}/memory.memsw.limit_in_bytes`, 'utf8').trim(), String(128 * 1024 * 1024));
    }
    await c.pause();
    if (!isCgroupV2()) assert.equal(fs.readFileSync(`${cg.dirs.freezer}/freezer.state`, 'utf8').trim(), 'FROZEN');
    const state = fs.readFileSync(`/proc/${c.pid}/status`, 'utf8');
    await assert.rejects(c.exec(defaultProcessSpec(['true'])), /is paused/);
    await c.resume();
    assert.match(state, /^State:\s*[SD]/m);
    if (!isCgroupV2()) assert.equal(fs.readFileSync(`${cg.dirs.freezer}/freezer.state`, 'utf8').trim(), 'THAWED');
    await c.update({ pidsLimit: 50 });
    assert.equal((await c.stats()).pids.limit, 50);
    await c.signal('SIGKILL');
    assert.equal((await c.wait()).exitCode, 137);
    await h.driver.delete(spec.id, spec.stateDir);
    for (const d of Object.values(cg.dirs)) assert.ok(!fs.existsSync(d), `${d} still exists`);
  });
});
