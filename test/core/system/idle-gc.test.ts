import * as assert from 'node:assert/strict';
import { Engine } from '../../../core/engine/engine';
import { startIdleGc } from '../../../core/system/idle-gc';

describe('core/system: idle GC', () => {
  it('collects (then trims) once the engine has been idle, and only when memory grew', async () => {
    const engine = new Engine();
    engine.register('engine.ping', () => 'OK' as const);
    const calls: string[] = [];
    let collected = (): void => undefined;
    const done = new Promise<void>((r) => { collected = r; });
    const stop = startIdleGc(engine, () => { calls.push('gc'); }, { idleMs: 10, growthBytes: 0, trim: () => { calls.push('trim'); collected(); } });
    try {
      const before = engine.activity;
      await engine.run('engine.ping', undefined as never);
      assert.equal(engine.activity, before + 2, 'a job counts as activity when it starts and when it ends');
      await done;
      assert.deepEqual(calls, ['gc', 'trim']);
    } finally {
      stop();
    }
    const none: string[] = [];
    const stop2 = startIdleGc(engine, () => { none.push('gc'); }, { idleMs: 5, growthBytes: 1 << 40 });
    try {
      await engine.run('engine.ping', undefined as never);
      for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 5));
      assert.deepEqual(none, [], 'no collection without growth');
    } finally {
      stop2();
    }
  });
});
