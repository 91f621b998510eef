import * as assert from 'node:assert/strict';
import { captureIO, makeTestbed, requireContainers, type ContainerTestbed } from './container-harness';

/** Waits until `pred` holds, polling every 50 ms (no timing is asserted). */
async function until(pred: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await pred())) await new Promise((r) => setTimeout(r, 50));
}

describe('containers across a daemon restart (live-restore)', function () {
  this.timeout(60_000);
  let first: ContainerTestbed | undefined;
  let second: ContainerTestbed | undefined;

  beforeEach(function () { requireContainers(this); });
  afterEach(async () => {
    try {
      if (second) await second.destroy();
      else if (first) await first.destroy();
    } finally {
      first = undefined;
      second = undefined;
    }
  });

  const run = (bed: ContainerTestbed, name: string, input: unknown, io?: ReturnType<typeof captureIO>['io']) =>
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    bed.kernel.engine.run(name as any, input as any, io ? { io } : {}) as Promise<any>;

  it('keeps a container running while the daemon is down, reattaches its logs without losing a line, and collects its exit', async () => {
    first = await makeTestbed({ 'live-restore': true });
    const { Id: id } = await run(first, 'container.create', {
      body: {
        Image: 'busybox', HostConfig: { NetworkMode: 'none' },
        Cmd: ['sh', '-c', 'i=0; while [ $i -lt 20 ]; do echo line$i; i=$((i+1)); sleep 0.1; done; exit 5'],
      },
    });
    await run(first, 'container.start', { id });
    const pid = (await run(first, 'container.inspect', { id })).State.Pid;
    assert.ok(pid > 0);
    await first.closeKernel();
    assert.doesNotThrow(() => process.kill(pid, 0), 'PID 1 survives the daemon');

    second = await makeTestbed({ 'live-restore': true }, first);
    const info = await run(second, 'container.inspect', { id });
    assert.ok(['running', 'exited'].includes(info.State.Status), info.State.Status);
    const w = await run(second, 'container.wait', { id });
    assert.equal(w.StatusCode, 5);
    const cap = captureIO();
    await run(second, 'container.logs', { id, stdout: true }, cap.io);
    assert.equal(cap.out(), Array.from({ length: 20 }, (_, i) => `line${i}\n`).join(''));
  });

  it('records the exit of a container that ended while the daemon was down, and restarts `always` ones', async () => {
    first = await makeTestbed({ 'live-restore': true });
    const quick = (await run(first, 'container.create', {
      body: { Image: 'busybox', HostConfig: { NetworkMode: 'none' }, Cmd: ['sh', '-c', 'sleep 0.3; exit 7'] },
    })).Id;
    const always = (await run(first, 'container.create', {
      body: { Image: 'busybox', HostConfig: { NetworkMode: 'none', RestartPolicy: { Name: 'always' } }, Cmd: ['sleep', '1000'] },
    })).Id;
    await run(first, 'container.start', { id: quick });
    await run(first, 'container.start', { id: always });
    await run(first, 'container.kill', { id: always });
    assert.equal((await run(first, 'container.inspect', { id: always })).State.Status, 'exited', 'kill is a manual stop: no restart');
    const pid = (await run(first, 'container.inspect', { id: quick })).State.Pid;
    await first.closeKernel();
    await until(() => { try { process.kill(pid, 0); return false; } catch { return true; } });

    second = await makeTestbed({ 'live-restore': true }, first);
    const q = await run(second, 'container.inspect', { id: quick });
    assert.equal(q.State.Status, 'exited');
    assert.equal(q.State.ExitCode, 7);
    const a = await run(second, 'container.inspect', { id: always });
    assert.equal(a.State.Status, 'running', 'always restarts when the daemon starts, even after a manual stop');
  });

  it('stops running containers on shutdown without live-restore; unless-stopped ones come back, manually stopped ones do not', async () => {
    first = await makeTestbed({ 'live-restore': false });
    const mk = async (policy: string): Promise<string> => (await run(first!, 'container.create', {
      body: { Image: 'busybox', HostConfig: { NetworkMode: 'none', RestartPolicy: { Name: policy } }, Cmd: ['sleep', '1000'], StopTimeout: 1 },
    })).Id;
    const plain = await mk('no');
    const back = await mk('unless-stopped');
    const stopped = await mk('unless-stopped');
    for (const id of [plain, back, stopped]) await run(first, 'container.start', { id });
    await run(first, 'container.stop', { id: stopped, t: 0 });
    const pid = (await run(first, 'container.inspect', { id: plain })).State.Pid;
    await first.closeKernel();
    assert.throws(() => process.kill(pid, 0), 'PID 1 was stopped');
    second = await makeTestbed({ 'live-restore': false }, first);
    const info = await run(second, 'container.inspect', { id: plain });
    assert.equal(info.State.Status, 'exited');
    assert.equal(info.State.ExitCode, 137);
    assert.equal((await run(second, 'container.inspect', { id: back })).State.Status, 'running');
    assert.equal((await run(second, 'container.inspect', { id: stopped })).State.Status, 'exited');
  });
});
