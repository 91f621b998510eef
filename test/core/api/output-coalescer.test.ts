import * as assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { outputStreams } from '../../../core/api/job-stream';
import { COALESCE_BYTES } from '../../../core/api/output-coalescer';
import { demux } from '../../../core/api/stdcopy';

/** A destination that takes each write asynchronously, asking to wait after 64 KiB. */
function slowSink(): { dest: Writable; bytes: () => Buffer; writes: () => number } {
  const chunks: Buffer[] = [];
  const dest = new Writable({
    highWaterMark: 64 * 1024,
    write(chunk: Buffer, _enc, cb): void { chunks.push(chunk); setImmediate(cb); },
  });
  return { dest, bytes: () => Buffer.concat(chunks), writes: () => chunks.length };
}

describe('core/api: job output coalescing', () => {
  it('gathers consecutive writes of a stream into frames of at most 32 KiB, keeping bytes and order across streams', async () => {
    const { dest, bytes, writes } = slowSink();
    const io = outputStreams(dest, 'mux');
    const expected: Array<[number, string]> = [];
    let waits = 0;
    for (let i = 0; i < 20_000; i++) {
      const type = i % 1000 === 999 ? 2 : 1;
      const line = `${i}\n`;
      expected.push([type, line]);
      const w = type === 2 ? io.stderr : io.stdout;
      if (!w.write(line)) { waits++; await new Promise((r) => w.once('drain', r)); }
    }
    io.stdout.end();
    io.stderr.end();
    await Promise.all([new Promise((r) => io.stdout.once('finish', r)), new Promise((r) => io.stderr.once('finish', r))]);
    await new Promise((r) => dest.end(r)); // everything handed to dest went through
    const { frames, rest } = demux(bytes());
    assert.equal(rest.length, 0);
    assert.ok(frames.length < 200, `${frames.length} frames for 20,000 writes`);
    assert.ok(writes() <= frames.length);
    assert.ok(frames.every((f) => f.data.length <= COALESCE_BYTES), 'no frame over 32 KiB');
    // the same bytes, in the same order, with a frame boundary at every change of stream
    const got = frames.map((f) => [f.type, f.data.toString()]);
    const want: Array<[number, string]> = [];
    for (const [t, l] of expected) {
      const last = want.at(-1);
      if (last && last[0] === t) last[1] += l; else want.push([t, l]);
    }
    const merged: Array<[number, string]> = [];
    for (const [t, d] of got as Array<[number, string]>) {
      const last = merged.at(-1);
      if (last && last[0] === t) last[1] += d; else merged.push([t, d]);
    }
    assert.deepEqual(merged, want);
    assert.ok(waits > 0, 'the writer was asked to wait (backpressure reaches the job)');
  });

  it('sends what a follower wrote at the next turn of the event loop, and raw output unframed', async () => {
    const { dest, bytes } = slowSink();
    const io = outputStreams(dest, 'raw');
    io.stdout.write('one\n');
    io.stderr.write('two\n');
    io.stdout.write(Buffer.from('three\n'));
    assert.equal(bytes().length, 0, 'gathered until the next turn of the event loop');
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    assert.equal(bytes().toString(), 'one\ntwo\nthree\n');
    assert.equal(dest.writableEnded, false, 'the destination is not ended by the job streams');
  });
});
