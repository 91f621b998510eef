import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { LogBatch, LogMessage } from '../../../core';
import { JsonFileLogger } from '../../../plugins/logdriver-json/json-file-logger';
import { batchMessage } from '../../../plugins/logdriver-json/log-file-reader';
import { CONTAINER_ID, collect, logContext, makeTempDir, msgAt } from './log-test-env';

const T0 = 1_790_000_000_123_456_789n;

/** The messages of a readBatches stream, one LogMessage each. */
async function batchMessages(stream: NodeJS.ReadableStream): Promise<LogMessage[]> {
  const out: LogMessage[] = [];
  for (const b of await collect<LogBatch>(stream)) for (let i = 0; i < b.length; i++) out.push(batchMessage(b, i));
  return out;
}

const view = (ms: LogMessage[]): unknown[] => ms.map((m) => [m.source, m.line.toString('latin1'), String(m.timeNs), m.attrs ?? null]);

describe('logdriver json-file: reading in batches (no object per line)', function () {
  this.timeout(60_000);
  let dir = '';
  beforeEach(() => { dir = makeTempDir(); });
  afterEach(() => { fs.rmSync(dir, { recursive: true, force: true }); });

  it('gives the same messages as read(): escapes, both streams, joined partials, attrs, foreign records, since/until and tail', async () => {
    const driver = await JsonFileLogger.create(logContext(dir, { labels: 'team' }, { containerLabels: { team: 'logs' } }));
    const big = 'y'.repeat(20_000);
    const msgs: LogMessage[] = [
      msgAt('plain\n', T0),
      msgAt('tab\there "quoted" \\ back <html> & \u2028 é 😀\n', T0 + 1n, 'stderr'),
      msgAt(Buffer.from([0xff, 0xfe, 0x41, 0x0a]), T0 + 2n),
      { ...msgAt(big.slice(0, 16384), T0 + 3n), partial: { id: 'p', ordinal: 1, last: false } },
      msgAt('between\n', T0 + 4n, 'stderr'),
      { ...msgAt(`${big.slice(16384)}\n`, T0 + 3n), partial: { id: 'p', ordinal: 2, last: true } },
      msgAt('\u0001ctl\r\n', 1_790_000_001_000_000_000n),
    ];
    for (const m of msgs) await driver.log(m);
    for (let i = 0; i < 5000; i++) await driver.log(msgAt(`n${i}\n`, 1_790_000_002_000_000_000n + BigInt(i) * 1000n, i % 3 ? 'stdout' : 'stderr'));
    await driver.flush();
    // A record in another layout (key order), as another writer may leave: read through JSON.parse.
    fs.appendFileSync(`${dir}/${CONTAINER_ID}-json.log`, '{"time":"2026-09-21T10:00:00.5Z","stream":"stdout","log":"foreign\\n"}\n');

    const all = await collect<LogMessage>(driver.read({ follow: false }));
    assert.equal(all.length, 6 + 5000 + 1);
    assert.deepEqual(all.slice(3, 5).map((m) => m.line.length), [8, 20_001], 'the 20 KB line is joined, delivered when its last piece is read');
    assert.deepEqual(all[0].attrs, { team: 'logs' });
    assert.deepEqual(all.slice(0, 2).map((m) => m.line), msgs.slice(0, 2).map((m) => m.line), 'bytes back as written (escapes undone)');
    assert.deepEqual([all[2].line, all[5].line.toString(), all[5].timeNs], [Buffer.from([0xef, 0xbf, 0xbd, 0xef, 0xbf, 0xbd, 0x41, 0x0a]), '\u0001ctl\r\n', 1_790_000_001_000_000_000n]);
    assert.deepEqual([all.at(-1)!.line.toString(), all.at(-1)!.timeNs], ['foreign\n', BigInt(Date.UTC(2026, 8, 21, 10)) * 1_000_000n + 500_000_000n]);
    assert.deepEqual(view(await batchMessages(driver.readBatches({ follow: false }))), view(all));

    for (const opts of [
      { since: new Date(1_790_000_001_000), until: new Date(1_790_000_002_003) },
      { tail: 7 },
      { tail: 0 },
    ]) {
      const want = view(await collect<LogMessage>(driver.read({ follow: false, ...opts })));
      assert.deepEqual(view(await batchMessages(driver.readBatches({ follow: false, ...opts }))), want, JSON.stringify(opts));
    }
    await driver.close();
  });

  it('follows in batches until the writing instance closes', async () => {
    const driver = await JsonFileLogger.create(logContext(dir));
    await driver.log(msgAt('first\n', T0));
    await driver.flush();
    const got = batchMessages(driver.readBatches({ follow: true }));
    for (let i = 0; i < 100; i++) await driver.log(msgAt(`more ${i}\n`, T0 + BigInt(i + 1)));
    await driver.close();
    assert.deepEqual((await got).map((m) => m.line.toString()), ['first\n', ...Array.from({ length: 100 }, (_, i) => `more ${i}\n`)]);
  });
});
