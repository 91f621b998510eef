import * as assert from 'node:assert/strict';
import * as v8 from 'node:v8';
import { loadAddon } from '../../../core/native/loader';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { applyLeanFlags, applyStartupFlags, checkV8Flags, compacting, DEFAULT_V8_FLAGS, LEAN_FLAGS, STARTUP_FLAGS, undoFlag, v8Flags } from '../../../core/bin/heap-flags';

describe('core/bin: heap flags', () => {
  it('undoes a boolean flag both ways', () => {
    assert.equal(undoFlag('--no-opt'), '--opt');
    assert.equal(undoFlag('--optimize-for-size'), '--no-optimize-for-size');
  });
  it('refuses start-up flags with a value (they cannot be undone), naming them', () => {
    assert.throws(() => applyStartupFlags({ BERTHD_V8_START_FLAGS: '--no-opt --stack-size=100' }), /--stack-size=100/);
  });
  it('applies the start-up flags and undoes them once', () => {
    const set: string[] = [];
    const record = (f: string): void => { set.push(f); };
    {
      const end = applyStartupFlags({ BERTHD_V8_START_FLAGS: '--no-opt --optimize-for-size', BERTHD_V8_LEAN_FLAGS: '' }, record);
      assert.deepEqual(set, ['--no-opt', '--optimize-for-size']);
      end();
      end();
      assert.deepEqual(set, ['--no-opt', '--optimize-for-size', '--opt', '--no-optimize-for-size']);
      applyStartupFlags({ BERTHD_V8_START_FLAGS: '' }, record)();
      assert.equal(set.length, 4, 'an empty value sets nothing');
    }
    // and the real V8 takes the default flags and their undoing
    applyStartupFlags({}, v8.setFlagsFromString)();
  });
  it('does not undo a start-up flag that is also one of berthd\'s lifelong flags', () => {
    const set: string[] = [];
    const end = applyStartupFlags({ BERTHD_V8_START_FLAGS: '--no-sparkplug --no-opt', BERTHD_V8_LEAN_FLAGS: '' }, (f) => { set.push(f); });
    end();
    assert.deepEqual(set, ['--no-sparkplug', '--no-opt', '--opt'], 'Sparkplug stays off: --no-sparkplug is in the default V8 flags');
    assert.ok(!STARTUP_FLAGS.split(' ').some((f) => DEFAULT_V8_FLAGS.split(' ').includes(f)), 'the defaults do not overlap');
  });
  it('keeps the lean flags until told, and a start-up flag that is also a lean one', () => {
    const set: string[] = [];
    const record = (f: string): void => { set.push(f); };
    const env = { BERTHD_V8_START_FLAGS: '--no-opt --optimize-for-size', BERTHD_V8_LEAN_FLAGS: '--no-opt' };
    const endStartup = applyStartupFlags(env, record);
    const endLean = applyLeanFlags(env, record);
    endStartup();
    assert.deepEqual(set, ['--no-opt', '--optimize-for-size', '--no-opt', '--no-optimize-for-size'], 'start-up over: TurboFan stays off');
    endLean();
    endLean();
    assert.deepEqual(set.slice(4), ['--opt']);
    assert.throws(() => applyLeanFlags({ BERTHD_V8_LEAN_FLAGS: '--interrupt-budget=1000' }, record), /BERTHD_V8_LEAN_FLAGS: .*--interrupt-budget=1000/);
    applyLeanFlags({ BERTHD_V8_LEAN_FLAGS: '' }, record)();
    assert.equal(set.length, 5, 'an empty value sets nothing');
    assert.equal(LEAN_FLAGS, '--no-opt');
    assert.ok(!LEAN_FLAGS.split(' ').some((f) => DEFAULT_V8_FLAGS.split(' ').includes(f) || STARTUP_FLAGS.split(' ').includes(f)), 'the defaults do not overlap');
  });
  it('V8 optimises a hot function once the lean flags are undone at run time (the real V8 of this node)', function () {
    this.timeout(20000);
    // %GetOptimizationStatus bit 4: optimised. Node calls flags changed at run
    // time undefined behaviour; berthd relies on this one working both ways.
    const heapFlags = path.resolve(__dirname, '../../../core/bin/heap-flags.js');
    const script = `
      const { applyLeanFlags } = require(${JSON.stringify(heapFlags)});
      const end = applyLeanFlags({});
      function f(a) { let s = 0; for (let i = 0; i < a.length; i++) s = (s + a[i] * 31) | 0; return s; }
      const a = Array.from({ length: 1000 }, (_, i) => i);
      for (let i = 0; i < 20000; i++) f(a);
      const off = %GetOptimizationStatus(f);
      end();
      for (let i = 0; i < 20000; i++) f(a);
      console.log(JSON.stringify({ off, on: %GetOptimizationStatus(f) }));`;
    const r = spawnSync(process.execPath, ['--allow-natives-syntax', ...DEFAULT_V8_FLAGS.split(' '), '-e', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const { off, on } = JSON.parse(r.stdout) as { off: number; on: number };
    assert.equal(off & 16, 0, `not optimised while lean (status ${off.toString(2)})`);
    assert.equal(on & 16, 16, `optimised afterwards (status ${on.toString(2)})`);
  });
  it('takes berthd\'s V8 flags from BERTHD_V8_FLAGS, empty for V8\'s own', () => {
    assert.deepEqual(v8Flags({}), DEFAULT_V8_FLAGS.split(' '));
    assert.ok(v8Flags({}).includes('--no-sparkplug') && v8Flags({}).includes('--max-semi-space-size=1'));
    assert.deepEqual(v8Flags({ BERTHD_V8_FLAGS: '' }), []);
    assert.deepEqual(v8Flags({ BERTHD_V8_FLAGS: ' --stack-size=900  --no-opt ' }), ['--stack-size=900', '--no-opt']);
  });
  it('refuses an operator\'s V8 flag node does not know, naming the variable and the flag', function () {
    this.timeout(20000);
    assert.equal(checkV8Flags({}), null, 'the defaults are not checked');
    assert.equal(checkV8Flags({ BERTHD_V8_FLAGS: '--max-semi-space-size=2 --no-opt' }), null);
    const why = checkV8Flags({ BERTHD_V8_FLAGS: '--no-opt --berth-no-such-flag' });
    assert.match(why ?? '', /^BERTHD_V8_FLAGS="--no-opt --berth-no-such-flag": node refuses it: .*--berth-no-such-flag/);
  });
  it('a compacting GC asks V8 to reduce memory when it can, and falls back to gc()', () => {
    const set: string[] = [];
    const record = (f: string): void => { set.push(f); };
    compacting(() => { set.push('gc'); }, record, () => { set.push('reduce'); return true; })();
    assert.deepEqual(set, ['--compact-on-every-full-gc', 'reduce', '--no-compact-on-every-full-gc'], 'no gc() after V8 reduced');
    set.length = 0;
    compacting(() => { set.push('gc'); }, record, () => { set.push('reduce'); return false; })();
    assert.deepEqual(set, ['--compact-on-every-full-gc', 'reduce', 'gc', '--no-compact-on-every-full-gc'], 'gc() when the addon has no V8');
  });
  it('the exec addon\'s reduceMemory makes V8 give a burst\'s heap back', () => {
    const addon = loadAddon<{ reduceMemory?: (mode: string) => boolean }>('berth_exec');
    assert.equal(typeof addon.reduceMemory, 'function');
    let burst: Array<{ i: number; s: string }> | null = [];
    for (let i = 0; i < 200000; i++) burst.push({ i, s: `x${i}` });
    const grown = v8.getHeapStatistics().total_heap_size;
    burst = null;
    assert.equal(addon.reduceMemory!('critical'), true, 'this build has V8\'s headers (/usr/include/node)');
    const after = v8.getHeapStatistics().total_heap_size;
    assert.ok(after < grown - 8 * 1024 * 1024, `heap ${grown} -> ${after} bytes: less than 8 MiB given back`);
    assert.equal(burst, null);
  });
  it('a compacting GC sets the compaction flag only around the collection', () => {
    const set: string[] = [];
    const record = (f: string): void => { set.push(f); };
    compacting(() => { set.push('gc'); }, record)();
    assert.deepEqual(set, ['--compact-on-every-full-gc', 'gc', '--no-compact-on-every-full-gc']);
    assert.throws(() => compacting(() => { throw new Error('boom'); }, record)(), /boom/);
    assert.equal(set.at(-1), '--no-compact-on-every-full-gc', 'undone when the collection throws');
  });
});
