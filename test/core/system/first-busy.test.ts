import * as assert from 'node:assert/strict';
import { onFirstBusy } from '../../../core/system/first-busy';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Burns CPU on this thread for `ms`. */
function burn(ms: number): void {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) x += Math.sqrt(x + 1);
  assert.ok(x > 0);
}

describe('core/system: first busy stretch', () => {
  it('tells once, after a stretch of real CPU work on this thread', async () => {
    // (that an idle process is not told is checked with a given CPU clock below, and on a real
    // berthd in test/core/bin: this mocha process may collect a big heap on other threads meanwhile)
    let told = 0;
    const stop = onFirstBusy(() => { told++; }, { windowMs: 30 });
    try {
      burn(200);
      await sleep(80);
      assert.equal(told, 1, 'a 200 ms stretch of CPU is busy');
      burn(200);
      await sleep(80);
      assert.equal(told, 1, 'told only once');
    } finally {
      stop();
    }
  });

  it('counts a share of one core over the stretch: short bursts in it are not busy', async () => {
    let cpu = 0;
    let told = 0;
    const stop = onFirstBusy(() => { told++; }, { windowMs: 40, busyFraction: 0.8, cpuMs: () => cpu });
    try {
      await sleep(100);
      assert.equal(told, 0, 'no CPU used: not busy');
      for (let i = 0; i < 4; i++) {
        cpu += 15; // well under 0.8 of each 40 ms stretch
        await sleep(45);
      }
      assert.equal(told, 0, 'bursts of 15 ms per stretch are not busy');
      cpu += 1000; // a second of work (a pull's threads count too)
      await sleep(60);
      assert.equal(told, 1);
    } finally {
      stop();
    }
  });

  it('stops watching when asked, before any busy stretch', async () => {
    let cpu = 0;
    let told = 0;
    const stop = onFirstBusy(() => { told++; }, { windowMs: 20, cpuMs: () => cpu });
    stop();
    cpu += 1000;
    await sleep(60);
    assert.equal(told, 0);
  });
});
