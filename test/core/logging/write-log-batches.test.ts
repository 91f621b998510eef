import * as assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { LogBatch, LogMessage } from '../../../core';
import { formatLogEntry, writeLogBatch } from '../../../core/logging';

/** A LogBatch holding `msgs` (what a reader's readBatches yields). */
function batchOf(msgs: LogMessage[]): LogBatch {
  const n = msgs.length;
  const b = { length: n, data: Buffer.concat(msgs.map((m) => m.line)), ends: new Uint32Array(n), sources: new Uint8Array(n), sec: new Float64Array(n), nsec: new Uint32Array(n) };
  let off = 0;
  msgs.forEach((m, i) => {
    off += m.line.length;
    b.ends[i] = off;
    b.sources[i] = m.source === 'stderr' ? 2 : 1;
    b.sec[i] = Number(m.timeNs! / 1_000_000_000n);
    b.nsec[i] = Number(m.timeNs! % 1_000_000_000n);
  });
  return b;
}

function sink(): { w: Writable; writes: Buffer[] } {
  const writes: Buffer[] = [];
  return { w: new Writable({ write(c: Buffer, _e, cb): void { writes.push(c); cb(); } }), writes };
}

describe('core/logging: docker logs output from batches', () => {
  const at = (line: string, ns: bigint, source: 'stdout' | 'stderr' = 'stdout'): LogMessage =>
    ({ line: Buffer.from(line), source, time: new Date(Number(ns / 1_000_000n)), timeNs: ns });
  const msgs = [
    at('a\n', 1_790_000_000_000_000_001n), at('b\n', 1_790_000_000_999_999_999n), at('err\n', 1_790_000_001_000_000_000n, 'stderr'),
    at('c\n', 1_790_000_001_050_000_000n), at('no newline', 1_790_000_002_000_000_123n),
  ];

  for (const timestamps of [false, true]) {
    it(`writes what one formatLogEntry per message would, one write per run of a stream${timestamps ? ', with --timestamps' : ''}`, () => {
      const out = sink();
      const err = sink();
      assert.equal(writeLogBatch(batchOf(msgs), { stdout: out.w, stderr: err.w }, { stdout: true, stderr: true, timestamps }), null);
      const want = (s: string): string => msgs.filter((m) => m.source === s).map((m) => formatLogEntry(m, { timestamps }).toString()).join('');
      assert.equal(Buffer.concat(out.writes).toString(), want('stdout'));
      assert.equal(Buffer.concat(err.writes).toString(), want('stderr'));
      assert.deepEqual([out.writes.length, err.writes.length], [2, 1]);
    });
  }

  it('leaves out a stream not asked for, and names the stream that asked to wait', () => {
    const out = sink();
    const full = new Writable({ highWaterMark: 1, write(_c, _e, cb): void { setImmediate(cb); } });
    assert.equal(writeLogBatch(batchOf(msgs), { stdout: out.w, stderr: full }, { stdout: false, stderr: true }), full);
    assert.equal(out.writes.length, 0);
  });
});
