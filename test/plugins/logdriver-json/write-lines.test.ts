import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LogMessage } from '../../../core';
import { LineSplitter } from '../../../core/logging';
import { JsonFileLogger } from '../../../plugins/logdriver-json/json-file-logger';
import { CONTAINER_ID, logContext, makeTempDir } from './log-test-env';

/** Everything json-file must escape or split, in one payload. */
function payload(): Buffer {
  return Buffer.concat([
    Buffer.from('plain\n"quotes" \\back\\ <html> & tab\there\r\n'),
    Buffer.from([0x01, 0x1f, 0x7f, 0x0a]),
    Buffer.from([0xff, 0xc0, 0xaf, 0xed, 0xa0, 0x80, 0xe2, 0x82, 0x0a]), // invalid, overlong, surrogate, truncated
    Buffer.from('\u2028\u2029 é 😀\n'),
    Buffer.from('z'.repeat(40_000) + '\n'), // three pieces: 16 KiB, 16 KiB, the rest
    Buffer.from('\n'),
    Buffer.from('no newline at the end'),
  ]);
}

describe('logdriver json-file: writing the copier\'s LogLines', function () {
  this.timeout(60_000);
  let dir = '';
  beforeEach(() => { dir = makeTempDir(); });
  afterEach(() => { fs.rmSync(dir, { recursive: true, force: true }); });

  it('writes byte for byte what the same lines written as messages give (escapes, invalid UTF-8, 16 KiB pieces, a last line without newline)', async () => {
    const data = payload();
    const files: Buffer[] = [];
    for (const mode of ['messages', 'lines'] as const) {
      const sub = path.join(dir, mode);
      fs.mkdirSync(sub);
      const driver = await JsonFileLogger.create(logContext(sub));
      let t = 1_790_000_000_000_000_000n;
      const clock = (): bigint => (t += 1_001n);
      for (const source of ['stdout', 'stderr'] as const) {
        const msgs: LogMessage[] = [];
        const splitter = new LineSplitter(source, (m) => msgs.push(m), clock);
        for (let off = 0; off < data.length; off += 1000) { // chunks that cut lines and pieces anywhere
          const chunk = data.subarray(off, off + 1000);
          if (mode === 'messages') splitter.push(chunk);
          else { const lines = splitter.pushLines(chunk); if (lines) await driver.logLines(lines); }
        }
        if (mode === 'messages') { splitter.end(); await driver.logBatch(msgs); } else {
          const rest = splitter.endLines();
          if (rest) await driver.logLines(rest);
        }
      }
      await driver.close();
      files.push(fs.readFileSync(path.join(sub, `${CONTAINER_ID}-json.log`)));
    }
    assert.ok(files[0].length > 80_000);
    assert.equal(files[1].toString('latin1'), files[0].toString('latin1'));
    const records = files[1].toString().trim().split('\n').map((l) => JSON.parse(l) as { log: string });
    assert.deepEqual(records.slice(5, 8).map((r) => r.log.length), [16384, 16384, 40_000 - 32768 + 1], 'the long line in 16 KiB pieces');
    assert.equal(records[9].log, 'no newline at the end');
  });
});
