import * as assert from 'node:assert/strict';
import { buildContainerSpec, type SpecInput } from '../../../core/container/spec/build-spec';
import { mergeImageConfig } from '../../../core/container/merge-config';
import { normaliseCreateBody } from '../../../core/container/normalise-create';
import { computeCapabilities, capabilitiesFromMask } from '../../../core/container/spec/capabilities';
import { DEFAULT_CAPABILITIES, ALL_CAPABILITIES } from '../../../core/container/spec/defaults';
import { resolveUser, parsePasswd, parseGroup } from '../../../core/container/spec/user';
import { mergeTmpfsOptions } from '../../../core/container/spec/mounts';
import { isInvalidArgument } from '../../../core/errors';

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nwww-data:x:33:33:www-data:/var/www:/bin/false\nalice:x:1000:1000::/home/alice:/bin/sh\n';
const GROUP = 'root:x:0:\nwww-data:x:33:\nstaff:x:50:alice,bob\nvideo:x:44:alice\nalice:x:1000:\n';
const FULL = [...ALL_CAPABILITIES];

function spec(body: Record<string, unknown>, image: Record<string, unknown> = { Cmd: ['sh'] }, extra: Partial<SpecInput> = {}) {
  const n = normaliseCreateBody({ Image: 'busybox', ...body }, { swapLimit: true, cpus: 2 });
  const config = mergeImageConfig(n.config, image);
  config.Hostname = config.Hostname || 'abcdef012345';
  return buildContainerSpec({
    id: 'a'.repeat(64), config, hostConfig: n.hostConfig, stateDir: '/run/x', rootfs: '/rootfs',
    passwd: PASSWD, group: GROUP, bounding: FULL, ...extra,
  });
}

describe('building a ContainerSpec from a create body and an image', () => {
  it('applies Docker\'s defaults', () => {
    const { spec: s } = spec({});
    assert.deepEqual(s.process.capabilities.sort(), [...DEFAULT_CAPABILITIES].sort());
    assert.equal(s.process.capabilities.length, 14);
    assert.ok(s.maskedPaths.includes('/proc/kcore'));
    assert.ok(s.readonlyPaths.includes('/proc/sys'));
    assert.equal(s.shmSize, 64 * 1024 * 1024);
    assert.equal(s.process.cwd, '/');
    assert.deepEqual(s.process.user, { uid: 0, gid: 0, additionalGids: [0] });
    assert.deepEqual(s.process.args, ['sh']);
    assert.deepEqual(s.process.env, [
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOSTNAME=abcdef012345', 'HOME=/root',
    ]);
    assert.equal(s.seccomp, undefined, 'driver default seccomp');
    assert.equal(s.process.noNewPrivileges, false);
    assert.equal(s.readonlyRootfs, false);
    assert.equal(s.init, false);
    assert.deepEqual(s.namespaces.pid, { mode: 'private' });
    assert.deepEqual(s.namespaces.net, { mode: 'private' });
    assert.deepEqual(s.cgroup, { parent: 'berth', resources: {} });
    assert.equal(s.hostname, 'abcdef012345');
  });

  it('cap-add, cap-drop and ALL follow TweakCapabilities', () => {
    assert.deepEqual(spec({ HostConfig: { CapDrop: ['ALL'], CapAdd: ['net_admin'] } }).spec.process.capabilities, ['CAP_NET_ADMIN']);
    const noChown = spec({ HostConfig: { CapDrop: ['CHOWN'], CapAdd: ['SYS_ADMIN'] } }).spec.process.capabilities;
    assert.ok(!noChown.includes('CAP_CHOWN'));
    assert.ok(noChown.includes('CAP_SYS_ADMIN'));
    assert.equal(noChown.length, 14);
    const all = spec({ HostConfig: { CapAdd: ['ALL'], CapDrop: ['CAP_MKNOD'] } }).spec.process.capabilities;
    assert.equal(all.length, ALL_CAPABILITIES.length - 1);
    assert.ok(!all.includes('CAP_MKNOD'));
  });

  it('privileged gets every capability the bounding set allows, no masks, unconfined, and says what is missing', () => {
    const bounding = capabilitiesFromMask('000001fffeffffff');
    assert.ok(!bounding.includes('CAP_SYS_RESOURCE'));
    const { spec: s, warnings } = spec({ HostConfig: { Privileged: true } }, { Cmd: ['sh'] }, { bounding });
    assert.equal(s.process.capabilities.length, ALL_CAPABILITIES.length - 1);
    assert.ok(!s.process.capabilities.includes('CAP_SYS_RESOURCE'));
    assert.deepEqual(s.maskedPaths, []);
    assert.deepEqual(s.readonlyPaths, []);
    assert.equal(s.seccomp, null);
    assert.equal(s.privileged, true);
    assert.match(warnings.join(), /CAP_SYS_RESOURCE/);
  });

  it('security options: no-new-privileges, seccomp unconfined and a custom profile', () => {
    assert.equal(spec({ HostConfig: { SecurityOpt: ['no-new-privileges'] } }).spec.process.noNewPrivileges, true);
    assert.equal(spec({ HostConfig: { SecurityOpt: ['no-new-privileges:true'] } }).spec.process.noNewPrivileges, true);
    assert.equal(spec({ HostConfig: { SecurityOpt: ['seccomp=unconfined'] } }).spec.seccomp, null);
    const profile = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] };
    assert.deepEqual(spec({ HostConfig: { SecurityOpt: [`seccomp=${JSON.stringify(profile)}`] } }).spec.seccomp, profile);
    assert.equal(spec({}, { Cmd: ['sh'] }, { defaults: { cgroupParent: 'p', shmSize: 1, noNewPrivileges: true } }).spec.process.noNewPrivileges, true);
  });

  it('resources: memory, swap, cpus, quota, cpuset, pids, blkio, shm, read-only, init, ulimits', () => {
    const { spec: s } = spec({
      HostConfig: {
        Memory: 64 * 1024 * 1024, CpuShares: 512, NanoCpus: 1_500_000_000, CpusetCpus: '0', PidsLimit: 20,
        BlkioWeight: 300, ShmSize: 1024 * 1024, ReadonlyRootfs: true, Init: true, CgroupParent: 'mine',
        Ulimits: [{ Name: 'nofile', Soft: 100, Hard: 200 }],
      },
    });
    assert.deepEqual(s.cgroup, {
      parent: 'mine',
      resources: {
        memory: 64 * 1024 * 1024, memorySwap: 128 * 1024 * 1024, cpuShares: 512, cpuPeriod: 100000, cpuQuota: 150000,
        cpusetCpus: '0', pidsLimit: 20, blkioWeight: 300,
      },
    });
    assert.equal(s.shmSize, 1024 * 1024);
    assert.equal(s.readonlyRootfs, true);
    assert.equal(s.init, true);
    assert.deepEqual(s.process.rlimits, [{ type: 'RLIMIT_NOFILE', soft: 100, hard: 200 }]);
    const q = spec({ HostConfig: { CpuQuota: 20000, CpuPeriod: 50000, MemorySwap: -1, Memory: 10 * 1024 * 1024, PidsLimit: -1 } }).spec.cgroup.resources;
    assert.deepEqual(q, { memory: 10 * 1024 * 1024, memorySwap: -1, cpuQuota: 20000, cpuPeriod: 50000 });
  });

  it('users: names and ids from the image, groups, GroupAdd, HOME', () => {
    let s = spec({ User: 'alice' }).spec;
    assert.deepEqual(s.process.user, { uid: 1000, gid: 1000, additionalGids: [1000, 50, 44] });
    assert.ok(s.process.env.includes('HOME=/home/alice'));
    s = spec({ User: '33:staff', HostConfig: { GroupAdd: ['video', '999'] } }).spec;
    assert.deepEqual(s.process.user, { uid: 33, gid: 50, additionalGids: [50, 44, 999] });
    s = spec({ User: '4242' }).spec;
    assert.deepEqual(s.process.user, { uid: 4242, gid: 0, additionalGids: [0] });
    s = spec({}, { Cmd: ['sh'], User: 'www-data' }).spec;
    assert.equal(s.process.user.uid, 33);
    assert.throws(() => spec({ User: 'mallory' }), (e: unknown) => isInvalidArgument(e) && /unable to find user mallory/.test((e as Error).message));
    assert.throws(() => spec({ User: 'alice:wheel' }), (e: unknown) => isInvalidArgument(e) && /unable to find group wheel/.test((e as Error).message));
    assert.throws(() => spec({ HostConfig: { GroupAdd: ['wheel'] } }), /Unable to find group wheel/);
  });

  it('mounts: binds with options, --mount bind/tmpfs, --tmpfs with Docker\'s defaults', () => {
    const { spec: s } = spec({
      HostConfig: {
        Binds: ['/host/a:/a', '/host/b:/b:ro,rshared'],
        Mounts: [
          { Type: 'bind', Source: '/host/c', Target: '/c', ReadOnly: true, BindOptions: { NonRecursive: true } },
          { Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1048576, Mode: 0o700 } },
        ],
        Tmpfs: { '/run': 'exec,size=64m' },
      },
    });
    assert.deepEqual(s.mounts, [
      { type: 'bind', source: '/host/a', destination: '/a', options: ['rbind', 'rw', 'rprivate'] },
      { type: 'bind', source: '/host/b', destination: '/b', options: ['rbind', 'ro', 'rshared'] },
      { type: 'bind', source: '/host/c', destination: '/c', options: ['bind', 'ro', 'rprivate'] },
      { type: 'tmpfs', source: 'tmpfs', destination: '/t', options: ['noexec', 'nosuid', 'nodev', 'size=1048576', 'mode=700'] },
      { type: 'tmpfs', source: 'tmpfs', destination: '/run', options: ['nosuid', 'nodev', 'exec', 'size=64m'] },
    ]);
    assert.deepEqual(mergeTmpfsOptions(['noexec', 'size=1', 'exec', 'size=2']), ['exec', 'size=2']);
  });

  it('namespaces and network: host modes, a netns path to join, host network', () => {
    let s = spec({ HostConfig: { PidMode: 'host', IpcMode: 'host', UTSMode: 'host' } }).spec;
    assert.deepEqual([s.namespaces.pid.mode, s.namespaces.ipc.mode, s.namespaces.uts.mode], ['host', 'host', 'host']);
    s = spec({}, { Cmd: ['sh'] }, { netnsPath: '/run/berth/netns/x' }).spec;
    assert.deepEqual(s.namespaces.net, { mode: 'path', path: '/run/berth/netns/x' });
    s = spec({ HostConfig: { NetworkMode: 'host' } }).spec;
    assert.deepEqual(s.namespaces.net, { mode: 'host' });
  });

  it('tty sets TERM and terminal; WorkingDir and entrypoint pass through', () => {
    const { spec: s } = spec({ Tty: true, OpenStdin: true, WorkingDir: '/work', Entrypoint: ['/bin/echo'], Cmd: ['a', 'b'] });
    assert.equal(s.process.terminal, true);
    assert.equal(s.process.openStdin, true);
    assert.ok(s.process.env.includes('TERM=xterm'));
    assert.equal(s.process.cwd, '/work');
    assert.deepEqual(s.process.args, ['/bin/echo', 'a', 'b']);
  });
});

describe('capability sets and users (units)', () => {
  it('computeCapabilities reports what the bounding set lacks', () => {
    const r = computeCapabilities(['SYS_RESOURCE'], [], false, DEFAULT_CAPABILITIES);
    assert.deepEqual(r.missing, ['CAP_SYS_RESOURCE']);
    assert.equal(r.capabilities.length, 14);
  });
  it('resolveUser with an empty passwd file accepts numeric ids only', () => {
    assert.deepEqual(resolveUser('5:6', [], []), { uid: 5, gid: 6, additionalGids: [6], home: '/' });
    assert.throws(() => resolveUser('bob', parsePasswd(''), parseGroup('')), isInvalidArgument);
  });
});
