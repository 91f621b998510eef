import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { atomicWrite, atomicWriteImpl, atomicWriteJson, atomicWriteLight } from '../../../core/fs/atomic-write';

/** Runs `code` (a function body using `aw`, the module) in a child with `env`; returns its stdout. */
function inChild(code: string, env: Record<string, string>): string {
  const mod = require.resolve('../../../core/fs/atomic-write');
  const r = spawnSync(process.execPath, ['-e', `const aw = require(${JSON.stringify(mod)}); (async () => { ${code} })().catch((e) => { console.log('ERR', e.code, e.syscall); });`],
    { env: { ...process.env, ...env }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

describe('core/fs atomic writes', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-aw-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('uses the addon\'s one pool job when it is built, node\'s fs steps with BERTH_NATIVE_WRITES=0', function () {
    if (atomicWriteImpl() !== 'native') { console.log('skip: the berth_exec addon is not built (npm run build:native)'); this.skip(); }
    assert.equal(inChild('console.log(aw.atomicWriteImpl())', {}), 'native');
    assert.equal(inChild('console.log(aw.atomicWriteImpl())', { BERTH_NATIVE_WRITES: '0' }), 'node');
  });

  for (const impl of ['native', 'node'] as const) {
    const env: Record<string, string> = impl === 'node' ? { BERTH_NATIVE_WRITES: '0' } : {};
    const needAddon = (t: Mocha.Context): void => {
      if (impl === 'native' && atomicWriteImpl() !== 'native') { console.log('skip: the berth_exec addon is not built (npm run build:native)'); t.skip(); }
    };
    it(`${impl}: writes, replaces and sets the mode; leaves no temp file`, function () {
      needAddon(this);
      const f = path.join(dir, `state-${impl}.json`);
      const out = inChild(`
        await aw.atomicWriteJson(${JSON.stringify(f)}, { a: 1 }, 0o640);
        const first = require('fs').readFileSync(${JSON.stringify(f)}, 'utf8');
        await aw.atomicWriteLight(${JSON.stringify(f)}, 'second', { sync: false });
        await aw.atomicWrite(${JSON.stringify(f)}, Buffer.from('third'));
        console.log(JSON.stringify([first, require('fs').readFileSync(${JSON.stringify(f)}, 'utf8'), aw.atomicWriteImpl()]));`, env);
      assert.deepEqual(JSON.parse(out), ['{\n  "a": 1\n}\n', 'third', impl]);
      assert.equal(fs.statSync(f).mode & 0o777, 0o600, 'the last write\'s mode (0600 by default)');
      assert.deepEqual(fs.readdirSync(dir), [`state-${impl}.json`]);
    });

    it(`${impl}: a failed write names the step, keeps the old file and removes its temp file`, function () {
      needAddon(this);
      const missing = path.join(dir, 'nosuch', 'f');
      assert.equal(inChild(`await aw.atomicWrite(${JSON.stringify(missing)}, 'x'); console.log('written');`, env), 'ERR ENOENT open');
      // rename onto a non-empty directory fails after the temp file was written and fsynced
      const target = path.join(dir, 'target');
      fs.mkdirSync(target);
      fs.writeFileSync(path.join(target, 'keep'), 'old');
      const err = inChild(`await aw.atomicWriteLight(${JSON.stringify(target)}, 'new', { sync: true }); console.log('written');`, env);
      assert.match(err, /^ERR E(ISDIR|NOTEMPTY|EXIST) rename$/);
      assert.equal(fs.readFileSync(path.join(target, 'keep'), 'utf8'), 'old');
      assert.deepEqual(fs.readdirSync(dir).sort(), ['target'], 'no temp file left');
    });
  }

  for (const impl of ['native', 'node'] as const) {
    it(`${impl}: atomicWriteAll writes several files in one go; a failure stops it and leaves no temp file`, function () {
      if (impl === 'native' && atomicWriteImpl() !== 'native') { console.log('skip: the berth_exec addon is not built (npm run build:native)'); this.skip(); }
      const env: Record<string, string> = impl === 'node' ? { BERTH_NATIVE_WRITES: '0' } : {};
      const [a, b, c] = ['a', 'b', 'c'].map((n) => path.join(dir, n));
      fs.writeFileSync(c, 'old c');
      assert.equal(inChild(`
        await aw.atomicWriteAll([{ file: ${JSON.stringify(a)}, data: 'A', sync: true }, { file: ${JSON.stringify(b)}, data: Buffer.from('B'), mode: 0o644, sync: false }, { file: ${JSON.stringify(c)}, data: 'C', sync: true }]);
        console.log('ok');`, env), 'ok');
      assert.deepEqual([a, b, c].map((f) => fs.readFileSync(f, 'utf8')), ['A', 'B', 'C']);
      assert.equal(fs.statSync(b).mode & 0o777, 0o644);
      const missing = path.join(dir, 'nosuch', 'x');
      assert.equal(inChild(`await aw.atomicWriteAll([{ file: ${JSON.stringify(a)}, data: 'A2', sync: true }, { file: ${JSON.stringify(missing)}, data: 'X', sync: true }]); console.log('written');`, env), 'ERR ENOENT open');
      assert.deepEqual(fs.readdirSync(dir).sort(), ['a', 'b', 'c'], 'no temp file left');
    });
  }

  it('in this process: the exported functions write what they are given', async () => {
    const f = path.join(dir, 'x');
    await atomicWrite(f, 'one');
    await atomicWriteLight(f, 'two', { sync: true });
    assert.equal(fs.readFileSync(f, 'utf8'), 'two');
    await atomicWriteJson(f, [1]);
    assert.deepEqual(JSON.parse(fs.readFileSync(f, 'utf8')), [1]);
  });
});
