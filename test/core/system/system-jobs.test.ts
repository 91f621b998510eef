/**
 * The system jobs on a real kernel: version, info (counts from the domain
 * list jobs, registered here as small test jobs), the engine id kept across
 * restarts, the hook → event bridge, and the events job's since/until/filters.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import type { OwnedKernel } from '../../../core/daemon/create-kernel';
import type { JobName } from '../../../core/engine/job-map';
import type { EngineEvent } from '../../../core/hooks/events';
import { makeEvent } from '../../../core/system/events-bridge';
import { parseEventTime } from '../../../core/system/events-job';
import { setupSystem, type SystemService } from '../../../core/system/setup-system';
import { makeTestKernel } from '../../helpers/test-kernel';

describe('system jobs', () => {
  let dir: string;
  let kernel: OwnedKernel;
  let system: SystemService;

  before(async () => {
    dir = fs.mkdtempSync('/tmp/berth-test-system-');
    kernel = await makeTestKernel({ dataRoot: path.join(dir, 'data') });
    system = await setupSystem(kernel);
    kernel.engine.register('container.list' as JobName, (() => [
      { Id: 'a', State: 'running' }, { Id: 'b', State: 'paused' }, { Id: 'c', State: 'exited' }, { Id: 'd', State: 'created' },
    ]) as never, 'test');
    kernel.engine.register('network.inspect' as JobName, ((job: { input: { id: string } }) => ({ Id: job.input.id, Name: 'bt-net', Driver: 'bridge' })) as never, 'test');
  });

  after(async () => {
    try { await kernel?.close(); } finally { fs.rmSync(dir, { recursive: true, force: true }); }
  });

  it('reports the version with the API range', async () => {
    const v = await kernel.engine.run('system.version', {});
    assert.equal(v.ApiVersion, '1.41');
    assert.equal(v.MinAPIVersion, '1.24');
    assert.equal(v.Components[0].Name, 'Engine');
  });

  it('counts containers by state, and keeps the engine id across restarts', async () => {
    const info = await kernel.engine.run('system.info', {});
    assert.deepEqual([info.Containers, info.ContainersRunning, info.ContainersPaused, info.ContainersStopped], [4, 1, 1, 2]);
    assert.equal(info.ID, system.engineId);
    assert.equal(fs.readFileSync(path.join(dir, 'data', 'engine-id'), 'utf8').trim(), system.engineId);
    const again = await makeTestKernel({ dataRoot: path.join(dir, 'data') });
    try {
      assert.equal((await setupSystem(again)).engineId, system.engineId);
    } finally {
      await again.close();
    }
  });

  it('turns network and volume hooks into Docker events with names', async () => {
    const seen: EngineEvent[] = [];
    const unsubscribe = system.events.subscribe((e) => seen.push(e));
    try {
      await kernel.hooks.network.connected.promise('n1', 'c1');
      await kernel.hooks.volume.created.promise('bt-vol');
      await system.bridge.flush();
      assert.deepEqual(seen.map((e) => [e.Type, e.Action, e.Actor.ID, e.Actor.Attributes]), [
        ['network', 'connect', 'n1', { name: 'bt-net', type: 'bridge', container: 'c1' }],
        ['volume', 'create', 'bt-vol', {}],
      ]);
    } finally {
      unsubscribe();
    }
  });

  it('replays events between since and until, filtered, and then ends', async () => {
    const t = Date.now();
    const at = (ms: number, e: EngineEvent): EngineEvent => ({ ...e, time: Math.floor(ms / 1000), timeNano: ms * 1e6 });
    system.events.publish(at(t - 60_000, makeEvent('container', 'start', 'old', { name: 'old' })));
    system.events.publish(at(t - 30_000, makeEvent('container', 'start', 'mid', { name: 'mid' })));
    system.events.publish(at(t - 29_000, makeEvent('image', 'pull', 'img', {})));
    system.events.publish(at(t - 1_000, makeEvent('container', 'die', 'new', { name: 'new' })));
    const out = new PassThrough();
    let text = '';
    out.on('data', (b) => { text += b; });
    await kernel.engine.run('system.events', {
      since: String((t - 45_000) / 1000), until: new Date(t - 10_000).toISOString(), filters: { type: ['container'] },
    }, { io: { stdin: new PassThrough(), stdout: out, stderr: new PassThrough() } });
    const ids = text.trim().split('\n').map((l) => (JSON.parse(l) as EngineEvent).Actor.ID);
    assert.deepEqual(ids, ['mid']);
    await assert.rejects(kernel.engine.run('system.events', { filters: { colour: ['red'] } }), /Invalid filter 'colour'/);
    await assert.rejects(kernel.engine.run('system.events', { since: '200', until: '100' }), /cannot be after until/);
  });

  it('parses Docker event times to nanoseconds', () => {
    assert.equal(parseEventTime('since', '1700000000.5'), 1_700_000_000_500_000_000n);
    assert.equal(parseEventTime('since', '1700000000'), 1_700_000_000_000_000_000n);
    assert.equal(parseEventTime('until', '2023-11-14T22:13:20Z'), 1_700_000_000_000_000_000n);
    assert.throws(() => parseEventTime('since', 'yesterday'), /invalid value for since/);
  });
});
