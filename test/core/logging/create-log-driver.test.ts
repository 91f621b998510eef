import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isInvalidArgument, NotFoundError, type LogContext } from '../../../core';
import { createLogDriver, formatLogEntry, logPathOf, noneLogDriverFactory, validateLogConfig, type LogDriverResolver } from '../../../core/logging';
import { jsonFileLogDriverFactory } from '../../../plugins/logdriver-json/json-file-factory';
import jsonPlugin from '../../../plugins/logdriver-json';

/** A registry as the kernel's: filled by running the real plugin's init. */
function registry(): LogDriverResolver {
  const provided = new Map<string, unknown>();
  const ctx = { provide: (n: string, v: unknown) => provided.set(n, v) };
  void jsonPlugin.init(ctx as never);
  return {
    has: (n) => provided.has(n),
    resolve: <T>(n: string): T => {
      if (!provided.has(n)) throw new NotFoundError(`nothing provides ${n}`);
      return provided.get(n) as T;
    },
  };
}

const ctxFor = (dir: string): LogContext => ({
  containerId: 'a'.repeat(64), containerName: '/x', imageName: 'busybox', imageId: 'sha256:' + 'b'.repeat(64),
  containerLabels: {}, containerEnv: [], containerDir: dir, options: {},
});

describe('core/logging: choosing a log driver', () => {
  let dir = '';
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-logsel-')); });
  afterEach(() => { fs.rmSync(dir, { recursive: true, force: true }); });

  it('the plugin provides logdriver:json-file; createLogDriver picks it and writes there', async () => {
    const reg = registry();
    assert.equal(reg.resolve('logdriver:json-file'), jsonFileLogDriverFactory);
    const driver = await createLogDriver({ plugins: reg }, ctxFor(dir), 'json-file', { 'max-size': '1m' });
    await driver.log({ line: Buffer.from('hi\n'), source: 'stdout', time: new Date() });
    await driver.close();
    const file = logPathOf(reg, 'json-file', ctxFor(dir));
    assert.equal(file, path.join(dir, `${'a'.repeat(64)}-json.log`));
    assert.match(fs.readFileSync(file, 'utf8'), /^\{"log":"hi\\n","stream":"stdout","time":"\d{4}-\d\d-\d\dT[\d:.]+Z"\}\n$/);
  });

  it('an unknown driver is a clear InvalidArgumentError', async () => {
    await assert.rejects(createLogDriver(registry(), ctxFor(dir), 'syslogx', {}),
      (e: unknown) => isInvalidArgument(e) && /logger: no log driver named 'syslogx' is registered/.test((e as Error).message));
  });

  it('validates daemon-wide and driver options, naming the bad one', () => {
    const reg = registry();
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ mode: 'sometimes' }, /logging mode not supported: sometimes/],
      [{ 'max-buffer-size': '1m' }, /max-buffer-size option is only supported with 'mode=non-blocking'/],
      [{ mode: 'non-blocking', 'max-buffer-size': 'lots' }, /max-buffer-size/],
      [{ 'max-szie': '1' }, /unknown log opt 'max-szie'/],
    ];
    for (const [opts, re] of cases) {
      assert.throws(() => validateLogConfig(reg, 'json-file', opts), (e: unknown) => isInvalidArgument(e) && re.test((e as Error).message));
    }
    assert.deepEqual(validateLogConfig(reg, 'json-file', { mode: 'non-blocking', 'max-buffer-size': '4m' }), { mode: 'non-blocking', maxBufferSize: 4 * 1024 * 1024 });
    assert.deepEqual(validateLogConfig(reg, 'json-file', {}), { mode: 'blocking', maxBufferSize: 1_000_000 });
  });

  it('none is always there: discards, cannot be read, has no log path', async () => {
    const driver = await createLogDriver(registry(), ctxFor(dir), 'none', { whatever: 'x' });
    await driver.log({ line: Buffer.from('gone\n'), source: 'stdout', time: new Date() });
    await driver.close();
    assert.equal(driver.read, undefined);
    assert.equal(noneLogDriverFactory.logPath!(ctxFor(dir)), '');
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it('formats docker logs lines with --timestamps and --details', () => {
    const msg = { line: Buffer.from('hi\n'), source: 'stdout' as const, time: new Date(0), timeNs: 1_790_000_000_120_000_000n, attrs: { tag: 'a b', env: 'x=y' } };
    assert.equal(formatLogEntry(msg, {}).toString(), 'hi\n');
    assert.equal(formatLogEntry(msg, { timestamps: true }).toString(), '2026-09-21T14:13:20.120000000Z hi\n');
    assert.equal(formatLogEntry(msg, { details: true }).toString(), 'env=x%3Dy,tag=a+b hi\n');
  });
});
