import * as assert from 'node:assert/strict';
import { normaliseCreateBody } from '../../../core/container/normalise-create';
import { checkCreateBodyTypes } from '../../../core/container/create-schema';
import { isInvalidArgument } from '../../../core/errors';
import { parseMounts } from '../../../core/container/spec/mounts';

import { resolveDevices } from '../../../core/container/spec/devices';

const support = { swapLimit: true, cpus: 2 };
const msgOf = (fn: () => unknown): string => {
  try { fn(); } catch (e) { return (e as Error).message; }
  return '(no error)';
};

describe('container create body validation', () => {
  it('names the field and the expected type', () => {
    assert.equal(msgOf(() => checkCreateBodyTypes({ Image: 'x', HostConfig: { Memory: 'lots' } })), '/HostConfig/Memory: must be integer');
    assert.equal(msgOf(() => checkCreateBodyTypes({ Image: 'x', Env: 'A=1' })), '/Env: must be array');
    assert.equal(msgOf(() => checkCreateBodyTypes({ Image: 'x', Tty: 'yes' })), '/Tty: must be boolean');
    assert.equal(msgOf(() => checkCreateBodyTypes({ Image: 'x', HostConfig: { Ulimits: [{ Name: 'nofile', Soft: 'a' }] } })), '/HostConfig/Ulimits/0/Soft: must be integer');
    assert.equal(msgOf(() => checkCreateBodyTypes({ Image: 'x', Labels: { a: 1 } })), '/Labels/a: must be string');
    assert.equal(msgOf(() => checkCreateBodyTypes({ Image: 'x', HostConfig: { Mounts: [{ Type: 'nfs', Target: '/x' }] } })),
      '/HostConfig/Mounts/0/Type: must be one of "bind", "volume", "tmpfs", "npipe"');
    assert.throws(() => checkCreateBodyTypes('nope'), isInvalidArgument);
  });

  it('accepts nulls where Go would, and Cmd/Entrypoint as a string', () => {
    const n = normaliseCreateBody({ Image: 'busybox', Cmd: 'echo hi', Entrypoint: null, Env: null, HostConfig: { Binds: null, Memory: null } }, support);
    assert.deepEqual(n.config.Cmd, ['echo hi']);
    assert.equal(n.config.Entrypoint, null);
    assert.equal(n.hostConfig.Memory, 0);
    assert.equal(n.hostConfig.RestartPolicy.Name, 'no');
    assert.equal(n.hostConfig.NetworkMode, 'default');
  });

  it('records a PidsLimit of 0 or -1 as no limit (null), as dockerd', () => {
    for (const v of [0, -1]) assert.equal(normaliseCreateBody({ Image: 'busybox', HostConfig: { PidsLimit: v } }, support).hostConfig.PidsLimit, null, String(v));
    assert.equal(normaliseCreateBody({ Image: 'busybox', HostConfig: { PidsLimit: 20 } }, support).hostConfig.PidsLimit, 20);
    assert.equal(normaliseCreateBody({ Image: 'busybox' }, support).hostConfig.PidsLimit, null);
  });

  it('requires an image', () => {
    assert.equal(msgOf(() => normaliseCreateBody({ Cmd: ['x'] }, support)), '/Image: is required');
  });

  it('applies Docker\'s value rules with Docker\'s messages', () => {
    const cases: Array<[Record<string, unknown>, string | RegExp]> = [
      [{ RestartPolicy: { Name: 'sometimes' } }, "invalid restart policy 'sometimes'"],
      [{ RestartPolicy: { Name: 'always', MaximumRetryCount: 3 } }, "maximum retry count cannot be used with restart policy 'always'"],
      [{ RestartPolicy: { Name: 'on-failure', MaximumRetryCount: -1 } }, 'maximum retry count cannot be negative'],
      [{ AutoRemove: true, RestartPolicy: { Name: 'always' } }, "can't create 'AutoRemove' container with restart policy"],
      [{ Memory: 1024 }, 'Minimum memory limit allowed is 6MB'],
      [{ MemorySwap: 100 * 1024 * 1024 }, 'You should always set the Memory limit when using Memoryswap limit, see usage'],
      [{ Memory: 64 * 1024 * 1024, MemorySwap: 32 * 1024 * 1024 }, 'Minimum memoryswap limit should be larger than memory limit, see usage'],
      [{ NanoCpus: 1e9, CpuQuota: 50000 }, 'Conflicting options: Nano CPUs and CPU Quota cannot both be set'],
      [{ NanoCpus: 5e9 }, 'Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available'],
      [{ BlkioWeight: 5 }, 'Range of blkio weight is from 10 to 1000'],
      [{ CpusetCpus: '0-9' }, /Requested CPUs are not available/],
      [{ CapAdd: ['NET_FLY'] }, 'invalid CapAdd: unknown capability: "NET_FLY"'], // dockerd's words
      [{ SecurityOpt: ['seccomp=nope{'] }, /seccomp profile is not valid JSON/],
      [{ SecurityOpt: ['colour=blue'] }, /invalid --security-opt/],
      [{ Ulimits: [{ Name: 'nofiles', Soft: 1, Hard: 2 }] }, 'invalid ulimit type: nofiles'],
      [{ Ulimits: [{ Name: 'nofile', Soft: 3, Hard: 2 }] }, 'ulimit soft limit must be less than or equal to hard limit: 3 > 2'],
      [{ Binds: ['/a:relative'] }, /mount path must be absolute/],
      [{ Binds: ['/a:/b:rx'] }, 'invalid mode: rx'],
      [{ Binds: ['/a:/b', '/c:/b'] }, 'Duplicate mount point: /b'],
      [{ Mounts: [{ Type: 'bind', Target: '/x' }] }, /field Source must not be empty/],
      [{ Tmpfs: { '/run': 'size=1m,bogus' } }, /invalid tmpfs option/],
      [{ NetworkMode: 'container:' }, /container name is empty/],
      [{ PortBindings: { '80/tcpx': [] } }, 'invalid port specification: "80/tcpx"'],
      [{ PidMode: 'container:x' }, /\/HostConfig\/PidMode: invalid mode/],
    ];
    for (const [hc, want] of cases) {
      const got = msgOf(() => normaliseCreateBody({ Image: 'busybox', HostConfig: hc }, support));
      if (typeof want === 'string') assert.equal(got, want, JSON.stringify(hc));
      else assert.match(got, want, JSON.stringify(hc));
    }
    assert.equal(msgOf(() => normaliseCreateBody({ Image: 'b', StopSignal: 'SIGNOPE' }, support)), 'Invalid signal: SIGNOPE');
    assert.match(msgOf(() => normaliseCreateBody({ Image: 'b', WorkingDir: 'rel' }, support)), /needs to be an absolute path/);
  });

  it('checks --device mappings at create and reads the node from the host at start', () => {
    const bad = (Devices: unknown): string => msgOf(() => normaliseCreateBody({ Image: 'b', HostConfig: { Devices } }, support));
    assert.match(bad([{ PathOnHost: '/dev/null', CgroupPermissions: 'rx' }]), /invalid device cgroup permissions: "rx"/);
    assert.match(bad([{ PathOnHost: '/dev/null', CgroupPermissions: 'rr' }]), /invalid device cgroup permissions/);
    assert.match(bad([{ PathOnHost: '/dev/null', PathInContainer: 'dev/x' }]), /dev\/x is not an absolute path/);
    assert.match(bad([{ PathOnHost: '' }]), /PathOnHost is empty/);
    const [n] = resolveDevices([{ PathOnHost: '/dev/null', PathInContainer: '/dev/mynull', CgroupPermissions: 'rw' }]);
    assert.deepEqual({ ...n, fileMode: n.fileMode & 0o777 }, { path: '/dev/mynull', type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0, access: 'rw' });
    assert.throws(() => resolveDevices([{ PathOnHost: '/etc/hostname' }]), /adding custom device "\/etc\/hostname": not a device node/);
  });

  it('allows only namespaced --sysctl parameters, and not in a namespace shared with the host', () => {
    const bad = (HostConfig: Record<string, unknown>): string => msgOf(() => normaliseCreateBody({ Image: 'b', HostConfig }, support));
    assert.match(bad({ Sysctls: { 'kernel.panic': '1' } }), /sysctl "kernel\.panic" is not allowed in a container/);
    assert.match(bad({ NetworkMode: 'host', Sysctls: { 'net.core.somaxconn': '1' } }), /not allowed in host network namespace/);
    assert.match(bad({ IpcMode: 'host', Sysctls: { 'kernel.shmmax': '1' } }), /not allowed in host IPC namespace/);
    assert.match(bad({ Sysctls: { 'net.core.somaxconn': 'a\nb' } }), /invalid value/);
    const ok = normaliseCreateBody({ Image: 'b', HostConfig: { Sysctls: { 'net.core.somaxconn': '64', 'fs.mqueue.msg_max': '20', 'kernel.sem': '250 32000 100 128' } } }, support);
    assert.equal(ok.hostConfig.Sysctls?.['kernel.sem'], '250 32000 100 128');
  });

  it('parses named and anonymous volumes in Binds and Mounts', () => {
    const hc = normaliseCreateBody({ Image: 'b', HostConfig: { Binds: ['data:/data:ro,nocopy', '/anon'], Mounts: [{ Type: 'volume', Target: '/v', VolumeOptions: { NoCopy: true } }] } }, support).hostConfig;
    const ms = parseMounts(hc);
    assert.deepEqual(ms.map((m) => [m.type, m.destination, m.readOnly, m.volume]), [
      ['volume', '/data', true, { name: 'data', nocopy: true }],
      ['volume', '/anon', false, { nocopy: false }],
      ['volume', '/v', false, { name: undefined, nocopy: true, labels: undefined, driver: undefined, driverOpts: undefined }],
    ]);
    assert.throws(() => normaliseCreateBody({ Image: 'b', HostConfig: { Binds: ['data:/data:rshared'] } }, support), isInvalidArgument);
  });

  it('warns and sets MemorySwap=-1 without swap accounting', () => {
    const n = normaliseCreateBody({ Image: 'b', HostConfig: { Memory: 64 * 1024 * 1024 } }, { swapLimit: false, cpus: 2 });
    assert.equal(n.hostConfig.MemorySwap, -1);
    assert.match(n.warnings[0], /does not support swap limit/);
  });

  it('normalises StopSignal and keeps endpoints', () => {
    const n = normaliseCreateBody({
      Image: 'b', StopSignal: 'usr1',
      NetworkingConfig: { EndpointsConfig: { mynet: { Aliases: ['db'] } } },
    }, support);
    assert.equal(n.config.StopSignal, 'SIGUSR1');
    assert.deepEqual(n.endpoints, { mynet: { Aliases: ['db'] } });
  });
});
