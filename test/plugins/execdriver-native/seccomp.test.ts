/**
 * seccomp through the native exec driver: the default profile's semantics,
 * unconfined, custom Docker-format profiles, and validation errors.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { isInvalidArgument } from '../../../core';
import { DEFAULT_CAPABILITIES, defaultSeccompProfile, flattenSeccompProfile, validateSeccompProfile } from '../../../plugins/execdriver-native';
import { ContainerCgroup } from '../../../plugins/execdriver-native/cgroups';
import { CLONE_NAMESPACE_FLAGS } from '../../../plugins/execdriver-native/seccomp-default-profile';
import { Harness, newHarness, requireKernel } from './harness';

describe('execdriver-native: seccomp profiles (flattening)', () => {
  it('restricts clone to non-namespace flags and denies unshare/mount/keyctl without CAP_SYS_ADMIN', () => {
    const flat = flattenSeccompProfile(defaultSeccompProfile(), DEFAULT_CAPABILITIES, 'SCMP_ARCH_X86_64', '6.1.0');
    assert.equal(flat.defaultAction, 'SCMP_ACT_ERRNO');
    assert.equal(flat.defaultErrno, 1);
    assert.deepEqual(flat.arches, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    const clone = flat.rules.filter((r) => r.name === 'clone');
    assert.equal(clone.length, 1);
    assert.deepEqual(clone[0].args, [{ index: 0, op: 'SCMP_CMP_MASKED_EQ', value: BigInt(CLONE_NAMESPACE_FLAGS), valueTwo: 0n }]);
    for (const denied of ['unshare', 'mount', 'keyctl', 'setns', 'bpf', 'reboot']) {
      assert.ok(!flat.rules.some((r) => r.name === denied && r.action === 'SCMP_ACT_ALLOW'), `${denied} allowed`);
    }
    assert.equal(flat.rules.find((r) => r.name === 'clone3')?.errno, 38);
    assert.ok(flat.rules.some((r) => r.name === 'ptrace'), 'ptrace allowed from kernel 4.8');
    assert.ok(!flattenSeccompProfile(defaultSeccompProfile(), DEFAULT_CAPABILITIES, 'SCMP_ARCH_X86_64', '4.4.0').rules.some((r) => r.name === 'ptrace'));
  });

  it('allows clone with any flags, mount and unshare with CAP_SYS_ADMIN', () => {
    const flat = flattenSeccompProfile(defaultSeccompProfile(), [...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN'], 'SCMP_ARCH_X86_64', '6.1.0');
    assert.deepEqual(flat.rules.filter((r) => r.name === 'clone').map((r) => r.args.length), [0]);
    for (const n of ['mount', 'unshare', 'setns', 'clone3']) assert.ok(flat.rules.some((r) => r.name === n && r.action === 'SCMP_ACT_ALLOW'), n);
  });

  it('refuses a bad profile, naming the JSON pointer', () => {
    const bad = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ALLOW' }, { names: ['rmdir'], action: 'SCMP_ACT_NOPE' }] };
    assert.throws(() => validateSeccompProfile(bad), (e: Error) => isInvalidArgument(e) && /at \/syscalls\/1\/action: /.test(e.message));
    assert.throws(() => validateSeccompProfile({ syscalls: [] }), /at \/: must have required property 'defaultAction'/);
    assert.throws(() => validateSeccompProfile({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['x'], action: 'SCMP_ACT_ALLOW', args: [{ index: 9, op: 'SCMP_CMP_EQ' }] }] }),
      /at \/syscalls\/0\/args\/0\/index/);
  });
});

describe('execdriver-native: seccomp inside containers', function () {
  this.timeout(20000);
  let h: Harness;
  before(function () { requireKernel(this); h = newHarness(); });
  afterEach(async () => { await h?.cleanup(); });
  after(async () => { await h?.destroy(); });

  it('runs unconfined with seccomp: null (mount still denied: no CAP_SYS_ADMIN)', async () => {
    const r = await h.run(['sh', '-c', 'grep "^Seccomp:" /proc/self/status; mount -t tmpfs none /mnt; echo mount=$?'], { seccomp: null });
    assert.match(r.out, /^Seccomp:\s*0$/m);
    assert.match(r.out, /mount=[1-9]/);
  });

  it('lets CAP_SYS_ADMIN unshare (the default profile is capability-aware)', async () => {
    const spec = h.spec(['sh', '-c', 'unshare -m true; echo unshare=$?']);
    spec.process.capabilities = [...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN'];
    const c = await h.start(spec);
    const { collect } = await import('./harness');
    const out = await collect((await c.attach()).stdout);
    await c.wait();
    assert.equal(out, 'unshare=0\n');
  });

  it('applies a custom Docker-format profile (mkdir -> EACCES, the rest allowed)', async () => {
    const profile = {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }],
    };
    const r = await h.run(['sh', '-c', 'mkdir /tmp/nope; echo mkdir=$?; touch /tmp/yes && echo touch=0'], { seccomp: profile });
    assert.match(r.out, /mkdir=1/);
    assert.match(r.err, /Permission denied/);
    assert.match(r.out, /touch=0/);
  });

  it('refuses to start with an invalid profile and leaves no cgroup', async () => {
    const spec = h.spec(['true'], { seccomp: { defaultAction: 'SCMP_ACT_BOGUS' } });
    await assert.rejects(h.start(spec), /invalid seccomp profile at \/defaultAction/);
    for (const d of Object.values(ContainerCgroup.of(spec.cgroup.parent, spec.id).dirs)) assert.ok(!fs.existsSync(d));
  });
});
