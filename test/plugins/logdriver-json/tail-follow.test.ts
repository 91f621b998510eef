import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { LogMessage } from '../../../core';
import { JsonFileLogger } from '../../../plugins/logdriver-json/json-file-logger';
import { jsonFileLogDriverFactory } from '../../../plugins/logdriver-json/json-file-factory';
import { openFile, type FileOpener } from '../../../plugins/logdriver-json/random-access-file';
import { CONTAINER_ID, collect, logContext, makeTempDir, msgAt } from './log-test-env';

const T0 = 1_790_000_000_000_000_000n;

/** An opener that counts every byte read through the files it opens. */
function countingOpener(): { opener: FileOpener; bytesRead: () => number } {
  let total = 0;
  const opener: FileOpener = async (p) => {
    const f = await openFile(p);
    return { ...f, read: async (pos, len) => { const b = await f.read(pos, len); total += b.length; return b; } };
  };
  return { opener, bytesRead: () => total };
}

describe('logdriver json-file: tail and follow', function () {
  this.timeout(120_000);
  let dir = '';
  beforeEach(() => { dir = makeTempDir(); });
  afterEach(() => { fs.rmSync(dir, { recursive: true, force: true }); });

  it('tail 10 of a 1,000,000-line log returns the last 10 lines reading only the end of the file', async () => {
    const { opener, bytesRead } = countingOpener();
    const driver = await JsonFileLogger.create(logContext(dir), opener);
    for (let i = 1; i <= 1_000_000; i++) {
      const p = driver.log(msgAt(`${i}\n`, T0 + BigInt(i)));
      if (i % 4096 === 0) await p;
    }
    await driver.flush();
    const size = fs.statSync(`${dir}/${CONTAINER_ID}-json.log`).size;
    assert.ok(size > 60_000_000, `log is ${size} bytes`);

    const before = bytesRead();
    const got = await collect<LogMessage>(driver.read({ follow: false, tail: 10 }));
    const read = bytesRead() - before;
    assert.deepEqual(got.map((m) => m.line.toString()), Array.from({ length: 10 }, (_, i) => `${999_991 + i}\n`));
    assert.equal(got[0].timeNs, T0 + 999_991n);
    assert.ok(read <= 2 * 64 * 1024, `tail read ${read} bytes of a ${size}-byte file`);

    // Reading everything streams: the first message comes out after one block, not after the whole file.
    const start = bytesRead();
    const all = driver.read({ follow: false });
    const firstAt = await new Promise<number>((resolve, reject) => {
      all.once('data', () => resolve(bytesRead() - start));
      all.once('error', reject);
    });
    all.destroy();
    assert.ok(firstAt <= 2 * 1024 * 1024, `${firstAt} bytes read before the first message`);
    await driver.close();
  });

  it('a follower that starts before the first line, or after the close, still ends when the instance closes', async () => {
    for (const batches of [false, true]) {
      const driver = await JsonFileLogger.create(logContext(dir));
      // `docker logs -f` right after the start of a container that prints later: no writer is open yet
      const early = batches ? driver.readBatches({ follow: true }) : driver.read({ follow: true });
      const got = collect<unknown>(early);
      await new Promise((r) => setTimeout(r, 50));
      await driver.log(msgAt('late line\n', T0 + 1n));
      await driver.close();
      const items = await got; // resolves only once the follower ended
      if (batches) assert.ok(items.length >= 1, 'the batch with the late line came through');
      else assert.deepEqual((items as LogMessage[]).map((m) => m.line.toString()), ['late line\n'], 'the line written after the follower started came through');
      // and one that starts once the instance closed reads what is there and ends
      const after = await collect<LogMessage>(driver.read({ follow: true }));
      assert.deepEqual(after.map((m) => m.line.toString()), ['late line\n']);
      fs.rmSync(`${dir}/${CONTAINER_ID}-json.log`, { force: true });
    }
  });

  it('follow continues across rotations (plain and compressed) without losing or repeating a line', async () => {
    for (const compress of ['false', 'true']) {
      fs.rmSync(dir, { recursive: true, force: true });
      fs.mkdirSync(dir);
      const opts = { 'max-size': '2k', 'max-file': '3', compress };
      const driver = await jsonFileLogDriverFactory.create(logContext(dir, opts));
      for (let i = 1; i <= 20; i++) await driver.log(msgAt(`early ${i}\n`, T0 + BigInt(i)));
      await (driver as JsonFileLogger).flush();
      const reader = driver.read!({ follow: true, tail: 5 });
      const seen: string[] = [];
      reader.on('data', (m: LogMessage) => seen.push(m.line.toString()));
      const ended = new Promise<void>((resolve, reject) => { reader.once('end', resolve); reader.once('error', reject); });
      while (seen.length < 5) await new Promise((r) => setTimeout(r, 5)); // the tail is out: now write while it follows
      // Write in bursts, letting the follower run between them, so many rotations happen while it follows.
      for (let burst = 0; burst < 20; burst++) {
        for (let j = 1; j <= 25; j++) {
          const n = burst * 25 + j;
          await driver.log(msgAt(`late ${n}\n`, T0 + 1000n + BigInt(n)));
        }
        await (driver as JsonFileLogger).flush();
        await new Promise((r) => setTimeout(r, 2));
      }
      await driver.close();
      await ended;
      const expected = [...Array.from({ length: 5 }, (_, i) => `early ${16 + i}\n`), ...Array.from({ length: 500 }, (_, i) => `late ${i + 1}\n`)];
      assert.deepEqual(seen, expected, `compress=${compress}`);
      assert.ok(fs.readdirSync(dir).length === 3, 'rotation happened');
    }
  });

  it('follow from a second instance (no shared writer) sees growth and rotation by polling', async () => {
    const opts = { 'max-size': '1k', 'max-file': '5' };
    const writer = await jsonFileLogDriverFactory.create(logContext(dir, opts));
    const other = await jsonFileLogDriverFactory.create(logContext(dir, opts));
    const reader = other.read!({ follow: true });
    const seen: string[] = [];
    reader.on('data', (m: LogMessage) => seen.push(m.line.toString()));
    try {
      for (let burst = 0; burst < 3; burst++) {
        for (let j = 1; j <= 5; j++) await writer.log(msgAt(`n ${burst * 5 + j}\n`, T0 + BigInt(burst * 5 + j)));
        await (writer as JsonFileLogger).flush();
        const want = (burst + 1) * 5;
        for (let k = 0; k < 100 && seen.length < want; k++) await new Promise((r) => setTimeout(r, 50));
      }
      assert.deepEqual(seen, Array.from({ length: 15 }, (_, i) => `n ${i + 1}\n`));
    } finally {
      reader.destroy();
      await writer.close();
      await other.close();
    }
  });

  it('splits a 20 KiB line into Docker partial records and joins them on read', async () => {
    const driver = await jsonFileLogDriverFactory.create(logContext(dir));
    const { LineSplitter } = await import('../../../core/logging');
    const big = Buffer.alloc(20 * 1024, 'x');
    const msgs: LogMessage[] = [];
    const splitter = new LineSplitter('stdout', (m) => msgs.push(m), () => T0);
    splitter.push(Buffer.concat([Buffer.from('before\n'), big.subarray(0, 5000)]));
    splitter.push(Buffer.concat([big.subarray(5000), Buffer.from('\nafter\n')]));
    splitter.end();
    assert.deepEqual(msgs.map((m) => m.line.length), [7, 16384, 20 * 1024 - 16384 + 1, 6]);
    assert.deepEqual(msgs[1].partial && { o: msgs[1].partial.ordinal, l: msgs[1].partial.last }, { o: 1, l: false });
    assert.deepEqual(msgs[2].partial && { o: msgs[2].partial.ordinal, l: msgs[2].partial.last }, { o: 2, l: true });
    assert.equal(msgs[1].partial?.id, msgs[2].partial?.id);
    // An interleaved stderr line must not break the join.
    await driver.log(msgs[0]);
    await driver.log(msgs[1]);
    await driver.log(msgAt('err between\n', T0, 'stderr'));
    await driver.log(msgs[2]);
    await driver.log(msgs[3]);
    await driver.close();

    const records = fs.readFileSync(`${dir}/${CONTAINER_ID}-json.log`, 'utf8').trimEnd().split('\n').map((r) => JSON.parse(r) as { log: string });
    assert.deepEqual(records.map((r) => r.log.length), [7, 16384, 12, 20 * 1024 - 16384 + 1, 6]);
    assert.ok(!records[1].log.endsWith('\n'), 'the first piece has no newline, as in Docker');

    const reader = await jsonFileLogDriverFactory.create(logContext(dir));
    const back = await collect<LogMessage>(reader.read!({ follow: false }));
    assert.deepEqual(back.map((m) => [m.source, m.line.length]), [['stdout', 7], ['stderr', 12], ['stdout', 20 * 1024 + 1], ['stdout', 6]]);
    assert.ok(back[2].line.equals(Buffer.concat([big, Buffer.from('\n')])));
    const tail = await collect<LogMessage>(reader.read!({ follow: false, tail: 2 }));
    assert.deepEqual(tail.map((m) => m.line.length), [20 * 1024 + 1, 6], 'tail counts the joined line once');
    await reader.close();
  });
});
