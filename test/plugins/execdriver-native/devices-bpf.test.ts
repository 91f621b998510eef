/**
 * The cgroup v2 device policy (a BPF_PROG_TYPE_CGROUP_DEVICE program the
 * shim attaches to the container's cgroup2 directory). On this hybrid
 * machine the v1 devices controller enforces the same list, so the test
 * opens the v1 side wide (`a` in devices.allow) and checks that the BPF
 * program alone still refuses: opening a device node with no driver behind it
 * (c 240:0, the "local/experimental" range) fails with EPERM when the cgroup
 * refuses and with ENXIO when it allows, so nothing real is touched.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunningContainer } from '../../../core';
import { defaultProcessSpec } from '../../../plugins/execdriver-native';
import { ContainerCgroup, parseDeviceRule } from '../../../plugins/execdriver-native/cgroups';
import { collect, newHarness, requireKernel, type Harness } from './harness';

const PROBE = 'f=/tmp/bt-dev-$$; rm -f $f; mknod $f c 240 0 && cat $f; rm -f $f; echo hi > /dev/null && echo null-ok';

async function execOut(c: RunningContainer, script: string): Promise<string> {
  const e = await c.exec(defaultProcessSpec(['sh', '-c', script]));
  const io = await e.attach();
  const [out, err] = await Promise.all([collect(io.stdout), collect(io.stderr), e.wait()]);
  return out + err;
}

describe('execdriver-native: cgroup v2 device filter (BPF)', function () {
  this.timeout(60000);
  let h: Harness;
  before(function () {
    requireKernel(this);
    if (!ContainerCgroup.of('bt', 'x').dirs.unified) { console.log('skip: no cgroup2 hierarchy mounted (/sys/fs/cgroup or /sys/fs/cgroup/unified)'); this.skip(); }
    h = newHarness();
  });
  afterEach(async () => { await h?.cleanup(); });
  after(async () => { await h?.destroy(); });

  it('parses devices.allow rules', () => {
    assert.deepEqual(parseDeviceRule('c 1:3 rwm'), { type: 'c', major: 1, minor: 3, access: 'rwm' });
    assert.deepEqual(parseDeviceRule('b *:* m'), { type: 'b', major: -1, minor: -1, access: 'm' });
    assert.deepEqual(parseDeviceRule('c 136:* rwm'), { type: 'c', major: 136, minor: -1, access: 'rwm' });
    assert.throws(() => parseDeviceRule('x 1:2 r'), /invalid device rule/);
  });

  it('refuses a device outside the allow-list even with the v1 devices cgroup open; /dev/null works; privileged is not filtered', async function () {
    const spec = h.spec(['sleep', '60']);
    const c = await h.start(spec);
    const cg = ContainerCgroup.of(spec.cgroup.parent, spec.id);
    const log = fs.existsSync(path.join(spec.stateDir, 'shim.log')) ? fs.readFileSync(path.join(spec.stateDir, 'shim.log'), 'utf8') : '';
    const failed = /device filter[^:]*: (.*)/.exec(log);
    if (failed) { console.log(`skip: the kernel refused the BPF cgroup device program (${failed[1]}; needs CONFIG_CGROUP_BPF)`); this.skip(); }
    if (cg.dirs.devices) fs.writeFileSync(path.join(cg.dirs.devices, 'devices.allow'), 'a');
    const out = await execOut(c, PROBE);
    assert.match(out, /can't open '\/tmp\/bt-dev-\d+': Operation not permitted/, out);
    assert.match(out, /null-ok/, out);

    const priv = await h.start(h.spec(['sleep', '60'], { privileged: true }));
    const pout = await execOut(priv, PROBE);
    // allowed: the open reaches the (absent) driver
    assert.match(pout, /can't open '\/tmp\/bt-dev-\d+': No such device or address/, pout);
    assert.match(pout, /null-ok/, pout);
  });

  it('loads the program once per driver and hands it to each shim, which keeps no fd of it (nor does PID 1)', async function () {
    const bpfFds = (pid: number): string[] => fs.readdirSync(`/proc/${pid}/fd`)
      .map((fd) => { try { return fs.readlinkSync(`/proc/${pid}/fd/${fd}`); } catch { return ''; } })
      .filter((l) => l.includes('bpf-prog'));
    const a = h.spec(['sleep', '60']);
    const ca = await h.start(a);
    const log = fs.existsSync(path.join(a.stateDir, 'shim.log')) ? fs.readFileSync(path.join(a.stateDir, 'shim.log'), 'utf8') : '';
    if (/device filter/.test(log)) { console.log('skip: the kernel refused the BPF cgroup device program (needs CONFIG_CGROUP_BPF)'); this.skip(); }
    if (h.driver.loadedDevicePrograms() === 0) { console.log('skip: the berth_exec addon has no loadDeviceProgram (the shim loads its own)'); this.skip(); }
    const b = h.spec(['sleep', '60']);
    const cb = await h.start(b);
    assert.equal(h.driver.loadedDevicePrograms(), 1, 'one program for the default rules, shared by both containers');
    for (const [c, spec] of [[ca, a], [cb, b]] as const) {
      const shimPid = Number(fs.readFileSync(path.join(spec.stateDir, 'shim.pid'), 'utf8').split(' ')[0]);
      assert.deepEqual(bpfFds(shimPid), [], `shim ${shimPid} keeps no device program fd`);
      assert.deepEqual(bpfFds(c.pid), [], `PID 1 ${c.pid} inherits no device program fd`);
      // and the shared program is really in force in each container
      const out = await execOut(c, PROBE);
      assert.match(out, /can't open '\/tmp\/bt-dev-\d+': Operation not permitted/, out);
    }
  });

  it('falls back to the v1 devices cgroup when the BPF filter is not used (BERTH_SHIM_DEVICES=v1)', async function () {
    const spec = h.spec(['sleep', '60']);
    const cg = ContainerCgroup.of(spec.cgroup.parent, spec.id);
    if (!cg.dirs.devices) { console.log('skip: no v1 devices cgroup controller mounted'); this.skip(); }
    process.env.BERTH_SHIM_DEVICES = 'v1';
    let c: RunningContainer;
    try { c = await h.start(spec); } finally { delete process.env.BERTH_SHIM_DEVICES; }
    const list = fs.readFileSync(path.join(cg.dirs.devices, 'devices.list'), 'utf8');
    assert.ok(!/^a \*:\* rwm$/m.test(list) && /^c 1:3 rwm$/m.test(list), list);
    const out = await execOut(c, PROBE);
    assert.match(out, /can't open '\/tmp\/bt-dev-\d+': Operation not permitted/, out);
    assert.match(out, /null-ok/, out);
  });
});
