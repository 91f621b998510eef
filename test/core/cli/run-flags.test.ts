import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command } from 'commander';
import { isInvalidArgument } from '../../../core/errors';
import { addRunFlags, buildCreateRequest, type CreateRequest, type RunFlags } from '../../../core/cli/run-flags';

const ENV = { HOME: '/root', FROM_CLIENT: 'client-value' };
const CWD = '/home/user/project';

/** Parses argv exactly as `berth run` (or `create`) does and builds the create request. */
function parse(argv: string[], run = true): CreateRequest {
  const cmd = new Command(run ? 'run' : 'create').argument('<image>').argument('[command...]').passThroughOptions().exitOverride();
  cmd.configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  addRunFlags(cmd, { run });
  let result: CreateRequest | undefined;
  cmd.action((image: string, args: string[], flags: RunFlags) => {
    result = buildCreateRequest(flags, image, args, { run, env: ENV, cwd: CWD });
  });
  cmd.parse(argv, { from: 'user' });
  assert.ok(result, 'action ran');
  return result;
}

function rejects(argv: string[], re: RegExp): void {
  assert.throws(() => parse(argv), (err: Error) => {
    assert.ok(isInvalidArgument(err), `expected InvalidArgumentError, got ${err.name}: ${err.message}`);
    assert.match(err.message, re);
    return true;
  });
}

describe('core/cli: run/create flags → Docker create body', () => {
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-cli-flags-')); });
  after(() => { fs.rmSync(dir, { recursive: true, force: true }); });

  it('builds docker defaults for a bare image', () => {
    const { name, platform, body } = parse(['busybox']);
    assert.equal(name, undefined);
    assert.equal(platform, undefined);
    assert.equal(body.Image, 'busybox');
    assert.equal(body.Cmd, null);
    assert.deepEqual(body.Env, []);
    assert.equal(body.AttachStdin, false);
    assert.equal(body.AttachStdout, true);
    assert.equal(body.AttachStderr, true);
    assert.equal(body.Tty, false);
    assert.equal(body.OpenStdin, false);
    assert.equal(body.StdinOnce, false);
    assert.equal(body.HostConfig.NetworkMode, 'default');
    assert.deepEqual(body.HostConfig.RestartPolicy, { Name: 'no', MaximumRetryCount: 0 });
    assert.equal(body.HostConfig.Binds, null);
    assert.equal(body.HostConfig.AutoRemove, false);
    assert.deepEqual(body.HostConfig.PortBindings, {});
    assert.deepEqual(body.NetworkingConfig, { EndpointsConfig: {} });
    assert.equal(body.ExposedPorts, undefined);
    assert.equal(body.Entrypoint, undefined);
  });

  it('keeps everything after the image as the command, flags included', () => {
    const { body } = parse(['--name', 'web', 'busybox', 'sh', '-c', 'echo -e hi', '-l', '--rm']);
    assert.deepEqual(body.Cmd, ['sh', '-c', 'echo -e hi', '-l', '--rm']);
    assert.equal(body.HostConfig.AutoRemove, false);
    assert.deepEqual(body.Labels, {});
  });

  it('sets attach/stdin fields for -it, -d and -dit as docker run does', () => {
    const it1 = parse(['-it', 'busybox']).body;
    assert.deepEqual([it1.AttachStdin, it1.AttachStdout, it1.OpenStdin, it1.StdinOnce, it1.Tty], [true, true, true, true, true]);
    const d = parse(['-d', 'busybox']).body;
    assert.deepEqual([d.AttachStdin, d.AttachStdout, d.AttachStderr, d.StdinOnce], [false, false, false, false]);
    const dit = parse(['-dit', 'busybox']).body;
    assert.deepEqual([dit.AttachStdin, dit.OpenStdin, dit.StdinOnce, dit.Tty], [false, true, false, true]);
  });

  it('create: attaches stdout/stderr, keeps -i open without StdinOnce, and has no -d', () => {
    const b = parse(['-i', 'busybox'], false).body;
    assert.deepEqual([b.AttachStdin, b.AttachStdout, b.OpenStdin, b.StdinOnce], [true, true, true, false]);
    assert.throws(() => parse(['-d', 'busybox'], false), /unknown option '-d'/);
  });

  it('passes --name and --platform as query parameters', () => {
    const r = parse(['--name', 'db', '--platform', 'linux/amd64', 'busybox']);
    assert.equal(r.name, 'db');
    assert.equal(r.platform, 'linux/amd64');
  });

  it('-e: KEY=VALUE as is, bare KEY from the client env, unknown bare KEY kept; --env-file before -e', () => {
    const file = path.join(dir, 'env');
    fs.writeFileSync(file, '# comment\n\nA=1\n  B=two words\nFROM_CLIENT\n');
    const { body } = parse(['--env-file', file, '-e', 'X=1', '-e', 'FROM_CLIENT', '-e', 'MISSING', '-e', 'E=', 'busybox']);
    assert.deepEqual(body.Env, ['A=1', 'B=two words', 'FROM_CLIENT=client-value', 'X=1', 'FROM_CLIENT=client-value', 'MISSING', 'E=']);
    rejects(['-e', '=x', 'busybox'], /invalid environment variable: =x/);
    rejects(['--env-file', path.join(dir, 'nope'), 'busybox'], /cannot read env file .*nope/);
  });

  it('-v: binds and named volumes go to Binds, anonymous volumes to Volumes, ./relative made absolute', () => {
    const { body } = parse(['-v', '/srv/www:/www:ro', '-v', 'data:/var/lib/data', '-v', '/cache', '-v', '/scratch:rw',
      '-v', './conf:/etc/app:ro,rslave', 'busybox']);
    assert.deepEqual(body.HostConfig.Binds, ['/srv/www:/www:ro', 'data:/var/lib/data', `${CWD}/conf:/etc/app:ro,rslave`]);
    assert.deepEqual(body.Volumes, { '/cache': {}, '/scratch': {} });
  });

  it('-v: refuses relative destinations, "/", bad modes, conflicting modes and bad volume names', () => {
    rejects(['-v', '/a:relative', 'busybox'], /mount path must be absolute/);
    rejects(['-v', '/a:/', 'busybox'], /destination can't be '\/'/);
    rejects(['-v', '/a:/b:rx', 'busybox'], /invalid mode: rx/);
    rejects(['-v', '/a:/b:ro,rw', 'busybox'], /invalid mode: ro,rw/);
    rejects(['-v', 'bad name!:/b', 'busybox'], /invalid characters for a local volume name/);
    rejects(['-v', 'a:b:c:d', 'busybox'], /invalid volume specification: 'a:b:c:d'/);
  });

  it('--mount: bind, volume and tmpfs with their options', () => {
    const { body } = parse([
      '--mount', 'type=bind,source=/srv,target=/srv,readonly,bind-propagation=rprivate',
      '--mount', 'type=volume,src=data,dst=/data,volume-nocopy,volume-driver=local,volume-opt=type=none,volume-label=a=b',
      '--mount', 'type=tmpfs,destination=/run,tmpfs-size=64m,tmpfs-mode=1777',
      '--mount', 'target=/anon,ro=false',
      'busybox']);
    assert.deepEqual(body.HostConfig.Mounts, [
      { Type: 'bind', Source: '/srv', Target: '/srv', ReadOnly: true, BindOptions: { Propagation: 'rprivate' } },
      { Type: 'volume', Source: 'data', Target: '/data', VolumeOptions: { NoCopy: true, DriverConfig: { Name: 'local', Options: { type: 'none' } }, Labels: { a: 'b' } } },
      { Type: 'tmpfs', Target: '/run', TmpfsOptions: { SizeBytes: 64 * 1024 * 1024, Mode: 0o1777 } },
      { Type: 'volume', Target: '/anon', ReadOnly: false },
    ]);
  });

  it('--mount: names what is wrong', () => {
    rejects(['--mount', 'type=bind,source=/a', 'busybox'], /target is required/);
    rejects(['--mount', 'type=bind,target=/a', 'busybox'], /source is required when specifying bind mounts/);
    rejects(['--mount', 'type=volume,target=/a,bind-propagation=shared', 'busybox'], /cannot mix 'bind-\*' options with mount type 'volume'/);
    rejects(['--mount', 'type=bind,src=/a,target=/a,tmpfs-size=1m', 'busybox'], /cannot mix 'tmpfs-\*' options/);
    rejects(['--mount', 'type=nfs,target=/a', 'busybox'], /invalid mount type 'nfs'/);
    rejects(['--mount', 'type=bind,src=/a,target=/a,colour=red', 'busybox'], /unexpected key 'colour'/);
    rejects(['--mount', 'type=tmpfs,target=/a,tmpfs-mode=999', 'busybox'], /invalid tmpfs-mode '999'/);
    rejects(['--mount', 'type=bind,src=/a,target=/a,readonly=maybe', 'busybox'], /invalid value for readonly: maybe/);
  });

  it('-p: docker port specs, IPv6, ranges and host ranges', () => {
    const { body } = parse(['-p', '80', '-p', '8080:80', '-p', '127.0.0.1:9090:90/udp', '-p', '127.0.0.1::91',
      '-p', '[::1]:5353:53/sctp', '-p', '7000-7001:70-71', '-p', '6000-6010:60', 'busybox']);
    assert.deepEqual(body.HostConfig.PortBindings, {
      '80/tcp': [{ HostIp: '', HostPort: '' }, { HostIp: '', HostPort: '8080' }],
      '90/udp': [{ HostIp: '127.0.0.1', HostPort: '9090' }],
      '91/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }],
      '53/sctp': [{ HostIp: '::1', HostPort: '5353' }],
      '70/tcp': [{ HostIp: '', HostPort: '7000' }],
      '71/tcp': [{ HostIp: '', HostPort: '7001' }],
      '60/tcp': [{ HostIp: '', HostPort: '6000-6010' }],
    });
    assert.deepEqual(Object.keys(body.ExposedPorts ?? {}).sort(), ['53/sctp', '60/tcp', '70/tcp', '71/tcp', '80/tcp', '90/udp', '91/tcp']);
  });

  it('-p: names the bad part', () => {
    rejects(['-p', '80/icmp', 'busybox'], /invalid proto: icmp/);
    rejects(['-p', '300.1.1.1:80:80', 'busybox'], /invalid IP address: 300.1.1.1/);
    rejects(['-p', '8080:', 'busybox'], /no port specified/);
    rejects(['-p', '70000:80', 'busybox'], /invalid hostPort: 70000/);
    rejects(['-p', 'http', 'busybox'], /invalid containerPort: http/);
    rejects(['-p', '1000-1002:80-81', 'busybox'], /invalid ranges specified for container and host Ports: 80-81 and 1000-1002/);
    rejects(['-p', '90-80', 'busybox'], /invalid range specified for containerPort: 90-80/);
  });

  it('-P and --expose', () => {
    const { body } = parse(['-P', '--expose', '8000-8001', '--expose', '53/udp', 'busybox']);
    assert.equal(body.HostConfig.PublishAllPorts, true);
    assert.deepEqual(body.ExposedPorts, { '8000/tcp': {}, '8001/tcp': {}, '53/udp': {} });
  });

  it('--network, --ip and --network-alias fill NetworkingConfig for user-defined networks', () => {
    const a = parse(['--network', 'appnet', '--ip', '10.5.0.7', '--network-alias', 'db', '--network-alias', 'pg', 'busybox']).body;
    assert.equal(a.HostConfig.NetworkMode, 'appnet');
    assert.deepEqual(a.NetworkingConfig.EndpointsConfig, { appnet: { IPAMConfig: { IPv4Address: '10.5.0.7' }, Aliases: ['db', 'pg'] } });
    const b = parse(['--network', 'appnet', 'busybox']).body;
    assert.deepEqual(b.NetworkingConfig.EndpointsConfig, { appnet: {} });
    for (const mode of ['host', 'none', 'bridge', 'container:abc']) {
      const c = parse(['--network', mode, 'busybox']).body;
      assert.equal(c.HostConfig.NetworkMode, mode);
      assert.deepEqual(c.NetworkingConfig.EndpointsConfig, {});
    }
    rejects(['--network', 'host', '--ip', '10.0.0.2', 'busybox'], /--ip and --network-alias need a bridge or user-defined network, not --network host/);
  });

  it('--dns, --dns-search, --dns-option', () => {
    const h = parse(['--dns', '10.0.0.9', '--dns-search', 'a.test', '--dns-search', 'b.test', '--dns-option', 'ndots:2', 'busybox']).body.HostConfig;
    assert.deepEqual([h.Dns, h.DnsSearch, h.DnsOptions], [['10.0.0.9'], ['a.test', 'b.test'], ['ndots:2']]);
  });

  it('--memory, --memory-swap, --cpus, --pids-limit, --shm-size', () => {
    const h = parse(['-m', '512m', '--memory-swap', '1g', '--cpus', '1.5', '--pids-limit', '64', '--shm-size', '128MiB', 'busybox']).body.HostConfig;
    assert.equal(h.Memory, 512 * 1024 * 1024);
    assert.equal(h.MemorySwap, 1024 ** 3);
    assert.equal(h.NanoCpus, 1_500_000_000);
    assert.equal(h.PidsLimit, 64);
    assert.equal(h.ShmSize, 128 * 1024 * 1024);
    assert.equal(parse(['--memory', '1.5g', '--memory-swap', '-1', 'busybox']).body.HostConfig.MemorySwap, -1);
    assert.equal(parse(['--memory', '1.5g', 'busybox']).body.HostConfig.Memory, 1.5 * 1024 ** 3);
    assert.equal(parse(['--memory', '4096', 'busybox']).body.HostConfig.Memory, 4096);
    assert.equal(parse(['--cpus', '0.000000001', 'busybox']).body.HostConfig.NanoCpus, 1);
    assert.equal(parse(['--pids-limit', '-1', 'busybox']).body.HostConfig.PidsLimit, -1);
    rejects(['-m', 'lots', 'busybox'], /invalid size: 'lots'/);
    rejects(['-m', '1g', '--memory-swap', '512m', 'busybox'], /minimum memoryswap limit should be larger than memory limit/);
    rejects(['--memory-swap', '1g', 'busybox'], /always set the memory limit when using memoryswap/);
    rejects(['--cpus', 'two', 'busybox'], /failed to parse two as a rational number/);
    rejects(['--cpus', '0.0000000001', 'busybox'], /value is too precise/);
    rejects(['--pids-limit', '1.5', 'busybox'], /invalid argument "1.5" for "--pids-limit" flag/);
  });

  it('-u, -w, --entrypoint (with "" resetting it), -h/--hostname', () => {
    const b = parse(['-u', '1000:1000', '-w', '/srv', '--entrypoint', '/bin/sh', '-h', 'box', 'busybox', '-c', 'true']).body;
    assert.equal(b.User, '1000:1000');
    assert.equal(b.WorkingDir, '/srv');
    assert.deepEqual(b.Entrypoint, ['/bin/sh']);
    assert.deepEqual(b.Cmd, ['-c', 'true']);
    assert.equal(b.Hostname, 'box');
    assert.deepEqual(parse(['--entrypoint', '', 'busybox']).body.Entrypoint, ['']);
    assert.equal(parse(['--hostname', 'h2', 'busybox']).body.Hostname, 'h2');
    rejects(['-w', 'relative', 'busybox'], /the working directory 'relative' is invalid, it needs to be an absolute path/);
  });

  it('--restart policies and the --rm conflict', () => {
    assert.deepEqual(parse(['--restart', 'on-failure:3', 'busybox']).body.HostConfig.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 3 });
    assert.deepEqual(parse(['--restart', 'unless-stopped', 'busybox']).body.HostConfig.RestartPolicy, { Name: 'unless-stopped', MaximumRetryCount: 0 });
    assert.equal(parse(['--rm', '--restart', 'no', 'busybox']).body.HostConfig.AutoRemove, true);
    rejects(['--restart', 'always:3', 'busybox'], /maximum retry count can only be used with 'on-failure', not 'always'/);
    rejects(['--restart', 'sometimes', 'busybox'], /invalid restart policy 'sometimes'/);
    rejects(['--restart', ':3', 'busybox'], /no policy provided before colon/);
    rejects(['--restart', 'on-failure:x', 'busybox'], /maximum retry count must be an integer/);
    rejects(['--rm', '--restart', 'always', 'busybox'], /conflicting options: cannot specify both --restart and --rm/);
  });

  it('--log-driver and --log-opt', () => {
    const h = parse(['--log-driver', 'json-file', '--log-opt', 'max-size=10m', '--log-opt', 'max-file=3', 'busybox']).body.HostConfig;
    assert.deepEqual(h.LogConfig, { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } });
    assert.deepEqual(parse(['busybox']).body.HostConfig.LogConfig, { Type: '', Config: {} });
    rejects(['--log-opt', 'max-size', 'busybox'], /invalid log-opt "max-size": expected key=value/);
  });

  it('--cap-add/--cap-drop normalised; --security-opt passes, seccomp files are inlined', () => {
    const profile = path.join(dir, 'seccomp.json');
    fs.writeFileSync(profile, '{\n  "defaultAction": "SCMP_ACT_ALLOW"\n}\n');
    const h = parse(['--cap-add', 'net_admin', '--cap-add', 'CAP_SYS_TIME', '--cap-add', 'NET_ADMIN', '--cap-drop', 'all',
      '--security-opt', 'no-new-privileges', '--security-opt', `seccomp=${profile}`, '--security-opt', 'apparmor=unconfined', 'busybox']).body.HostConfig;
    assert.deepEqual(h.CapAdd, ['CAP_NET_ADMIN', 'CAP_SYS_TIME']);
    assert.deepEqual(h.CapDrop, ['ALL']);
    assert.deepEqual(h.SecurityOpt, ['no-new-privileges', 'seccomp={"defaultAction":"SCMP_ACT_ALLOW"}', 'apparmor=unconfined']);
    assert.deepEqual(parse(['--security-opt', 'seccomp=unconfined', 'busybox']).body.HostConfig.SecurityOpt, ['seccomp=unconfined']);
    rejects(['--security-opt', `seccomp=${path.join(dir, 'absent.json')}`, 'busybox'], /opening seccomp profile .*absent.json.* failed/);
    rejects(['--cap-add', 'net admin', 'busybox'], /invalid capability: net admin/);
  });

  it('--read-only, --init, --tmpfs, --privileged, labels, hosts, dns, stop signal/timeout', () => {
    const b = parse(['--read-only', '--init', '--tmpfs', '/run:rw,size=64m', '--tmpfs', '/tmp', '--privileged', '-l', 'a=1', '--label', 'flag',
      '--add-host', 'db:10.0.0.5', '--dns', '127.0.0.53', '--stop-signal', 'SIGUSR1', '--stop-timeout', '3', 'busybox']).body;
    assert.equal(b.HostConfig.ReadonlyRootfs, true);
    assert.equal(b.HostConfig.Init, true);
    assert.deepEqual(b.HostConfig.Tmpfs, { '/run': 'rw,size=64m', '/tmp': '' });
    assert.equal(b.HostConfig.Privileged, true);
    assert.deepEqual(b.Labels, { a: '1', flag: '' });
    assert.deepEqual(b.HostConfig.ExtraHosts, ['db:10.0.0.5']);
    assert.deepEqual(b.HostConfig.Dns, ['127.0.0.53']);
    assert.equal(b.StopSignal, 'SIGUSR1');
    assert.equal(b.StopTimeout, 3);
    rejects(['--tmpfs', 'run', 'busybox'], /invalid tmpfs "run": mount path must be absolute/);
  });
});
