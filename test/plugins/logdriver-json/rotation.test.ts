import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import type { LogDriver, LogMessage, LogReader } from '../../../core';
import { jsonFileLogDriverFactory } from '../../../plugins/logdriver-json/json-file-factory';
import { CONTAINER_ID, collect, logContext, makeTempDir, msgAt } from './log-test-env';

const T0 = 1_790_000_000_000_000_000n;

async function writeLines(driver: LogDriver, from: number, to: number): Promise<void> {
  for (let i = from; i <= to; i++) await driver.log(msgAt(`line ${i}\n`, T0 + BigInt(i) * 1_000_000n));
}

function lineNumbers(file: Buffer): number[] {
  return file.toString('utf8').split('\n').filter(Boolean).map((r) => Number((JSON.parse(r) as { log: string }).log.slice(5, -1)));
}

const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i);

describe('logdriver json-file: rotation', () => {
  let dir = '';
  let log = '';
  beforeEach(() => { dir = makeTempDir(); log = `${dir}/${CONTAINER_ID}-json.log`; });
  afterEach(() => { fs.rmSync(dir, { recursive: true, force: true }); });

  it('rotates at max-size keeping max-file files, and reads them back in order', async () => {
    const driver = await jsonFileLogDriverFactory.create(logContext(dir, { 'max-size': '1k', 'max-file': '3' }));
    await writeLines(driver, 1, 200);
    await driver.close();
    assert.deepEqual(fs.readdirSync(dir).sort(), [`${CONTAINER_ID}-json.log`, `${CONTAINER_ID}-json.log.1`, `${CONTAINER_ID}-json.log.2`]);
    const files = [`${log}.2`, `${log}.1`, log].map((f) => fs.readFileSync(f));
    const recordSize = 80;
    for (const f of files.slice(0, 2)) {
      assert.ok(f.length >= 1000 && f.length < 1000 + recordSize, `rotated file of ${f.length} bytes`);
    }
    const nums = files.flatMap(lineNumbers);
    assert.deepEqual(nums, range(nums[0], 200), 'contiguous, ending with the last line');
    assert.ok(nums[0] > 1, 'old lines were dropped');

    const reader = await jsonFileLogDriverFactory.create(logContext(dir, { 'max-size': '1k', 'max-file': '3' }));
    const back = await collect<LogMessage>(reader.read!({ follow: false }));
    assert.deepEqual(back.map((m) => m.line.toString()), nums.map((n) => `line ${n}\n`));
    assert.equal(back[0].timeNs, T0 + BigInt(nums[0]) * 1_000_000n);
    await reader.close();
  });

  it('with max-file 1 truncates in place', async () => {
    const driver = await jsonFileLogDriverFactory.create(logContext(dir, { 'max-size': '1k' }));
    await writeLines(driver, 1, 100);
    await driver.close();
    assert.deepEqual(fs.readdirSync(dir), [`${CONTAINER_ID}-json.log`]);
    const nums = lineNumbers(fs.readFileSync(log));
    assert.ok(fs.statSync(log).size < 1100);
    assert.deepEqual(nums, range(nums[0], 100));
  });

  it('gzips rotated files (with Docker\'s LastTime header) and reads them back in order', async () => {
    const opts = { 'max-size': '2k', 'max-file': '4', compress: 'true' };
    const driver = await jsonFileLogDriverFactory.create(logContext(dir, opts));
    await writeLines(driver, 1, 300);
    await driver.close();
    assert.deepEqual(fs.readdirSync(dir).sort(), [
      `${CONTAINER_ID}-json.log`, `${CONTAINER_ID}-json.log.1.gz`, `${CONTAINER_ID}-json.log.2.gz`, `${CONTAINER_ID}-json.log.3.gz`,
    ]);
    const parts = [`${log}.3.gz`, `${log}.2.gz`, `${log}.1.gz`].map((f) => {
      const gz = fs.readFileSync(f);
      assert.equal(gz[3] & 0x04, 0x04, 'FEXTRA set');
      assert.equal(gz.subarray(4, 10).toString('hex'), '00000000' + '00ff', 'mtime 0, XFL 0, OS 255 as Go writes');
      const extra = JSON.parse(gz.subarray(12, 12 + gz.readUInt16LE(10)).toString()) as { lastTime: string };
      const plain = zlib.gunzipSync(gz);
      const lastRec = JSON.parse(plain.toString().trimEnd().split('\n').pop() as string) as { time: string };
      assert.equal(extra.lastTime, lastRec.time, 'lastTime is the time of the last record');
      return plain;
    });
    const nums = [...parts, fs.readFileSync(log)].flatMap(lineNumbers);
    assert.deepEqual(nums, range(nums[0], 300));

    const reader = (await jsonFileLogDriverFactory.create(logContext(dir, opts))) as LogDriver & LogReader;
    const back = await collect<LogMessage>(reader.read({ follow: false }));
    assert.deepEqual(back.map((m) => m.line.toString()), nums.map((n) => `line ${n}\n`));
    const since = new Date(Number((T0 + BigInt(nums.at(-5) as number) * 1_000_000n) / 1_000_000n));
    const recent = await collect<LogMessage>(reader.read({ follow: false, since }));
    assert.deepEqual(recent.map((m) => m.line.toString()), range(296, 300).map((n) => `line ${n}\n`));
    const until = new Date(Number((T0 + BigInt(nums[2]) * 1_000_000n) / 1_000_000n));
    const early = await collect<LogMessage>(reader.read({ follow: false, until }));
    assert.deepEqual(early.map((m) => m.line.toString()), nums.slice(0, 3).map((n) => `line ${n}\n`), 'until stops after the time');
    const tail = await collect<LogMessage>(reader.read({ follow: false, tail: nums.length - 3 }));
    assert.deepEqual(tail.map((m) => m.line.toString()), nums.slice(3).map((n) => `line ${n}\n`), 'tail reaches into the oldest compressed file');
    await reader.close();
  });

  it('continues an existing file when created again (daemon restart)', async () => {
    const a = await jsonFileLogDriverFactory.create(logContext(dir));
    await writeLines(a, 1, 10);
    await a.close();
    const b = await jsonFileLogDriverFactory.create(logContext(dir));
    await writeLines(b, 11, 20);
    await b.close();
    assert.deepEqual(lineNumbers(fs.readFileSync(log)), range(1, 20));
  });
});
