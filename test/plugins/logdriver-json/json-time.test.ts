import * as assert from 'node:assert/strict';
import { formatRfc3339Nano, writeRfc3339Nano } from '../../../plugins/logdriver-json/json-time';
import { recordTimeNs } from '../../../plugins/logdriver-json/record-decoder';
import { scanRecord } from '../../../plugins/logdriver-json/record-scanner';

/** Go's RFC3339Nano, spelled out independently: ISO seconds, fraction without trailing zeros. */
function reference(ns: bigint): string {
  const sec = ns / 1_000_000_000n;
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return new Date(Number(sec) * 1000).toISOString().slice(0, 19) + (frac ? `.${frac}` : '') + 'Z';
}

describe('logdriver json-file: RFC3339Nano times', () => {
  it('formats (string and in-buffer) and parses back every kind of fraction, across second boundaries both ways', () => {
    const base = 1_790_000_000_000_000_000n;
    const values = [0n, 1n, 10n, 100_000_000n, 120_000_000n, 999_999_999n, 1_000_000_000n, 1_500_000_000n, 999_999_999n, 86_400_000_000_001n, 7n]
      .map((d) => base + d);
    let seed = 42;
    for (let i = 0; i < 2000; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      values.push(BigInt(seed) * 1_000_003n + BigInt(i % 3 === 0 ? 0 : seed % 1000) * 1_000_000_000n);
    }
    const out = { buf: Buffer.alloc(64), len: 0 };
    for (const ns of values) {
      const want = reference(ns);
      assert.equal(formatRfc3339Nano(ns), want);
      out.len = 0;
      writeRfc3339Nano(out, ns);
      assert.equal(out.buf.toString('latin1', 0, out.len), want);
      assert.equal(recordTimeNs(want), ns);
      assert.equal(scanRecord(Buffer.from(`{"log":"x\\n","stream":"stdout","time":"${want}"}\n`))?.timeNs, ns, want);
    }
    assert.equal(recordTimeNs('2026-01-02T04:04:05.5+01:00'), BigInt(Date.UTC(2026, 0, 2, 3, 4, 5)) * 1_000_000n + 500_000_000n);
  });
});
