/**
 * What a running berth-shim keeps resident (docs/exec-driver.md, Footprint):
 * the bootstrap and libseccomp's working set are freed and the heap trimmed
 * once PID 1 runs, and the shim still knows its OOM file afterwards.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Harness, newHarness, requireKernel } from './harness';

/** Sum of the Rss (KiB) of the mappings of `pid` named `name` in /proc/<pid>/smaps. */
function mappedRssKiB(pid: number, name: string): number {
  let current = '';
  let total = 0;
  for (const line of fs.readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) { current = head[1]; continue; }
    const rss = /^Rss:\s+([0-9]+) kB/.exec(line);
    if (rss && current === name) total += Number(rss[1]);
  }
  return total;
}

describe('execdriver-native: shim footprint', function () {
  this.timeout(20000);
  let h: Harness;
  before(function () { requireKernel(this); h = newHarness(); });
  afterEach(async () => { await h?.cleanup(); });
  after(async () => { await h?.destroy(); });

  it('frees the seccomp compiler\'s heap once PID 1 runs (no cached program: libseccomp ran in the shim)', async () => {
    const spec = h.spec(['sleep', '60']);
    const c = await h.start(spec);
    assert.ok(!fs.readdirSync(path.join(h.dir, 'seccomp-cache')).every((f) => f.endsWith('.tmp')), 'the filter was compiled (and cached) by this shim');
    const [shimPid] = fs.readFileSync(path.join(spec.stateDir, 'shim.pid'), 'utf8').trim().split(' ').map(Number);
    const heap = mappedRssKiB(shimPid, '[heap]');
    // ~1 MiB before the shim freed and trimmed after start; ~100 KiB after
    assert.ok(heap > 0 && heap < 400, `berth-shim ${shimPid} keeps ${heap} KiB of heap resident`);
    await c.signal('SIGKILL');
    const status = await c.wait();
    assert.equal(status.exitCode, 137);
    assert.equal(status.oomKilled, false, 'the OOM file is still read after the bootstrap was freed');
  });
});
