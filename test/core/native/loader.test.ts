import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadAddon, nativeExecutable, nativeBuildDir } from '../../../core/native/loader';
import { isFailedPrecondition } from '../../../core/errors';

describe('core/native: loader', () => {
  const saved = process.env.BERTH_NATIVE_DIR;
  let empty: string;
  before(() => { empty = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-native-')); });
  after(() => {
    if (saved === undefined) delete process.env.BERTH_NATIVE_DIR; else process.env.BERTH_NATIVE_DIR = saved;
    fs.rmSync(empty, { recursive: true, force: true });
  });

  it('loads the built addon from native/build/Release', () => {
    delete process.env.BERTH_NATIVE_DIR;
    assert.ok(fs.existsSync(path.join(nativeBuildDir(), 'berth_exec.node')), 'npm run build:native should have built berth_exec.node');
    const addon = loadAddon<Record<string, unknown>>('berth_exec');
    assert.equal(typeof addon, 'object');
  });

  it('gives a clear error naming the file and the build command when an addon is missing', () => {
    process.env.BERTH_NATIVE_DIR = empty;
    assert.throws(() => loadAddon('berth_nothing'), (err: unknown) => {
      assert.ok(isFailedPrecondition(err));
      assert.equal((err as Error).message,
        `native addon berth_nothing is not built (${path.join(empty, 'berth_nothing.node')} missing): run \`npm run build:native\``);
      return true;
    });
    assert.throws(() => nativeExecutable('berth-shim'), /native executable berth-shim is not built .* run `npm run build:native`/);
  });
});
