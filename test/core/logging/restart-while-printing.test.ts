import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { captureIO, makeTestbed, requireContainers, type ContainerTestbed } from '../container/container-harness';

/**
 * The whole log pipeline across a daemon restart: a container prints 20,000
 * numbered lines in bursts for about two seconds; the daemon (kernel) goes
 * away in the middle and a new one restores the container; every line must be
 * in the json-file exactly once and in order.
 */
describe('core/logging: daemon restart while a container prints (live-restore)', function () {
  this.timeout(120_000);
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

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const run = (bed: ContainerTestbed, name: string, input: unknown, io?: ReturnType<typeof captureIO>['io']): Promise<any> =>
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    bed.kernel.engine.run(name as any, input as any, io ? { io } : {}) as Promise<any>;

  it('loses no line and repeats none', async () => {
    first = await makeTestbed({ 'live-restore': true });
    const script = 'b=0; while [ $b -lt 40 ]; do seq $((b*500+1)) $((b*500+500)); b=$((b+1)); usleep 50000; done';
    const { Id: id } = await run(first, 'container.create', {
      body: { Image: 'busybox', HostConfig: { NetworkMode: 'none' }, Cmd: ['sh', '-c', script] },
    });
    await run(first, 'container.start', { id });
    const logFile = path.join(first.dataRoot, 'containers', id, `${id}-json.log`);
    // Restart once some output is in the log and more is coming.
    while (!fs.existsSync(logFile) || fs.statSync(logFile).size < 20_000) await new Promise((r) => setTimeout(r, 20));
    await first.closeKernel();
    const atRestart = fs.readFileSync(logFile, 'utf8').split('\n').length - 1;
    assert.ok(atRestart > 0 && atRestart < 20_000, `the daemon went away mid-output (${atRestart} lines logged by then)`);
    second = await makeTestbed({ 'live-restore': true }, first);
    const w = await run(second, 'container.wait', { id });
    assert.equal(w.StatusCode, 0);

    const records = fs.readFileSync(logFile, 'utf8').trimEnd().split('\n').map((r) => JSON.parse(r) as { log: string; stream: string });
    const nums = records.map((r) => Number(r.log));
    const gap = nums.findIndex((n, i) => n !== i + 1);
    assert.equal(nums.length, 20_000, `${nums.length} lines in the log; first missing: ${gap < 0 ? 'none' : gap + 1}; ${atRestart} logged before the restart`);
    for (let i = 0; i < nums.length; i++) if (nums[i] !== i + 1) assert.fail(`line ${i + 1} is ${records[i].log.trim()}`);
    const cap = captureIO();
    await run(second, 'container.logs', { id, stdout: true, tail: '3' }, cap.io);
    assert.equal(cap.out(), '19998\n19999\n20000\n');
  });
});
