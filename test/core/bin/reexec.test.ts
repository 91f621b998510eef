import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_V8_FLAGS } from '../../../core/bin/heap-flags';
import { reexecEnv, wantsReexec } from '../../../core/bin/reexec';

/** This process's environment as a first start of berthd sees it: no arena limit, no re-exec switch, default V8 flags. */
function firstStartEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.MALLOC_ARENA_MAX;
  delete env.BERTHD_REEXEC;
  delete env.BERTHD_V8_FLAGS;
  return env;
}

describe('core/bin: re-exec with one malloc arena', () => {
  let dir = '';
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-reexec-')); });
  after(() => { fs.rmSync(dir, { recursive: true, force: true }); });

  it('is wanted only when MALLOC_ARENA_MAX is unset and BERTHD_REEXEC is not 0', () => {
    assert.equal(wantsReexec({}), true);
    assert.equal(wantsReexec({ MALLOC_ARENA_MAX: '4' }), false, 'the operator\'s value stays');
    assert.equal(wantsReexec({ BERTHD_REEXEC: '0' }), false);
  });
  it('keeps the environment and adds MALLOC_ARENA_MAX=1', () => {
    assert.deepEqual(reexecEnv({ A: '1', B: undefined }), ['A=1', 'MALLOC_ARENA_MAX=1']);
  });
  it('replaces the process in place: same pid, stdio, node flags and arguments, once', function () {
    this.timeout(20000);
    const reexec = path.resolve(__dirname, '../../../core/bin/reexec.js');
    const script = path.join(dir, 'probe.js');
    fs.writeFileSync(script, [
      `require(${JSON.stringify(reexec)}).reexecWithOneArena();`,
      'process.stdout.write(JSON.stringify([process.pid, process.env.MALLOC_ARENA_MAX, process.execArgv, process.argv.slice(2)]));',
      'process.stderr.write("err ok\\n");',
    ].join('\n'));
    const r = spawnSync(process.execPath, ['--no-warnings', script, 'a', 'b c'], { env: firstStartEnv(), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const [pid, arenas, flags, args] = JSON.parse(r.stdout) as [number, string, string[], string[]];
    assert.equal(pid, r.pid, 'the same process');
    assert.equal(arenas, '1');
    assert.deepEqual(flags, ['--no-warnings']);
    assert.deepEqual(args, ['a', 'b c']);
    assert.equal(r.stderr, 'err ok\n', 'stderr survives the exec (node marks stdio close-on-exec)');
  });
  it('puts berthd\'s V8 flags on the new command line, where a worker thread cannot undo them', function () {
    this.timeout(30000);
    const root = path.resolve(__dirname, '../../../core/bin');
    const script = path.join(dir, 'worker-probe.js');
    // Set at run time, --max-semi-space-size came too late for the main heap and the growth factor
    // was undone by the first Worker: the young generation grew to 2 × 16 MiB.
    fs.writeFileSync(script, [
      `require(${JSON.stringify(path.join(root, 'reexec.js'))}).reexecWithOneArena(process.env, require(${JSON.stringify(path.join(root, 'heap-flags.js'))}).v8Flags());`,
      "const v8 = require('node:v8'); const { Worker } = require('node:worker_threads');",
      "new Worker('1', { eval: true, resourceLimits: { maxYoungGenerationSizeMb: 16 } }).on('exit', () => {",
      '  let keep = [];',
      "  for (let r = 0; r < 100; r++) { for (let i = 0; i < 20000; i++) keep.push({ a: i, b: 'x' + i }); if (keep.length > 200000) keep = []; }",
      "  const young = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');",
      '  process.stdout.write(JSON.stringify([process.execArgv, young.space_size]));',
      '});',
    ].join('\n'));
    const r = spawnSync(process.execPath, ['--no-warnings', script], { env: firstStartEnv(), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const [flags, young] = JSON.parse(r.stdout) as [string[], number];
    assert.deepEqual(flags, [...DEFAULT_V8_FLAGS.split(' '), '--no-warnings'], 'V8 flags first, then the node flags it had');
    assert.ok(young <= 2 * 1024 * 1024, `young generation ${young} bytes after a worker thread ran: more than 2 × 1 MiB`);
  });
});
