/**
 * berthd restarts, driven with the docker CLI: with `live-restore` containers
 * outlive the daemon and are picked up again; without it, SIGTERM stops them
 * and the `always` restart policy brings them back when berthd starts.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hasBusybox } from '../helpers/busybox-rootfs';
import { DOCKER, busyboxTar, startAcceptanceDaemon, type AcceptanceDaemon } from './acceptance-env';

const IMAGE = 'bt-busybox:latest';

function processAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

async function state(d: AcceptanceDaemon, name: string): Promise<{ status: string; pid: number }> {
  const [status, pid] = (await d.dockerOk(['inspect', '-f', '{{.State.Status}} {{.State.Pid}}', name])).trim().split(' ');
  return { status, pid: Number(pid) };
}

describe('acceptance: berthd restarts', function () {
  // Each test starts berthd twice and waits for a shutdown; on a loaded 2-core machine that can pass a minute.
  this.timeout(240_000);
  let d: AcceptanceDaemon | undefined;
  let work: string;

  before(function () {
    if (!DOCKER) { console.log('skip: no docker CLI on this machine'); this.skip(); }
    if (process.getuid?.() !== 0) { console.log('skip: berthd needs root (namespaces, mounts, cgroups)'); this.skip(); }
    if (!hasBusybox()) { console.log('skip: no /bin/busybox to build the test image from'); this.skip(); }
    work = fs.mkdtempSync('/tmp/berth-test-acc-work-');
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && d) console.log(`berthd log tail:\n${d.log().slice(-3000)}`);
    await d?.stop();
    d = undefined;
  });

  after(() => { if (work) fs.rmSync(work, { recursive: true, force: true }); });

  it('keeps containers running across a daemon restart with live-restore', async () => {
    d = await startAcceptanceDaemon({ 'live-restore': true });
    await d.dockerOk(['import', '--change', 'CMD ["sh"]', '-', IMAGE], { input: await busyboxTar(work) });
    await d.dockerOk(['run', '-d', '--name', 'bt-live', IMAGE, 'sleep', '300']);
    const before = await state(d, 'bt-live');
    assert.equal(before.status, 'running');
    assert.equal(fs.readFileSync(path.join(d.dir, 'berthd.pid'), 'utf8').trim(), String(d.pid()));
    await d.shutdown();
    assert.equal(d.alive(), false);
    assert.deepEqual(d.lastExit(), { code: 0, signal: null }, 'berthd exits by itself on SIGTERM, shim connections notwithstanding');
    assert.equal(fs.existsSync(d.socket), false, 'the socket is removed at shutdown');
    assert.equal(fs.existsSync(path.join(d.dir, 'berthd.pid')), false, 'the pid file is removed at shutdown');
    assert.ok(processAlive(before.pid), 'the container outlived berthd');
    await d.restart();
    const after = await state(d, 'bt-live');
    assert.deepEqual(after, { status: 'running', pid: before.pid });
    assert.equal(await d.dockerOk(['exec', 'bt-live', 'echo', 'still here']), 'still here\n');
  });

  it('stops containers on SIGTERM without live-restore, and restarts the "always" ones when it starts', async () => {
    d = await startAcceptanceDaemon();
    await d.dockerOk(['import', '--change', 'CMD ["sh"]', '-', IMAGE], { input: await busyboxTar(work) });
    await d.dockerOk(['run', '-d', '--name', 'bt-always', '--restart', 'always', IMAGE, 'sleep', '300']);
    await d.dockerOk(['run', '-d', '--name', 'bt-plain', IMAGE, 'sleep', '300']);
    const always = await state(d, 'bt-always');
    const plain = await state(d, 'bt-plain');
    await d.shutdown();
    assert.equal(processAlive(always.pid), false, 'bt-always was stopped at shutdown');
    assert.equal(processAlive(plain.pid), false, 'bt-plain was stopped at shutdown');
    await d.restart();
    const again = await state(d, 'bt-always');
    assert.equal(again.status, 'running');
    assert.notEqual(again.pid, always.pid);
    assert.equal((await state(d, 'bt-plain')).status, 'exited');
  });
});
