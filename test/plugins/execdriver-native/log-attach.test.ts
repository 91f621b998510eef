import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import type { ProcessIO, RunningContainer } from '../../../core';
import { ShimClient } from '../../../plugins/execdriver-native/shim-client';
import { newHarness, requireKernel, type Harness } from './harness';

/** Reads from `s` until `want` bytes arrived, then pauses it (the rest stays unread). */
function readBytes(s: NodeJS.ReadableStream, want: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let acc = Buffer.alloc(0);
    const onData = (d: Buffer): void => {
      acc = Buffer.concat([acc, d]);
      if (acc.length >= want) { s.off('data', onData); s.pause(); resolve(acc); }
    };
    s.on('data', onData);
    s.once('end', () => reject(new Error(`stream ended after ${acc.length} bytes`)));
  });
}

function collectAll(io: ProcessIO): Promise<[string, string]> {
  const one = (s: NodeJS.ReadableStream | null): Promise<string> => new Promise((resolve) => {
    if (!s) { resolve(''); return; }
    let acc = '';
    s.on('data', (d: Buffer) => { acc += d.toString('utf8'); });
    s.on('end', () => resolve(acc));
  });
  return Promise.all([one(io.stdout), one(io.stderr)]);
}

describe('execdriver-native: log attach (acknowledged output, resume after a crash)', function () {
  this.timeout(60000);
  let h: Harness;
  before(function () { requireKernel(this); h = newHarness(); });
  afterEach(async () => { await h?.cleanup(); });
  after(async () => { await h?.destroy(); });

  const script = 'i=0; while [ $i -lt 3000 ]; do i=$((i+1)); echo "o$i"; echo "e$i" >&2; done';
  const expected = (p: string): string => Array.from({ length: 3000 }, (_, i) => `${p}${i + 1}\n`).join('');

  it('resends everything after the last acknowledgement to the next log attach, from the offsets it asks for', async () => {
    const spec = h.spec(['sh', '-c', script]);
    const c: RunningContainer = await h.start(spec);
    const first = await c.attach({ log: { mark: '1:1' } });
    assert.equal(typeof first.ack, 'function', 'the native driver acknowledges');
    const out1 = await readBytes(first.stdout, 2000);
    // acknowledge only 1000 bytes of stdout and nothing of stderr, then "crash" (drop the connection)
    first.ack!({ stdout: 1000, stderr: 0, mark: '5:6' });
    const shim = new ShimClient(path.join(spec.stateDir, 'shim.sock'));
    while (await shim.request('ackpos') !== 'ok 1000 0 5:6') await new Promise((r) => setTimeout(r, 10));
    first.stdout.destroy(); first.stderr!.destroy();
    (first.stdin as NodeJS.WritableStream | null)?.end();
    // the successor learns the checkpoint and says where its store ends (1500 bytes of stdout, 0 of stderr)
    let acked: unknown;
    const second = await c.attach({ log: { mark: '9:9', resumeFrom: async (a) => { acked = a; return { stdout: 1500, stderr: 0, mark: '7:7' }; } } });
    assert.deepEqual(acked, { stdout: 1000, stderr: 0, mark: '5:6' });
    const [out2, err2] = await collectAll(second);
    assert.equal((await c.wait()).exitCode, 0);
    assert.equal(out1.subarray(0, 1500).toString() + out2, expected('o'), 'stdout from byte 1500 on, nothing lost or repeated');
    assert.equal(err2, expected('e'), 'all of stderr (none was acknowledged)');
  });

  it('without resumeFrom starts at the oldest kept byte, and a plain attach still works alongside', async () => {
    const spec = h.spec(['sh', '-c', 'echo one; echo two >&2; read x; echo three']);
    spec.process.openStdin = true;
    const c = await h.start(spec);
    const io = await c.attach({ log: { mark: '1:1' } });
    const plain = await c.attach();
    const both = Promise.all([collectAll(io), collectAll(plain)]);
    io.stdin!.write('go\n'); // "three" comes after both attached
    const [[out, err], [pout]] = await both;
    assert.equal(out, 'one\nthree\n');
    assert.equal(err, 'two\n');
    assert.match(pout, /three\n$/);
    assert.equal((await c.wait()).exitCode, 0);
  });
});
