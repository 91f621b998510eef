/**
 * Isolation seen from inside a container started by the native exec driver:
 * namespaces, capabilities, seccomp, masked paths, mounts, fds, identity.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isFailedPrecondition } from '../../../core';
import { DEFAULT_CAPABILITIES, privilegedCapabilities } from '../../../plugins/execdriver-native';
import { capabilityMask } from '../../../plugins/execdriver-native/capabilities';
import { ContainerCgroup } from '../../../plugins/execdriver-native/cgroups';
import { Harness, newHarness, requireKernel } from './harness';

function capEff(status: string): bigint {
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(status);
  assert.ok(m, `no CapEff in ${status}`);
  return BigInt(`0x${m[1]}`);
}

describe('execdriver-native: isolation from inside the container', function () {
  this.timeout(20000);
  let h: Harness;
  before(function () { requireKernel(this); h = newHarness(); });
  afterEach(async () => { await h?.cleanup(); });
  after(async () => { await h?.destroy(); });

  it('runs the command as PID 1 with the spec hostname', async () => {
    const r = await h.run(['sh', '-c', 'echo pid=$$; hostname'], { hostname: 'bt-box' });
    assert.equal(r.status.exitCode, 0, `status ${JSON.stringify(r.status)} out ${r.out} err ${r.err}`);
    assert.equal(r.out, 'pid=1\nbt-box\n');
  });

  it('puts PID 1 in its own cgroups, seen as "/" through a private cgroup namespace', async () => {
    const spec = h.spec(['sh', '-c', 'cat /proc/self/cgroup; echo done; sleep 5']);
    const c = await h.start(spec);
    try {
      const cg = ContainerCgroup.of(spec.cgroup.parent, spec.id);
      // every hierarchy (v1 ones joined through `tasks`, cgroup2 by clone3 CLONE_INTO_CGROUP)
      for (const dir of new Set(Object.values(cg.dirs))) {
        const procs = fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8');
        assert.ok(procs.split('\n').includes(String(c.pid)), `PID 1 (${c.pid}) not in ${dir}: ${procs}`);
      }
      const io = await c.attach();
      let out = '';
      await new Promise<void>((resolve) => {
        io.stdout.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('done\n')) resolve(); });
        io.stdout.on('end', () => resolve());
      });
      await c.signal('SIGKILL');
      await c.wait();
      const lines = out.trim().split('\n');
      const relevant = lines.filter((x) => /:(memory|pids|cpu|freezer):/.test(x) || /^0::/.test(x));
      assert.ok(relevant.length >= 1, lines.join('\n'));
      for (const l of relevant) assert.match(l, /:\/$/, l);
    } finally {
      await c.signal('SIGKILL').catch(() => undefined);
    }
  });

  it('gives exactly Docker\'s 14 default capabilities, Seccomp: 2', async () => {
    const r = await h.run(['cat', '/proc/self/status']);
    assert.equal(r.status.exitCode, 0, `status ${JSON.stringify(r.status)} out ${r.out} err ${r.err}`);
    assert.equal(capEff(r.out), capabilityMask(DEFAULT_CAPABILITIES));
    assert.match(r.out, /^Seccomp:\s*2$/m);
    assert.match(r.out, /^CapBnd:\s*0*a80425fb$/m);
  });

  it('applies cap-drop ALL and no_new_privs', async () => {
    const spec = h.spec(['cat', '/proc/self/status']);
    spec.process.capabilities = [];
    spec.process.noNewPrivileges = true;
    const c = await h.start(spec);
    const { collect } = await import('./harness');
    const out = await collect((await c.attach()).stdout);
    assert.equal((await c.wait()).exitCode, 0);
    assert.equal(capEff(out), 0n);
    assert.match(out, /^NoNewPrivs:\s*1$/m);
  });

  it('gives a privileged container every capability of the host bounding set, unconfined', async () => {
    const r = await h.run(['cat', '/proc/self/status'], { privileged: true });
    assert.equal(r.status.exitCode, 0, `status ${JSON.stringify(r.status)} out ${r.out} err ${r.err}`);
    assert.equal(capEff(r.out), capabilityMask(privilegedCapabilities().capabilities));
    assert.match(r.out, /^Seccomp:\s*0$/m);
  });

  it('denies mount and unshare with EPERM (seccomp + no CAP_SYS_ADMIN)', async () => {
    const r = await h.run(['sh', '-c', 'mount -t tmpfs none /tmp; echo mount=$?; unshare -m true; echo unshare=$?']);
    assert.match(r.out, /mount=[1-9]/);
    assert.match(r.out, /unshare=[1-9]/);
    assert.match(r.err, /Operation not permitted|Permission denied/);
  });

  it('masks /proc paths (kcore, keys, timer_list) and makes /proc/sys read-only', async function () {
    const kcore = fs.existsSync('/proc/kcore');
    if (!kcore) console.log('note: this kernel has no /proc/kcore (CONFIG_PROC_KCORE off); checking /proc/keys and /proc/timer_list masks instead');
    const r = await h.run(['sh', '-c',
      'for f in /proc/kcore /proc/keys /proc/timer_list; do [ -e $f ] && echo "$f $(wc -c < $f)"; done; ' +
      'echo 1 > /proc/sys/kernel/domainname 2>/dev/null; echo sysw=$?; ls /sys/firmware | wc -l']);
    assert.equal(r.status.exitCode, 0, `status ${JSON.stringify(r.status)} out ${r.out} err ${r.err}`);
    assert.match(r.out, /^\/proc\/keys 0$/m);
    assert.match(r.out, /^\/proc\/timer_list 0$/m);
    if (kcore) assert.match(r.out, /^\/proc\/kcore 0$/m);
    assert.match(r.out, /sysw=[1-9]/);
    assert.match(r.out, /^0$/m);
  });

  it('shows no host mount: only the container root and its own filesystems', async () => {
    const r = await h.run(['cat', '/proc/self/mountinfo']);
    assert.equal(r.status.exitCode, 0, `status ${JSON.stringify(r.status)} out ${r.out} err ${r.err}`);
    const points = r.out.trim().split('\n').map((l) => l.split(' ')[4]);
    const allowed = /^\/($|proc|sys|dev)/;
    for (const p of points) assert.match(p, allowed, `unexpected mount point ${p}`);
    // /sys/fs/cgroup/* are the container's own cgroup mounts (cgroup namespace root), read-only
    const own = /^\/sys\/fs\/cgroup(\/|$)/;
    for (const l of r.out.trim().split('\n').filter((x) => own.test(x.split(' ')[4]))) {
      assert.match(l.split(' ')[5], /^ro,/, l);
      assert.equal(l.split(' ')[3], '/', `cgroup mount not at its namespace root: ${l}`);
    }
    const hostPoints = fs.readFileSync('/proc/self/mountinfo', 'utf8').trim().split('\n').map((l) => l.split(' ')[4]);
    for (const p of hostPoints.filter((x) => !allowed.test(x))) assert.ok(!points.includes(p), `host mount ${p} visible`);
  });

  it('gives a private network namespace with only lo, up', async () => {
    const r = await h.run(['sh', '-c', 'ls /sys/class/net; ip link show lo | head -1; ping -c 1 -W 2 127.0.0.1 >/dev/null && echo ping=ok']);
    assert.equal(r.status.exitCode, 0, `status ${JSON.stringify(r.status)} out ${r.out} err ${r.err}`);
    assert.match(r.out, /^lo\n/);
    assert.match(r.out, /<LOOPBACK,UP,LOWER_UP>/);
    assert.match(r.out, /ping=ok/);
  });

  it('leaves only fds 0-2 open in PID 1', async () => {
    // `; true` keeps sh as PID 1 (busybox sh would exec a last lone command)
    const r = await h.run(['sh', '-c', 'ls /proc/1/fd; true']);
    assert.equal(r.status.exitCode, 0, `status ${JSON.stringify(r.status)} out ${r.out} err ${r.err}`);
    assert.deepEqual(r.out.trim().split(/\s+/).sort(), ['0', '1', '2']);
  });

  it('applies user, groups, working directory (created), env and rlimits', async () => {
    const spec = h.spec(['sh', '-c', 'id; pwd; echo $FOO; ulimit -n']);
    spec.process.user = { uid: 33, gid: 33, additionalGids: [50] };
    spec.process.cwd = '/var/www/new/dir';
    spec.process.env.push('FOO=bar');
    spec.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 321, hard: 321 }];
    const c = await h.start(spec);
    const { collect } = await import('./harness');
    const io = await c.attach();
    const [out, err] = await Promise.all([collect(io.stdout), collect(io.stderr)]);
    assert.equal((await c.wait()).exitCode, 0, err);
    assert.equal(out, 'uid=33(www-data) gid=33(www-data) groups=50(staff)\n/var/www/new/dir\nbar\n321\n');
  });

  it('applies spec mounts (bind ro, tmpfs with size) and a read-only root', async () => {
    const src = path.join(h.dir, 'bindsrc');
    fs.mkdirSync(src, { recursive: true });
    fs.writeFileSync(path.join(src, 'hello'), 'from-host\n');
    const r = await h.run(['sh', '-c',
      'cat /data/hello; touch /data/x 2>/dev/null; echo bindw=$?; df -k /scratch | tail -1; touch /scratch/ok && echo tmpfsw=0; touch /rootw 2>/dev/null; echo rootw=$?'],
    {
      readonlyRootfs: true,
      mounts: [
        { type: 'bind', source: src, destination: '/data', options: ['rbind', 'ro'] },
        { type: 'tmpfs', source: 'tmpfs', destination: '/scratch', options: ['nosuid', 'size=2m', 'mode=1777'] },
      ],
    });
    assert.equal(r.status.exitCode, 0, `status ${JSON.stringify(r.status)} out ${r.out} err ${r.err}`);
    assert.match(r.out, /^from-host$/m);
    assert.match(r.out, /bindw=[1-9]/);
    assert.match(r.out, /^tmpfs\s+2048\s/m);
    assert.match(r.out, /tmpfsw=0/);
    assert.match(r.out, /rootw=[1-9]/);
  });

  it('populates /dev (nodes, symlinks, pts, shm size, mqueue) and binds the /etc files', async () => {
    const etc = path.join(h.dir, 'etc-files');
    fs.mkdirSync(etc, { recursive: true });
    fs.writeFileSync(path.join(etc, 'hostname'), 'bt-etc\n');
    fs.writeFileSync(path.join(etc, 'hosts'), '127.0.0.1 localhost bt-etc\n');
    fs.writeFileSync(path.join(etc, 'resolv.conf'), 'nameserver 127.0.0.11\n');
    const r = await h.run(['sh', '-c',
      'for n in null zero full random urandom tty; do [ -c /dev/$n ] && echo "c $n"; done; ' +
      'for l in fd stdin stdout stderr ptmx; do echo "l $l $(readlink /dev/$l)"; done; ' +
      'head -c 4 /dev/zero | wc -c; grep -E " /dev/(pts|shm|mqueue) " /proc/mounts | cut -d" " -f2,3,4; ' +
      'cat /etc/hostname /etc/hosts /etc/resolv.conf'],
    { shmSize: 8 * 1024 * 1024, etcFiles: { hostname: path.join(etc, 'hostname'), hosts: path.join(etc, 'hosts'), resolvConf: path.join(etc, 'resolv.conf') } });
    assert.equal(r.status.exitCode, 0, `status ${JSON.stringify(r.status)} out ${r.out} err ${r.err}`);
    for (const n of ['null', 'zero', 'full', 'random', 'urandom', 'tty']) assert.match(r.out, new RegExp(`^c ${n}$`, 'm'));
    assert.match(r.out, /^l fd \/proc\/self\/fd$/m);
    assert.match(r.out, /^l ptmx pts\/ptmx$/m);
    assert.match(r.out, /^4$/m);
    assert.match(r.out, /^\/dev\/pts devpts rw,nosuid,noexec,.*ptmxmode=666/m);
    assert.match(r.out, /^\/dev\/shm tmpfs rw,nosuid,nodev,noexec,.*size=8192k/m);
    assert.match(r.out, /^\/dev\/mqueue mqueue /m);
    assert.match(r.out, /bt-etc\n127\.0\.0\.1 localhost bt-etc\nnameserver 127\.0\.0\.11\n$/);
  });

  it('lets CAP_MKNOD create device nodes but the devices cgroup refuses to open them', async function () {
    const disk = fs.statSync('/dev/vda', { throwIfNoEntry: false }) ?? fs.statSync('/dev/sda', { throwIfNoEntry: false });
    if (!disk) { console.log('skip: no /dev/vda or /dev/sda block device to imitate'); this.skip(); }
    const major = Math.floor(disk!.rdev / 256);
    const minor = disk!.rdev % 256;
    const r = await h.run(['sh', '-c', `mknod /tmp/disk b ${major} ${minor} && echo made; head -c 512 /tmp/disk > /dev/null; echo read=$?`]);
    assert.match(r.out, /^made$/m);
    assert.match(r.out, /read=[1-9]/);
    assert.match(r.err, /Operation not permitted/);
  });

  it('reports a setup failure with its stage and leaves no cgroup behind', async () => {
    const spec = h.spec(['/no/such/program']);
    await assert.rejects(h.start(spec), (err: Error) => {
      assert.ok(isFailedPrecondition(err), String(err));
      assert.equal(err.message, 'container setup failed at exec /no/such/program: no such file or directory');
      return true;
    });
    const cg = ContainerCgroup.of(spec.cgroup.parent, spec.id);
    for (const d of Object.values(cg.dirs)) assert.ok(!fs.existsSync(d), `${d} left behind`);
  });
});
