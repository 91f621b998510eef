import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isConflict, isNotFound, isNotModified } from '../../../core/errors';
import { captureIO, makeTestbed, requireContainers, type ContainerTestbed } from './container-harness';

describe('container lifecycle through the jobs (vfs, native exec driver, json-file, network none)', function () {
  this.timeout(60_000);
  let bed: ContainerTestbed;

  before(async function () {
    requireContainers(this);
    bed = await makeTestbed();
  });
  after(async () => { await bed?.destroy(); });
  afterEach(async () => {
    for (const c of bed?.svc.store.all() ?? []) await bed.svc.remove(c.record.ID, { force: true }).catch(() => undefined);
  });

  const run = (name: string, input: unknown, io?: ReturnType<typeof captureIO>['io']) =>
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    bed.kernel.engine.run(name as any, input as any, io ? { io } : {}) as Promise<any>;

  async function create(body: Record<string, unknown>, name?: string): Promise<string> {
    const hc = (body.HostConfig as Record<string, unknown> | undefined) ?? {};
    const out = await run('container.create', { name, body: { Image: 'busybox', ...body, HostConfig: { NetworkMode: 'none', ...hc } } });
    return out.Id as string;
  }

  it('runs echo: create, start, wait, logs, inspect', async () => {
    const id = await create({ Cmd: ['sh', '-c', 'echo hello; echo oops >&2; exit 3'] }, 'bt-echo');
    assert.match(id, /^[0-9a-f]{64}$/);
    assert.equal((await run('container.inspect', { id })).State.Status, 'created');
    await run('container.start', { id });
    const w = await run('container.wait', { id });
    assert.deepEqual(w, { StatusCode: 3, Error: null });
    const cap = captureIO();
    await run('container.logs', { id, stdout: true, stderr: true }, cap.io);
    assert.equal(cap.out(), 'hello\n');
    assert.equal(cap.err(), 'oops\n');
    const info = await run('container.inspect', { id: 'bt-echo' });
    assert.equal(info.State.Status, 'exited');
    assert.equal(info.State.ExitCode, 3);
    assert.equal(info.State.Running, false);
    assert.equal(info.Name, '/bt-echo');
    assert.equal(info.Path, 'sh');
    assert.match(info.LogPath, /-json\.log$/);
    assert.ok(fs.existsSync(info.LogPath));
    const onDisk = JSON.parse(fs.readFileSync(path.join(bed.dataRoot, 'containers', id, 'config.v2.json'), 'utf8'));
    assert.equal(onDisk.State.Status, 'exited');
    assert.equal(onDisk.State.ExitCode, 3);
    await run('container.remove', { id });
    assert.equal(fs.existsSync(path.join(bed.dataRoot, 'containers', id)), false);
    await assert.rejects(run('container.inspect', { id }), isNotFound);
  });

  it('refuses to start twice (304) and to remove a running container without force (409)', async () => {
    const id = await create({ Cmd: ['sleep', '1000'] });
    await run('container.start', { id });
    await assert.rejects(run('container.start', { id }), isNotModified);
    await assert.rejects(run('container.remove', { id }), (e: unknown) => isConflict(e)
      && (e as Error).message === `You cannot remove a running container ${id}. Stop the container before attempting removal or force remove`);
    await run('container.remove', { id, force: true });
    await assert.rejects(run('container.inspect', { id }), isNotFound);
  });

  it('stop escalates to SIGKILL for a PID 1 that ignores SIGTERM', async () => {
    const id = await create({ Cmd: ['sleep', '1000'] });
    await run('container.start', { id });
    await run('container.stop', { id, t: 1 });
    const info = await run('container.inspect', { id });
    assert.equal(info.State.Status, 'exited');
    assert.equal(info.State.ExitCode, 137);
    await assert.rejects(run('container.stop', { id }), isNotModified);
    await run('container.remove', { id });
  });

  it('attach before start sees the first line (docker run), with the environment Docker sets', async () => {
    const id = await create({ Cmd: ['sh', '-c', 'echo "$HOSTNAME $HOME $(pwd) $(cat /etc/hostname)"'], WorkingDir: '/tmp/wd', AttachStdout: true });
    const cap = captureIO();
    const attached = run('container.attach', { id, stream: true, stdout: true, stderr: true }, cap.io);
    await new Promise((r) => setImmediate(r));
    await run('container.start', { id });
    await attached;
    const short = id.slice(0, 12);
    assert.equal(cap.out(), `${short} /root /tmp/wd ${short}\n`);
    await run('container.remove', { id, force: true });
  });

  it('exec runs inside a running container with the image user resolution', async () => {
    const id = await create({ Cmd: ['sleep', '1000'] });
    await run('container.start', { id });
    const { Id: execId } = await run('exec.create', { id, body: { Cmd: ['sh', '-c', 'echo $((1+2)); id -u; exit 4'], AttachStdout: true, AttachStderr: true, User: 'www-data' } });
    const cap = captureIO();
    await run('exec.start', { id: execId, body: {} }, cap.io);
    assert.equal(cap.out(), '3\n33\n');
    const ei = await run('exec.inspect', { id: execId });
    assert.equal(ei.ExitCode, 4);
    assert.equal(ei.Running, false);
    assert.deepEqual((await run('container.inspect', { id })).ExecIDs, [execId]);
    await run('container.remove', { id, force: true });
  });

  it('User from the create body resolves against the image\'s /etc/passwd', async () => {
    const id = await create({ Cmd: ['id'], User: 'www-data', HostConfig: { GroupAdd: ['staff'] } });
    await run('container.start', { id });
    await run('container.wait', { id });
    const cap = captureIO();
    await run('container.logs', { id, stdout: true }, cap.io);
    assert.match(cap.out(), /^uid=33\(www-data\) gid=33\(www-data\) groups=33\(www-data\),50\(staff\)/);
    await run('container.remove', { id });
  });

  it('on-failure:2 restarts twice with back-off, then stays exited', async () => {
    const id = await create({ Cmd: ['sh', '-c', 'echo run; exit 1'], HostConfig: { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 } } });
    await run('container.start', { id });
    await run('container.wait', { id, condition: 'not-running' });
    const info = await run('container.inspect', { id });
    assert.equal(info.RestartCount, 2);
    assert.equal(info.State.Status, 'exited');
    assert.equal(info.State.ExitCode, 1);
    const cap = captureIO();
    await run('container.logs', { id, stdout: true }, cap.io);
    assert.equal(cap.out(), 'run\nrun\nrun\n');
    await run('container.remove', { id });
  });

  it('pause, unpause, top and a one-shot stats of a running container', async () => {
    const id = await create({ Cmd: ['sleep', '1000'] });
    await run('container.start', { id });
    const top = await run('container.top', { id });
    assert.ok(top.Titles.includes('PID'));
    assert.equal(top.Processes.length, 1);
    assert.match(top.Processes[0].at(-1), /sleep 1000/);
    await run('container.pause', { id });
    assert.equal((await run('container.inspect', { id })).State.Status, 'paused');
    await assert.rejects(run('container.pause', { id }), isConflict);
    await run('container.unpause', { id });
    assert.equal((await run('container.inspect', { id })).State.Status, 'running');
    const cap = captureIO();
    await run('container.stats', { id, stream: false, 'one-shot': true }, cap.io);
    const stats = JSON.parse(cap.out());
    assert.equal(stats.id, id);
    assert.ok(stats.memory_stats.usage > 0);
    assert.ok(stats.pids_stats.current >= 1);
    await run('container.kill', { id });
    assert.equal((await run('container.inspect', { id })).State.ExitCode, 137);
    await run('container.remove', { id });
  });

  it('binds a host directory, honours read-only root and tmpfs', async () => {
    const hostDir = fs.mkdtempSync(path.join(bed.dataRoot, 'bind-'));
    const id = await create({
      Cmd: ['sh', '-c', 'echo hi > /data/f; touch /x 2>/dev/null && echo rw || echo ro; touch /run/t && echo tmpfs-ok'],
      HostConfig: { Binds: [`${hostDir}:/data`], ReadonlyRootfs: true, Tmpfs: { '/run': '' } },
    });
    await run('container.start', { id });
    assert.equal((await run('container.wait', { id })).StatusCode, 0);
    const cap = captureIO();
    await run('container.logs', { id, stdout: true }, cap.io);
    assert.equal(cap.out(), 'ro\ntmpfs-ok\n');
    assert.equal(fs.readFileSync(path.join(hostDir, 'f'), 'utf8'), 'hi\n');
    const info = await run('container.inspect', { id });
    assert.deepEqual(info.Mounts, [{ Type: 'bind', Source: hostDir, Destination: '/data', Mode: '', RW: true, Propagation: 'rprivate' }]);
    await run('container.remove', { id });
  });

  it('lists with Docker\'s filters', async () => {
    const a = await create({ Cmd: ['true'], Labels: { tier: 'web' } }, 'bt-list-a');
    const b = await create({ Cmd: ['sleep', '1000'] }, 'bt-list-b');
    await run('container.start', { id: b });
    const ids = (list: Array<{ Id: string }>) => list.map((x) => x.Id);
    assert.deepEqual(ids(await run('container.list', {})), [b]);
    assert.deepEqual(ids(await run('container.list', { all: true })), [b, a]);
    assert.deepEqual(ids(await run('container.list', { all: true, filters: { label: ['tier=web'] } })), [a]);
    assert.deepEqual(ids(await run('container.list', { filters: { status: ['created'] } })), [a]);
    assert.deepEqual(ids(await run('container.list', { all: true, filters: '{"name":["list-b"]}' })), [b]);
    assert.deepEqual(ids(await run('container.list', { all: true, filters: { ancestor: ['busybox'] } })), [b, a]);
    const sized = (await run('container.list', { size: true }))[0];
    assert.equal(typeof sized.SizeRw, 'number');
    assert.equal(typeof (await run('container.inspect', { id: b, size: true })).SizeRw, 'number');
    const summary = (await run('container.list', {}))[0];
    assert.deepEqual(summary.Names, ['/bt-list-b']);
    assert.equal(summary.Command, 'sleep 1000');
    assert.equal(summary.State, 'running');
    assert.match(summary.Status, /^Up /);
    await run('container.remove', { id: a });
    await run('container.remove', { id: b, force: true });
  });

  it('records an OOM kill: exit 137 and OOMKilled', async () => {
    const id = await create({ Cmd: ['tail', '/dev/zero'], HostConfig: { Memory: 16 * 1024 * 1024, MemorySwap: 16 * 1024 * 1024 } });
    await run('container.start', { id });
    assert.equal((await run('container.wait', { id })).StatusCode, 137);
    const info = await run('container.inspect', { id });
    assert.equal(info.State.OOMKilled, true);
    assert.equal(info.State.ExitCode, 137);
  });

  it('restart stops and starts again with a new PID; stats streams until the caller goes away', async () => {
    const id = await create({ Cmd: ['sleep', '1000'] });
    await run('container.start', { id });
    const pid1 = (await run('container.inspect', { id })).State.Pid;
    await run('container.restart', { id, t: 0 });
    const after = await run('container.inspect', { id });
    assert.equal(after.State.Status, 'running');
    assert.notEqual(after.State.Pid, pid1);
    const ac = new AbortController();
    const cap = captureIO();
    let lines = 0;
    cap.io.stdout.on('data', (d: Buffer) => { lines += d.toString().split('\n').filter(Boolean).length; if (lines >= 2) ac.abort(); });
    await bed.kernel.engine.run('container.stats', { id, stream: true }, { io: cap.io, signal: ac.signal });
    const objs = cap.out().trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(objs.length >= 2);
    assert.equal(objs[1].precpu_stats.cpu_usage.total_usage, objs[0].cpu_stats.cpu_usage.total_usage, 'precpu is the previous sample');
  });

  it('fires Docker\'s events with name and image attributes, and the container hooks', async () => {
    const events: Array<{ Action: string; id: string; attrs: Record<string, string> }> = [];
    const hooks: string[] = [];
    bed.kernel.hooks.engine.event.tapPromise('test.events', async (e) => { if (e.Type === 'container') events.push({ Action: e.Action, id: e.Actor.ID, attrs: e.Actor.Attributes }); });
    bed.kernel.hooks.container.started.tapPromise('test.hooks', async (_id, pid) => { hooks.push(`started:${pid > 0}`); });
    bed.kernel.hooks.container.exited.tapPromise('test.hooks', async (_id, code, oom) => { hooks.push(`exited:${code}:${oom}`); });
    bed.kernel.hooks.container.removed.tapPromise('test.hooks', async () => { hooks.push('removed'); });
    const id = await create({ Cmd: ['sh', '-c', 'exit 4'], Labels: { team: 'berth' } }, 'bt-events');
    await run('container.start', { id });
    await run('container.wait', { id });
    await run('container.remove', { id });
    const mine = events.filter((e) => e.id === id);
    assert.deepEqual(mine.map((e) => e.Action), ['create', 'start', 'die', 'destroy']);
    assert.deepEqual(mine[0].attrs, { team: 'berth', image: 'busybox', name: 'bt-events' });
    assert.equal(mine[2].attrs.exitCode, '4');
    assert.deepEqual(hooks, ['started:true', 'exited:4:false', 'removed']);
  });

  it('logs since/until select by time', async () => {
    const id = await create({ Cmd: ['sh', '-c', 'echo early; sleep 1.2; echo late'] });
    await run('container.start', { id });
    await run('container.wait', { id });
    const cap = captureIO();
    await run('container.logs', { id, stdout: true, timestamps: true }, cap.io);
    const [early, late] = cap.out().trim().split('\n').map((l) => Date.parse(l.split(' ')[0]) / 1000);
    const between = (early + late) / 2;
    const after = captureIO();
    await run('container.logs', { id, stdout: true, since: between }, after.io);
    assert.equal(after.out(), 'late\n');
    const before = captureIO();
    await run('container.logs', { id, stdout: true, until: between }, before.io);
    assert.equal(before.out(), 'early\n');
  });

  it('a command that cannot run fails the start with Docker\'s exit code and State.Error', async () => {
    const id = await create({ Cmd: ['/no/such/binary'] });
    await assert.rejects(run('container.start', { id }), /no such file|not found/i);
    const info = await run('container.inspect', { id });
    assert.equal(info.State.Status, 'created');
    assert.equal(info.State.ExitCode, 127);
    assert.match(info.State.Error, /no such file|not found/i);
    assert.equal(bed.svc.runtimeFor(id), undefined);
  });
});
