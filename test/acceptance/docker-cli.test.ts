/**
 * berthd driven by the real docker CLI (`DOCKER_HOST=unix://…`): the whole
 * path from the CLI through the API, the jobs and the services down to real
 * namespaces, overlayfs, cgroups, bridges and iptables. One daemon serves the
 * file; the tests run in order (the image imported first is used by the rest).
 */
import * as assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { hasBusybox } from '../helpers/busybox-rootfs';
import { freePort, hasRegistry, startRegistry, type RegistryServer } from '../helpers/registry-server';
import { DOCKER, busyboxTar, startAcceptanceDaemon, type AcceptanceDaemon } from './acceptance-env';

const IMAGE = 'bt-busybox:latest';

/** Polls `fn` until it returns true (bounded number of tries; not a timing assertion). */
async function eventually(what: string, fn: () => Promise<boolean>, tries = 150): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`never happened: ${what}`);
}

describe('acceptance: the docker CLI against berthd', function () {
  this.timeout(180_000); // one slow step on a loaded machine must not leave a test running past its cleanup
  let d: AcceptanceDaemon;
  let work: string;

  before(async function () {
    if (!DOCKER) { console.log('skip: no docker CLI on this machine'); this.skip(); }
    if (process.getuid?.() !== 0) { console.log('skip: berthd needs root (namespaces, mounts, cgroups)'); this.skip(); }
    if (!hasBusybox()) { console.log('skip: no /bin/busybox to build the test image from'); this.skip(); }
    d = await startAcceptanceDaemon();
    work = fs.mkdtempSync('/tmp/berth-test-acc-work-');
  });

  after(async () => {
    try {
      await d?.stop();
    } finally {
      if (work) fs.rmSync(work, { recursive: true, force: true });
    }
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && d) console.log(`berthd log tail:\n${d.log().slice(-3000)}`);
  });

  it('docker version reports the berth engine at API 1.41', async () => {
    const out = await d.dockerOk(['version', '--format', '{{.Server.Platform.Name}} {{.Server.APIVersion}} {{.Server.Os}}']);
    assert.equal(out.trim(), 'Berth Engine 1.41 linux');
  });

  it('docker info shows the storage driver, cgroups, security options and plugins', async () => {
    const info = JSON.parse(await d.dockerOk(['info', '--format', '{{json .}}']));
    assert.equal(info.Driver, 'overlay2');
    assert.ok(['1', '2'].includes(info.CgroupVersion));
    assert.equal(info.CgroupDriver, 'cgroupfs');
    assert.ok(info.SecurityOptions.some((o: string) => o.startsWith('name=seccomp')), JSON.stringify(info.SecurityOptions));
    assert.ok(info.Plugins.Network.includes('bridge'));
    assert.ok(info.Plugins.Log.includes('json-file'));
    assert.equal(info.DockerRootDir, path.join(d.dir, 'data'));
  });

  it('imports a busybox rootfs as an image and lists it', async () => {
    const tar = await busyboxTar(work);
    const id = (await d.dockerOk(['import', '--change', 'CMD ["sh"]', '-', IMAGE], { input: tar })).trim();
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    const list = await d.dockerOk(['images', '--format', '{{.Repository}}:{{.Tag}}']);
    assert.ok(list.split('\n').includes(IMAGE), list);
  });

  it('runs echo and passes exit codes through', async () => {
    const r = await d.docker(['run', '--rm', IMAGE, 'echo', 'hello from berth']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hello from berth\n');
    const three = await d.docker(['run', '--rm', IMAGE, 'sh', '-c', 'echo oops >&2; exit 3']);
    assert.equal(three.code, 3);
    assert.equal(three.stderr, 'oops\n');
    // The docker CLI maps start errors to 127 / 126 by Go's lower-case wording.
    const missing = await d.docker(['run', '--rm', IMAGE, '/no/such/program']);
    assert.equal(missing.code, 127, missing.stderr);
    assert.match(missing.stderr, /no such file or directory/);
    const notExecutable = await d.docker(['run', '--rm', IMAGE, '/etc/passwd']);
    assert.equal(notExecutable.code, 126, notExecutable.stderr);
  });

  it('feeds stdin with -i and ends it when the input ends', async () => {
    const r = await d.docker(['run', '-i', '--rm', IMAGE, 'sh', '-c', 'wc -c; echo done'], { input: 'twelve bytes' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.replace(/ +/g, ''), '12\ndone\n');
  });

  it('gives a terminal with -t', async () => {
    const r = await d.docker(['run', '-t', '--rm', IMAGE, 'sh', '-c', 'tty; echo x']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\/dev\/(pts\/[0-9]+|console)\r\nx\r\n$/);
  });

  it('detaches docker run -it with ctrl-p ctrl-q, leaving the shell running for docker attach; exec -it', async function () {
    if (!fs.existsSync('/usr/bin/script')) { console.log('skip: no script(1) to give the docker CLI a terminal'); this.skip(); }
    /** Runs a docker command under script(1) (a real pty); `steps` wait for output, then type. */
    const underPty = async (cmd: string, steps: Array<[RegExp, string | Buffer]>): Promise<{ code: number | null; out: string }> => {
      const child = spawn('script', ['-qfec', `${DOCKER} ${cmd}`, '/dev/null'], {
        env: { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: path.join(d.dir, 'docker-config') },
      });
      let out = '';
      const waiters: Array<() => void> = [];
      child.stdout.on('data', (b: Buffer) => { out += b.toString(); waiters.splice(0).forEach((w) => w()); });
      const exited = new Promise<number | null>((r) => child.on('close', (code) => { waiters.splice(0).forEach((w) => w()); r(code); }));
      for (const [expect, type] of steps) {
        while (!expect.test(out) && child.exitCode === null) await new Promise<void>((r) => waiters.push(r));
        child.stdin.write(type);
      }
      const code = await exited;
      return { code, out };
    };
    const run = await underPty(`run -it --name bt-tty ${IMAGE} sh`, [[/# /, 'echo hi-$((2*3))\r'], [/hi-6/, Buffer.from([0x10, 0x11])]]);
    assert.equal(run.code, 0, run.out);
    assert.equal((await d.dockerOk(['inspect', '-f', '{{.State.Status}}', 'bt-tty'])).trim(), 'running');
    const attach = await underPty('attach bt-tty', [[/^/, '\r'], [/# /, 'exit 5\r']]);
    assert.equal(attach.code, 5, attach.out);
    assert.equal((await d.dockerOk(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'bt-tty'])).trim(), 'exited 5');
    await d.dockerOk(['rm', 'bt-tty']);
    await d.dockerOk(['run', '-d', '--name', 'bt-exec-tty', IMAGE, 'sleep', '300']);
    const exec = await underPty('exec -it bt-exec-tty sh', [[/# /, 'tty; exit 3\r']]);
    assert.equal(exec.code, 3, exec.out);
    assert.match(exec.out, /\/dev\/pts\/[0-9]+/);
    await d.dockerOk(['rm', '-f', 'bt-exec-tty']);
  });

  it('runs detached, shows logs, stops and removes', async () => {
    const id = (await d.dockerOk(['run', '-d', '--name', 'bt-web', IMAGE, 'sh', '-c', 'echo started; echo warn >&2; while true; do sleep 1; done'])).trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    await eventually('logs show the output', async () => (await d.docker(['logs', 'bt-web'])).stdout === 'started\n');
    const logs = await d.docker(['logs', 'bt-web']);
    assert.equal(logs.stderr, 'warn\n');
    assert.equal((await d.dockerOk(['inspect', '-f', '{{.State.Status}}', 'bt-web'])).trim(), 'running');
    // dockerd records its defaults at create: /dev/shm size, IPC and cgroup namespace modes, masked and read-only paths
    const v2 = fs.existsSync('/sys/fs/cgroup/cgroup.controllers');
    assert.equal((await d.dockerOk(['inspect', '-f',
      '{{.HostConfig.ShmSize}} {{.HostConfig.IpcMode}} {{.HostConfig.CgroupnsMode}} {{len .HostConfig.MaskedPaths}} {{index .HostConfig.ReadonlyPaths 3}}',
      'bt-web'])).trim(), `67108864 private ${v2 ? 'private' : 'host'} 11 /proc/sys`);
    // runc's rule: /dev/core only where the kernel has /proc/kcore
    assert.equal((await d.dockerOk(['exec', 'bt-web', 'ls', '/dev'])).split('\n').includes('core'), fs.existsSync('/proc/kcore'));
    const ps = await d.dockerOk(['ps', '--filter', 'name=bt-web', '--format', '{{.Names}} {{.Image}}']);
    assert.equal(ps.trim(), `bt-web ${IMAGE}`);
    // dockerd quotes an argument with spaces in the command column
    const cmd = await d.dockerOk(['ps', '--no-trunc', '--filter', 'name=bt-web', '--format', '{{.Command}}']);
    assert.equal(cmd.trim(), `"sh -c 'echo started; echo warn >&2; while true; do sleep 1; done'"`);
  });

  it('execs in the running container: output, exit code, stdin', async () => {
    assert.equal(await d.dockerOk(['exec', 'bt-web', 'echo', 'inside']), 'inside\n');
    assert.equal((await d.docker(['exec', 'bt-web', 'sh', '-c', 'exit 4'])).code, 4);
    assert.equal(await d.dockerOk(['exec', '-i', 'bt-web', 'cat'], { input: 'piped in' }), 'piped in');
    // like dockerd: a command that cannot start gives 126, its reason in the output stream
    const missing = await d.docker(['exec', 'bt-web', 'bt-no-such-command']);
    assert.equal(missing.code, 126, JSON.stringify(missing));
    assert.match(missing.stdout, /bt-no-such-command/);
    const noUser = await d.docker(['exec', '-u', 'bt-nobody', 'bt-web', 'true']);
    assert.equal(noUser.code, 126, JSON.stringify(noUser));
    assert.match(noUser.stdout, /bt-nobody/);
  });

  it('copies files both ways with docker cp and shows them in docker diff', async () => {
    const src = path.join(work, 'note.txt');
    fs.writeFileSync(src, 'copied in\n');
    await d.dockerOk(['cp', src, 'bt-web:/tmp/note.txt']);
    assert.equal(await d.dockerOk(['exec', 'bt-web', 'cat', '/tmp/note.txt']), 'copied in\n');
    const dst = path.join(work, 'passwd');
    await d.dockerOk(['cp', 'bt-web:/etc/passwd', dst]);
    assert.match(fs.readFileSync(dst, 'utf8'), /^root:x:0:0:/);
    const diff = (await d.dockerOk(['diff', 'bt-web'])).split('\n');
    assert.ok(diff.includes('A /tmp/note.txt'), diff.join('\n'));
    assert.ok(diff.includes('C /tmp'), diff.join('\n'));
  });

  it('reports stats once with --no-stream', async () => {
    const out = await d.dockerOk(['stats', '--no-stream', '--format', '{{.Name}} {{.PIDs}}', 'bt-web']);
    const [name, pids] = out.trim().split(' ');
    assert.equal(name, 'bt-web');
    assert.ok(Number(pids) >= 1, out);
  });

  it('pauses and unpauses', async () => {
    await d.dockerOk(['pause', 'bt-web']);
    assert.equal((await d.dockerOk(['inspect', '-f', '{{.State.Status}}', 'bt-web'])).trim(), 'paused');
    const exec = await d.docker(['exec', 'bt-web', 'true']);
    assert.equal(exec.code, 1);
    assert.match(exec.stderr, /Container bt-web is paused, unpause the container before exec/, 'the name as given, as dockerd says it');
    await d.dockerOk(['unpause', 'bt-web']);
    assert.equal((await d.dockerOk(['inspect', '-f', '{{.State.Status}}', 'bt-web'])).trim(), 'running');
  });

  it('commits a container into an image that carries its changes', async () => {
    const id = (await d.dockerOk(['commit', 'bt-web', 'bt-committed:1'])).trim();
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    assert.equal(await d.dockerOk(['run', '--rm', 'bt-committed:1', 'cat', '/tmp/note.txt']), 'copied in\n');
  });

  it('commits from the container\'s config, as dockerd: its Env and Labels stay, no layer for no changes, history names the command', async () => {
    const ran = await d.docker(['run', '--name', 'bt-cfg', '-e', 'A=1', '--label', 'l=v', IMAGE, 'sh', '-c', 'exit 3']);
    try {
      assert.equal(ran.code, 3, ran.stderr);
      const plain = await d.dockerOk(['inspect', '-f', '{{json .Config.Env}}', 'bt-cfg']);
      assert.equal(plain.trim(), '["A=1"]');
      await d.dockerOk(['commit', '-c', 'ENV C=3', '-c', 'CMD ["echo","hi"]', '-m', 'msg', 'bt-cfg', 'bt-cfg-img:1']);
      const img = await d.dockerOk(['image', 'inspect', '-f', '{{json .Config.Env}} {{json .Config.Cmd}} {{json .Config.Labels}} {{.Comment}} {{len .RootFS.Layers}}', 'bt-cfg-img:1']);
      const base = await d.dockerOk(['image', 'inspect', '-f', '{{len .RootFS.Layers}}', IMAGE]);
      assert.equal(img.trim(), `["A=1","C=3"] ["echo","hi"] {"l":"v"} msg ${base.trim()}`, 'no files changed: no layer added');
      const history = await d.dockerOk(['image', 'history', '--no-trunc', '--format', '{{.CreatedBy}}|{{.Size}}|{{.Comment}}', 'bt-cfg-img:1']);
      assert.equal(history.split('\n')[0], 'sh -c exit 3|0B|msg');
      const cc = await d.dockerOk(['image', 'inspect', '-f', '{{json .ContainerConfig.Env}} {{json .ContainerConfig.Cmd}}', 'bt-cfg-img:1']);
      assert.equal(cc.trim(), '["A=1"] ["sh","-c","exit 3"]', 'ContainerConfig is the committed container\'s');
      assert.equal(await d.dockerOk(['run', '--rm', 'bt-cfg-img:1']), 'hi\n');
    } finally {
      await d.docker(['rm', '-f', 'bt-cfg']);
      await d.docker(['rmi', 'bt-cfg-img:1']);
    }
  });

  it('shows Config.Env null for a container whose image and create body have none, and dockerd\'s inspect shapes', async () => {
    const imageEnv = (await d.dockerOk(['image', 'inspect', '-f', '{{json .Config.Env}}', IMAGE])).trim();
    await d.dockerOk(['create', '--name', 'bt-noenv', IMAGE, 'true']);
    try {
      assert.equal(imageEnv, 'null', 'imported with only CMD: no Env');
      assert.equal((await d.dockerOk(['inspect', '-f', '{{json .Config.Env}}', 'bt-noenv'])).trim(), 'null');
      // more of dockerd 20.10's inspect shapes: a created container shows the network it asked for, with an empty
      // endpoint; HostConfig has the deprecated kernel memory limits at 0 and no Init unless set
      const created = JSON.parse(await d.dockerOk(['inspect', 'bt-noenv']))[0];
      assert.deepEqual(Object.keys(created.NetworkSettings.Networks), ['bridge']);
      assert.equal(created.NetworkSettings.Networks.bridge.IPAddress, '');
      assert.equal(created.NetworkSettings.Networks.bridge.EndpointID, '');
      assert.equal(created.HostConfig.KernelMemory, 0);
      assert.equal(created.HostConfig.KernelMemoryTCP, 0);
      assert.ok(!('Init' in created.HostConfig));
      assert.equal((await d.dockerOk(['ps', '-a', '--filter', 'name=bt-noenv', '--format', '{{.Networks}}'])).trim(), 'bridge');
      const img = JSON.parse(await d.dockerOk(['image', 'inspect', IMAGE]))[0];
      for (const part of ['Config', 'ContainerConfig']) {
        for (const k of ['Hostname', 'Domainname', 'User', 'AttachStdin', 'Tty', 'OpenStdin', 'Env', 'Cmd', 'Image', 'Volumes', 'WorkingDir', 'Entrypoint', 'OnBuild', 'Labels']) {
          assert.ok(k in img[part], `image inspect ${part}.${k}`);
        }
      }
      assert.deepEqual(img.Config.Cmd, ['sh']);
      assert.equal(await d.dockerOk(['start', '-a', 'bt-noenv']), '');
    } finally {
      await d.docker(['rm', '-f', 'bt-noenv']);
    }
  });

  it('prunes images by label and age, and lists them before/since another, as dockerd', async () => {
    await d.dockerOk(['create', '--name', 'bt-pr', IMAGE, 'true']);
    try {
      await d.dockerOk(['commit', '-c', 'LABEL bt-prune=yes', 'bt-pr', 'bt-pr-img:labelled']);
      await d.dockerOk(['commit', 'bt-pr', 'bt-pr-img:plain']);
    } finally {
      await d.docker(['rm', '-f', 'bt-pr']);
    }
    const names = async (): Promise<string> => (await d.dockerOk(['images', '--format', '{{.Tag}}', 'bt-pr-img'])).trim().split('\n').sort().join(' ');
    try {
      assert.equal(await names(), 'labelled plain');
      assert.equal((await d.dockerOk(['images', '--filter', 'since=bt-pr-img:labelled', '--format', '{{.Repository}}:{{.Tag}}'])).trim(), 'bt-pr-img:plain');
      assert.ok((await d.dockerOk(['images', '--filter', 'before=bt-pr-img:plain', '--format', '{{.Repository}}:{{.Tag}}'])).includes('bt-pr-img:labelled'));
      // nothing unused is older than an hour: nothing goes (without `until` every unused image would)
      await d.dockerOk(['image', 'prune', '-a', '-f', '--filter', 'until=1h']);
      assert.equal(await names(), 'labelled plain');
      await d.dockerOk(['image', 'prune', '-a', '-f', '--filter', 'label=bt-prune=yes']);
      assert.equal(await names(), 'plain');
    } finally {
      await d.docker(['rmi', 'bt-pr-img:labelled', 'bt-pr-img:plain']);
    }
  });

  it('tags and removes image references', async () => {
    await d.dockerOk(['tag', IMAGE, 'bt-copy:v1']);
    const ids = await d.dockerOk(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}']);
    const byName = new Map(ids.trim().split('\n').map((l) => l.split(' ') as [string, string]));
    assert.equal(byName.get('bt-copy:v1'), byName.get(IMAGE));
    assert.match(await d.dockerOk(['rmi', 'bt-copy:v1']), /^Untagged: bt-copy:v1$/m);
    const busy = await d.docker(['rmi', IMAGE]);
    assert.equal(busy.code, 1);
    assert.match(busy.stderr, /conflict: unable to remove repository reference "bt-busybox:latest" \(must force\) - container [0-9a-f]{12} is using its referenced image/);
  });

  it('saves an image and loads it back', async () => {
    const file = path.join(work, 'saved.tar');
    await d.dockerOk(['save', '-o', file, 'bt-committed:1']);
    assert.ok(fs.statSync(file).size > 1024);
    await d.dockerOk(['rmi', 'bt-committed:1']);
    assert.equal((await d.docker(['image', 'inspect', 'bt-committed:1'])).code, 1);
    assert.match(await d.dockerOk(['load', '-i', file]), /Loaded image: bt-committed:1/);
    assert.equal(await d.dockerOk(['run', '--rm', 'bt-committed:1', 'cat', '/tmp/note.txt']), 'copied in\n');
  });

  it('stops with the timeout, then removes', async () => {
    await d.dockerOk(['stop', '-t', '1', 'bt-web']);
    assert.equal((await d.dockerOk(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'bt-web'])).trim(), 'exited 137');
    await d.dockerOk(['rm', 'bt-web']);
    const gone = await d.docker(['inspect', 'bt-web']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /No such object: bt-web/);
  });

  it('manages a running container: top, rename, update, export, attach, restart, kill, wait', async () => {
    await d.dockerOk(['run', '-d', '-i', '--name', 'bt-ops', IMAGE, 'sh', '-c', 'read x; echo "got $x"; exec sleep 300']);
    assert.match(await d.dockerOk(['top', 'bt-ops']), /read x/);
    await d.dockerOk(['rename', 'bt-ops', 'bt-ops2']);
    assert.equal((await d.dockerOk(['inspect', '-f', '{{.Name}}', 'bt-ops2'])).trim(), '/bt-ops2');
    await d.dockerOk(['update', '--memory', '64m', '--memory-swap', '128m', 'bt-ops2']);
    assert.equal((await d.dockerOk(['inspect', '-f', '{{.HostConfig.Memory}}', 'bt-ops2'])).trim(), String(64 * 1024 * 1024));
    const tarFile = path.join(work, 'export.tar');
    await d.dockerOk(['export', '-o', tarFile, 'bt-ops2']);
    const { run } = await import('./acceptance-env');
    const listing = (await run('tar', ['-tf', tarFile])).stdout.split('\n');
    assert.ok(listing.includes('bin/busybox'), listing.slice(0, 20).join(' '));
    // docker attach with piped stdin: the container reads it and answers on the attached stdout
    const attached = d.docker(['attach', 'bt-ops2'], { input: 'over attach\n' });
    await eventually('the container answered', async () => (await d.docker(['logs', 'bt-ops2'])).stdout.includes('got over attach'));
    await d.dockerOk(['kill', 'bt-ops2']);
    const att = await attached;
    assert.match(att.stdout, /got over attach/);
    assert.equal((await d.dockerOk(['wait', 'bt-ops2'])).trim(), '137');
    const pid1 = Number((await d.dockerOk(['inspect', '-f', '{{.State.Pid}}', 'bt-ops2'])).trim());
    assert.equal(pid1, 0);
    await d.dockerOk(['restart', '-t', '1', 'bt-ops2']);
    assert.equal((await d.dockerOk(['inspect', '-f', '{{.State.Status}}', 'bt-ops2'])).trim(), 'running');
    await d.dockerOk(['rm', '-f', 'bt-ops2']);
  });

  it('removes a --rm container once it stops', async () => {
    await d.dockerOk(['run', '-d', '--rm', '--name', 'bt-auto', IMAGE, 'sleep', '300']);
    await d.dockerOk(['stop', '-t', '1', 'bt-auto']);
    await eventually('bt-auto is gone', async () => (await d.docker(['inspect', 'bt-auto'])).code === 1);
  });

  it('follows logs until the container exits, and prunes stopped containers', async () => {
    await d.dockerOk(['run', '-d', '--name', 'bt-follow', IMAGE, 'sh', '-c', 'echo one; sleep 1; echo two']);
    assert.equal(await d.dockerOk(['logs', '-f', 'bt-follow']), 'one\ntwo\n');
    // a follower that starts before the container printed anything still ends when it exits (it followed for good)
    await d.dockerOk(['run', '-d', '--name', 'bt-follow-late', IMAGE, 'sh', '-c', 'sleep 1; echo late']);
    assert.equal(await d.dockerOk(['logs', '-f', 'bt-follow-late']), 'late\n');
    await d.dockerOk(['rm', 'bt-follow-late']);
    assert.equal((await d.dockerOk(['wait', 'bt-follow'])).trim(), '0');
    assert.equal(await d.dockerOk(['logs', '--tail', '1', 'bt-follow']), 'two\n');
    assert.equal(await d.dockerOk(['logs', '--tail', 'bogus', 'bt-follow']), 'one\ntwo\n', 'a tail that is not a number is every line, as dockerd');
    const pruned = await d.dockerOk(['container', 'prune', '-f']);
    assert.match(pruned, /Deleted Containers:/);
    assert.equal((await d.docker(['inspect', 'bt-follow'])).code, 1);
  });

  it('reports disk usage, image history, networks and volumes', async () => {
    const df = await d.dockerOk(['system', 'df', '--format', '{{.Type}} {{.TotalCount}}']);
    assert.match(df, /^Images [1-9]/m);
    assert.match(df, /^Containers [0-9]+/m);
    const history = await d.dockerOk(['image', 'history', '--format', '{{.Comment}}', IMAGE]);
    assert.match(history, /Imported from -/);
    const nets = (await d.dockerOk(['network', 'ls', '--format', '{{.Name}} {{.Driver}}'])).trim().split('\n').sort();
    assert.deepEqual(nets, ['bridge bridge', 'host host', 'none null']);
    assert.equal((await d.dockerOk(['volume', 'ls', '-q'])).trim(), '');
  });

  it('streams events for a container lifecycle, filtered by container', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    await d.dockerOk(['run', '--name', 'bt-ev', IMAGE, 'true']);
    await d.dockerOk(['rm', 'bt-ev']);
    await d.dockerOk(['run', '--rm', IMAGE, 'true']); // another container: filtered out
    const until = Math.floor(Date.now() / 1000) + 1;
    const out = await d.dockerOk(['events', '--since', String(since), '--until', String(until),
      '--filter', 'container=bt-ev', '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}']);
    const lines = out.trim().split('\n');
    for (const action of ['create', 'start', 'die', 'destroy']) {
      assert.ok(lines.includes(`container ${action} bt-ev`), `${action} missing in:\n${out}`);
    }
    assert.ok(lines.every((l) => l.endsWith(' bt-ev')), out);
  });

  it("orders a run's container and network events as dockerd does", async () => {
    // dockerd 20.10, same CLI: create, attach, network connect, start, die, network disconnect, destroy
    const since = Math.floor(Date.now() / 1000) - 1;
    await d.dockerOk(['run', '--rm', '--name', 'bt-evo', IMAGE, 'true']);
    const until = Math.floor(Date.now() / 1000) + 1;
    const out = await d.dockerOk(['events', '--since', String(since), '--until', String(until),
      '--format', '{{.Type}} {{.Action}} {{.Actor.ID}} {{.Actor.Attributes.name}} {{.Actor.Attributes.container}}']);
    const lines = out.trim().split('\n').map((l) => l.split(' '));
    const id = lines.find(([type, action, , name]) => type === 'container' && action === 'create' && name === 'bt-evo')?.[2];
    assert.ok(id, `no create event for bt-evo in:\n${out}`);
    const mine = lines.filter(([type, , actor, , container]) => (type === 'container' && actor === id) || (type === 'network' && container === id));
    assert.deepEqual(mine.map(([type, action]) => `${type} ${action}`), [
      'container create', 'container attach', 'network connect', 'container start',
      'container die', 'network disconnect', 'container destroy',
    ], out);
  });

  it("announces import, tag, save, untag, delete, load and commit as dockerd does", async () => {
    // dockerd 20.10 with the same CLI and commands printed exactly this sequence (ids aside)
    const since = Math.floor(Date.now() / 1000) - 1;
    const archive = path.join(work, 'bt-evi.tar');
    await d.dockerOk(['import', '-', 'bt-evi:one'], { input: await busyboxTar(work) });
    await d.dockerOk(['tag', 'bt-evi:one', 'bt-evi:two']);
    await d.dockerOk(['save', '-o', archive, 'bt-evi:one']);
    await d.dockerOk(['rmi', 'bt-evi:two']);
    await d.dockerOk(['rmi', 'bt-evi:one']);
    await d.dockerOk(['load', '-i', archive]);
    await d.dockerOk(['run', '--name', 'bt-evi-c', 'bt-evi:one', 'true']);
    await d.dockerOk(['commit', '-m', 'note', 'bt-evi-c', 'bt-evi:c']);
    await d.dockerOk(['rm', 'bt-evi-c']);
    await d.dockerOk(['rmi', 'bt-evi:c', 'bt-evi:one']);
    fs.rmSync(archive);
    const until = Math.floor(Date.now() / 1000) + 1;
    const out = await d.dockerOk(['events', '--since', String(since), '--until', String(until),
      '--filter', 'type=image', '--filter', 'event=import', '--filter', 'event=tag', '--filter', 'event=save',
      '--filter', 'event=untag', '--filter', 'event=delete', '--filter', 'event=load',
      '--format', '{{.Action}} {{.Actor.Attributes.name}}']);
    const seq = out.trim().split('\n').map((l) => l.replace(/sha256:[0-9a-f]{64}/, 'ID'));
    assert.deepEqual(seq.slice(0, 9), [
      'tag bt-evi:one', 'import ID', 'tag bt-evi:two', 'save ID', 'untag ID', 'untag ID', 'delete ID', 'load ID', 'tag bt-evi:c',
    ], out);
    const commit = await d.dockerOk(['events', '--since', String(since), '--until', String(until),
      '--filter', 'event=commit', '--format', '{{.Type}} {{.Actor.Attributes.name}} {{.Actor.Attributes.imageRef}} {{.Actor.Attributes.comment}}']);
    assert.equal(commit.trim(), 'container bt-evi-c bt-evi:c note');
  });

  it('applies the on-failure restart policy with its retry limit', async () => {
    await d.dockerOk(['run', '-d', '--name', 'bt-rp', '--restart', 'on-failure:2', IMAGE, 'sh', '-c', 'exit 1']);
    await eventually('two restarts, then exited', async () =>
      (await d.dockerOk(['inspect', '-f', '{{.State.Status}} {{.RestartCount}}', 'bt-rp'])).trim() === 'exited 2');
    assert.equal((await d.dockerOk(['inspect', '-f', '{{.State.ExitCode}}', 'bt-rp'])).trim(), '1');
    await d.dockerOk(['rm', 'bt-rp']);
  });

  it('creates a network where containers reach each other by name', async () => {
    await d.dockerOk(['network', 'create', 'bt-net']);
    await d.dockerOk(['run', '-d', '--network', 'bt-net', '--name', 'bt-srv', IMAGE, 'httpd', '-f', '-p', '8080', '-h', '/etc']);
    await eventually('httpd answers by name', async () =>
      (await d.docker(['run', '--rm', '--network', 'bt-net', IMAGE, 'wget', '-qO-', 'http://bt-srv:8080/passwd'])).stdout.startsWith('root:x:0:0:'));
    await d.dockerOk(['rm', '-f', 'bt-srv']);
    await d.dockerOk(['network', 'rm', 'bt-net']);
  });

  it('unmasks /proc paths with --security-opt systempaths=unconfined', async function () {
    if (!fs.existsSync('/proc/timer_list')) { console.log('skip: this kernel has no /proc/timer_list to unmask'); this.skip(); }
    const size = (args: string[]): Promise<string> => d.dockerOk(['run', '--rm', ...args, IMAGE, 'sh', '-c', 'wc -c < /proc/timer_list']);
    assert.equal((await size([])).trim(), '0'); // masked with /dev/null
    assert.notEqual((await size(['--security-opt', 'systempaths=unconfined'])).trim(), '0');
  });

  it("shows the container its own cgroup limits under /sys/fs/cgroup, read-only, as dockerd's default does", async () => {
    const v2 = fs.existsSync('/sys/fs/cgroup/cgroup.controllers');
    const files = v2 ? '/sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max' : '/sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max';
    const out = await d.dockerOk(['run', '--rm', '--memory', '32m', '--pids-limit', '10', IMAGE, 'sh', '-c', `cat ${files}; touch /sys/fs/cgroup/x 2>&1 || true`]);
    const lines = out.trim().split('\n');
    assert.deepEqual(lines.slice(0, 2), ['33554432', '10'], out);
    assert.match(lines[2] ?? '', /Read-only file system/, out);
  });

  it('--device makes the node and allows it in the device cgroup, with its permissions', async function () {
    // a device outside Docker's default allow list that opens without capabilities
    const host = ['/dev/kvm', '/dev/loop-control'].find((p) => fs.existsSync(p) && fs.statSync(p).isCharacterDevice());
    if (!host) { console.log('skip: this kernel has neither /dev/kvm nor /dev/loop-control to map'); this.skip(); }
    const st = fs.statSync(host!);
    const major = Math.floor(st.rdev / 256) & 0xfff;
    const minor = st.rdev & 0xff;
    // a failed redirection ends a shell: each try runs in a subshell
    const rw = '(exec 3<>/dev/bt-dev) 2>/dev/null && echo rw-ok || echo rw-denied';
    const mapped = await d.dockerOk(['run', '--rm', '--device', `${host}:/dev/bt-dev`, IMAGE, 'sh', '-c', `ls -l /dev/bt-dev; ${rw}`]);
    assert.match(mapped, new RegExp(`^c.* ${major}, +${minor} .*/dev/bt-dev$`, 'm'), mapped);
    assert.match(mapped, /^rw-ok$/m, mapped);
    const readOnly = await d.dockerOk(['run', '--rm', '--device', `${host}:/dev/bt-dev:r`, IMAGE, 'sh', '-c', `${rw}; (exec 4</dev/bt-dev) && echo r-ok`]);
    assert.match(readOnly, /^rw-denied$/m, readOnly);
    assert.match(readOnly, /^r-ok$/m, readOnly);
    // without --device the cgroup refuses the same node even when the container makes it itself
    const unmapped = await d.dockerOk(['run', '--rm', IMAGE, 'sh', '-c', `mknod /dev/bt-dev c ${major} ${minor}; ${rw}`]);
    assert.match(unmapped, /^rw-denied$/m, unmapped);
    // the node keeps the host node's owner, as dockerd (runc) makes it: a null device owned by 4321:8765
    const devDir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-dev-'));
    try {
      execFileSync('mknod', [path.join(devDir, 'bt-null'), 'c', '1', '3']);
      fs.chownSync(path.join(devDir, 'bt-null'), 4321, 8765);
      const owned = await d.dockerOk(['run', '--rm', '--device', `${path.join(devDir, 'bt-null')}:/dev/bt-null`, IMAGE, 'sh', '-c', 'ls -ln /dev/bt-null; echo x > /dev/bt-null && echo w-ok']);
      assert.match(owned, /^c\S+\s+\d+\s+4321\s+8765\s+1,\s+3 /m, owned);
      assert.match(owned, /^w-ok$/m, owned);
    } finally {
      fs.rmSync(devDir, { recursive: true, force: true });
    }
    const missing = await d.docker(['run', '--rm', '--device', '/dev/bt-no-such-device', IMAGE, 'true']);
    assert.equal(missing.code, 127); // the CLI's code for a start error saying "no such file or directory", as with dockerd
    assert.match(missing.stderr, /error gathering device information while adding custom device "\/dev\/bt-no-such-device": no such file or directory/);
  });

  it('sets namespaced --sysctl values inside the container only, and refuses the others', async () => {
    const hostValue = fs.readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim();
    const out = await d.dockerOk(['run', '--rm', '--sysctl', 'net.ipv4.ip_unprivileged_port_start=0', '--sysctl', 'kernel.shmmni=1234',
      IMAGE, 'cat', '/proc/sys/net/ipv4/ip_unprivileged_port_start', '/proc/sys/kernel/shmmni']);
    assert.equal(out, '0\n1234\n');
    assert.equal(fs.readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim(), hostValue, 'the host keeps its value');
    const hostNet = await d.docker(['run', '--rm', '--network', 'host', '--sysctl', 'net.ipv4.ip_forward=1', IMAGE, 'true']);
    assert.equal(hostNet.code, 125);
    assert.match(hostNet.stderr, /sysctl "net\.ipv4\.ip_forward" is not allowed in host network namespace/);
  });

  it('clears the entrypoint with --entrypoint ""', async () => {
    await d.dockerOk(['create', '--name', 'bt-entry', IMAGE, 'true']);
    await d.dockerOk(['commit', '--change', 'ENTRYPOINT ["false"]', 'bt-entry', 'bt-busybox:entry']);
    await d.dockerOk(['rm', 'bt-entry']);
    assert.equal(await d.dockerOk(['run', '--rm', '--entrypoint', '', 'bt-busybox:entry', 'echo', 'cleared']), 'cleared\n');
    await d.dockerOk(['rmi', 'bt-busybox:entry']);
  });

  it('writes --dns, --dns-search and --dns-option into resolv.conf, in dockerd\'s order', async () => {
    const out = await d.dockerOk(['run', '--rm', '--dns', '127.0.0.9', '--dns-search', 'ex.test', '--dns-option', 'timeout:1', IMAGE, 'cat', '/etc/resolv.conf']);
    assert.deepEqual(out.trim().split('\n'), ['search ex.test', 'nameserver 127.0.0.9', 'options timeout:1']);
  });

  it('shows a running container\'s network connect/disconnect in inspect, and keeps it across a restart', async () => {
    await d.dockerOk(['network', 'create', 'bt-net-a']);
    await d.dockerOk(['network', 'create', 'bt-net-b']);
    try {
      await d.dockerOk(['run', '-d', '--name', 'bt-nc', '--network', 'bt-net-a', IMAGE, 'sleep', '600']);
      const nets = async (): Promise<string> => (await d.dockerOk(['inspect', '-f', '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}', 'bt-nc'])).trim();
      await d.dockerOk(['network', 'connect', '--alias', 'bt-nc-alias', 'bt-net-b', 'bt-nc']);
      assert.equal(await nets(), 'bt-net-a bt-net-b');
      assert.match(await d.dockerOk(['inspect', '-f', '{{json .NetworkSettings.Networks}}', 'bt-nc']), /"bt-nc-alias"/);
      await d.dockerOk(['restart', '-t', '0', 'bt-nc']);
      assert.equal(await nets(), 'bt-net-a bt-net-b', 'reconnected at the next start, as dockerd does');
      await d.dockerOk(['network', 'disconnect', 'bt-net-b', 'bt-nc']);
      assert.equal(await nets(), 'bt-net-a');
      await d.dockerOk(['restart', '-t', '0', 'bt-nc']);
      assert.equal(await nets(), 'bt-net-a');
    } finally {
      await d.docker(['rm', '-f', 'bt-nc']);
      await d.docker(['network', 'rm', 'bt-net-a', 'bt-net-b']);
    }
  });

  it('publishes a container port on 127.0.0.1', async () => {
    const port = await freePort();
    await d.dockerOk(['run', '-d', '--name', 'bt-pub', '-p', `127.0.0.1:${port}:8080`, IMAGE, 'httpd', '-f', '-p', '8080', '-h', '/etc']);
    assert.equal((await d.dockerOk(['port', 'bt-pub'])).trim(), `8080/tcp -> 127.0.0.1:${port}`);
    let body = '';
    await eventually('the published port answers', async () => {
      body = await new Promise<string>((resolve) => {
        http.get({ host: '127.0.0.1', port, path: '/passwd', agent: false }, (res) => {
          let t = '';
          res.on('data', (c) => { t += c; });
          res.on('end', () => resolve(t));
        }).on('error', () => resolve(''));
      });
      return body.startsWith('root:x:0:0:');
    });
    await d.dockerOk(['rm', '-f', 'bt-pub']);
  });

  it('keeps data in a named volume across containers', async () => {
    await d.dockerOk(['volume', 'create', 'bt-vol']);
    assert.equal((await d.dockerOk(['volume', 'inspect', '--format', '{{.Name}} {{.Driver}}', 'bt-vol'])).trim(), 'bt-vol local');
    await d.dockerOk(['run', '--rm', '-v', 'bt-vol:/data', IMAGE, 'sh', '-c', 'echo kept > /data/f']);
    assert.equal(await d.dockerOk(['run', '--rm', '-v', 'bt-vol:/data', IMAGE, 'cat', '/data/f']), 'kept\n');
    await d.dockerOk(['volume', 'rm', 'bt-vol']);
  });

  it('answers bad requests with Docker messages and exit codes', async () => {
    await d.dockerOk(['create', '--name', 'bt-dup', IMAGE, 'true']);
    const dup = await d.docker(['run', '--name', 'bt-dup', IMAGE, 'true']);
    assert.equal(dup.code, 125);
    assert.match(dup.stderr, /Conflict\. The container name "\/bt-dup" is already in use/);
    const bad = await d.docker(['run', '--name', 'bad name', IMAGE, 'true']);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /Invalid container name \(bad name\), only \[a-zA-Z0-9\]\[a-zA-Z0-9_.-\] are allowed/);
    // dockerd's order: the container (or the image) first, then the new name's rule
    const renameMissing = await d.docker(['rename', 'bt-nosuch', 'bad name']);
    assert.equal(renameMissing.code, 1);
    assert.match(renameMissing.stderr, /No such container: bt-nosuch/);
    const renameBad = await d.docker(['rename', 'bt-dup', 'bad name']);
    assert.equal(renameBad.code, 1);
    assert.match(renameBad.stderr, /Invalid container name \(bad name\)/);
    const createMissing = await d.docker(['create', '--pull', 'never', '--name', 'bad name', 'bt-no-such-image:1', 'true']);
    assert.equal(createMissing.code, 1);
    assert.match(createMissing.stderr, /No such image: bt-no-such-image:1/);
    // filters a list or prune does not take: dockerd 20.10's words, on every endpoint
    for (const args of [['ps'], ['images'], ['volume', 'ls'], ['network', 'ls'], ['container', 'prune', '-f'], ['image', 'prune', '-f'],
      ['volume', 'prune', '-f'], ['network', 'prune', '-f']]) {
      const r = await d.docker([...args, '--filter', 'bogus=1']);
      assert.equal(r.code, 1, args.join(' '));
      assert.match(r.stderr, /Error response from daemon: Invalid filter 'bogus'/, args.join(' '));
    }
    assert.match((await d.docker(['ps', '--filter', 'status=bogus'])).stderr, /Invalid filter 'status=bogus'/);
    assert.match((await d.docker(['images', '--filter', 'dangling=maybe'])).stderr, /Invalid filter 'dangling=\[maybe\]'/);
    const none = await d.docker(['logs', 'bt-nosuch']);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /No such container: bt-nosuch/);
    // --pull never: a missing image must not send the CLI off to Docker Hub (tests stay on loopback)
    const noImage = await d.docker(['run', '--pull', 'never', '--rm', 'bt-no-such-image:1', 'true']);
    assert.equal(noImage.code, 125);
    assert.match(noImage.stderr, /No such image: bt-no-such-image:1/);
    // a --rm container whose command cannot start: 127 and the reason once, as with dockerd
    // (its wait for `removed` reports no error, so the CLI adds no "Error waiting for container")
    const noCmd = await d.docker(['run', '--rm', IMAGE, 'bt-no-such-command']);
    assert.equal(noCmd.code, 127);
    assert.match(noCmd.stderr, /bt-no-such-command/);
    assert.doesNotMatch(noCmd.stderr, /Error waiting for container/i);
    const rmi = await d.docker(['rmi', 'bt-no-such-image']);
    assert.equal(rmi.code, 1);
    assert.equal(rmi.stderr.trim(), 'Error response from daemon: No such image: bt-no-such-image:latest'); // dockerd's words
    await d.dockerOk(['rm', 'bt-dup']);
  });

  it('prunes the system: stopped containers, unused networks, dangling images, and a build cache it does not have', async () => {
    await d.dockerOk(['create', '--name', 'bt-prune-me', IMAGE, 'true']);
    await d.dockerOk(['network', 'create', 'bt-prune-net']);
    const out = await d.dockerOk(['system', 'prune', '-f']);
    assert.match(out, /Total reclaimed space: /);
    assert.equal((await d.docker(['inspect', 'bt-prune-me'])).code, 1, 'the stopped container went');
    assert.equal((await d.docker(['network', 'inspect', 'bt-prune-net'])).code, 1, 'the unused network went');
    assert.equal((await d.dockerOk(['image', 'inspect', '-f', '{{.Id}}', IMAGE])).startsWith('sha256:'), true, 'a tagged image stays');
  });

  describe('with a local registry', function () {
    let registry: RegistryServer | undefined;
    before(async function () {
      if (!hasRegistry()) { console.log('skip: docker-registry (Debian package) is not installed'); this.skip(); }
      registry = await startRegistry();
    });
    after(async () => { await registry?.stop(); });

    it('pushes and pulls with a progress stream, each once in the events', async () => {
      const ref = `${registry!.host}/bt/busybox:1`;
      const since = Math.floor(Date.now() / 1000) - 1;
      await d.dockerOk(['tag', IMAGE, ref]);
      const push = await d.dockerOk(['push', ref]);
      assert.match(push, /digest: sha256:[0-9a-f]{64}/);
      await d.dockerOk(['rmi', ref]);
      const pull = await d.dockerOk(['pull', ref]);
      assert.match(pull, /Status: Downloaded newer image for|Status: Image is up to date for/);
      assert.equal(await d.dockerOk(['run', '--rm', ref, 'echo', 'pulled']), 'pulled\n');
      const events = await d.dockerOk(['events', '--since', String(since), '--until', String(Math.floor(Date.now() / 1000) + 1),
        '--filter', 'type=image', '--format', '{{.Action}} {{.Actor.Attributes.name}}']);
      const lines = events.trim().split('\n');
      assert.equal(lines.filter((l) => l === `push ${ref}`).length, 1, events);
      assert.equal(lines.filter((l) => l === `pull ${ref}`).length, 1, events);
      assert.ok(lines.includes(`tag ${ref}`), events);
      await d.dockerOk(['rmi', ref]);
    });

    it('docker login checks the credentials against a registry with Basic auth', async function () {
      if (!fs.existsSync('/usr/bin/htpasswd')) { console.log('skip: htpasswd (apache2-utils) is not installed'); this.skip(); }
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-login-'));
      let secured: RegistryServer | undefined;
      try {
        const pw = path.join(tmp, 'htpasswd');
        execFileSync('htpasswd', ['-Bbc', pw, 'bt-user', 'bt-secret'], { stdio: 'ignore' });
        secured = await startRegistry({ htpasswd: pw });
        const ok = await d.docker(['login', '-u', 'bt-user', '--password-stdin', secured.host], { input: 'bt-secret\n' });
        assert.equal(ok.code, 0, ok.stderr);
        assert.match(ok.stdout, /Login Succeeded/);
        const bad = await d.docker(['login', '-u', 'bt-user', '--password-stdin', secured.host], { input: 'wrong\n' });
        assert.equal(bad.code, 1);
        assert.match(bad.stderr, /unauthorized|authentication required/i);
      } finally {
        await secured?.stop();
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    });

    it('reports that a v2 registry has no search endpoint instead of failing silently', async () => {
      const r = await d.docker(['search', `${registry!.host}/bt`]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(registry!.host.replace(/\./g, '\\.')));
    });
  });
});
