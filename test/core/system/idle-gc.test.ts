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
    const stop2 = startIdleGc(engine, () => { none.push('gc'); }, { idleMs: 5, growthBytes: 2 ** 40 });
    try {
      await engine.run('engine.ping', undefined as never);
      for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 5));
      assert.deepEqual(none, [], 'no collection without growth');
    } finally {
      stop2();
    }
  });
  it('collects again after a stream that a collection ran in the middle of (measured against the floor)', async function () {
    this.timeout(5000);
    const engine = new Engine();
    let rss = 100;
    const after = [120, 101];
    let collections = 0;
    const stop = startIdleGc(engine, () => { rss = after[collections++] ?? rss; }, { idleMs: 100, growthBytes: 10, floorEveryMs: 0, rss: () => rss });
    try {
      rss = 130; // a stream grows the heap; a collection in its middle leaves 120 (its high-water mark)
      for (let i = 0; i < 200 && collections < 2; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(collections, 2, 'the garbage the stream left (120 over a floor of 100) is collected once it is idle');
      for (let i = 0; i < 30; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(collections, 2, 'then nothing more: 101 is within growthBytes of the floor');
    } finally {
      stop();
    }
  });
  it('with initial, collects at the first idle moment whatever the growth, and tells onCollect', async () => {
    const engine = new Engine();
    const calls: string[] = [];
    let collected = (): void => undefined;
    const done = new Promise<void>((r) => { collected = r; });
    const stop = startIdleGc(engine, () => { calls.push('gc'); }, {
      idleMs: 5, growthBytes: 2 ** 40, initial: true, rss: () => 1000, onCollect: () => { calls.push('told'); collected(); },
    });
    try {
      await done;
      for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 5));
      assert.deepEqual(calls, ['gc', 'told'], 'once: later ones wait for growth');
    } finally {
      stop();
    }
  });
  it('does not collect while the event loop is busy inside one long job, then does', async () => {
    const engine = new Engine();
    let busy = 0.5;
    const calls: string[] = [];
    const stop = startIdleGc(engine, () => { calls.push('gc'); }, { idleMs: 5, growthBytes: 0, utilization: () => busy });
    try {
      for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 5));
      assert.deepEqual(calls, [], 'a pull or a log stream keeps the loop busy without starting or ending a job');
      busy = 0;
      for (let i = 0; i < 100 && calls.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
      assert.equal(calls[0], 'gc');
    } finally {
      stop();
    }
  });
});
