/**
 * BlobFollower: reading a blob's ingest file while the download appends to
 * it, ending only once the blob verified, failing when the download fails.
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { BlobFollower } from '../../../plugins/registry/blob-follow';

function collect(r: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    r.on('data', (c: Buffer) => chunks.push(c));
    r.on('end', () => resolve(Buffer.concat(chunks)));
    r.on('error', reject);
  });
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('registry.distribution BlobFollower', () => {
  let tmp = '';
  beforeEach(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-follow-')); });
  afterEach(() => { fs.rmSync(tmp, { recursive: true, force: true }); });

  it('streams the bytes as they are written, across the rename into place, and ends only when verified', async () => {
    const data = randomBytes(3 << 20);
    const ingest = path.join(tmp, 'ingest');
    const final = path.join(tmp, 'blob');
    const f = new BlobFollower();
    const out = collect(f.stream());
    let ended = false;
    void out.then(() => { ended = true; });
    fs.writeFileSync(ingest, data.subarray(0, 1000));
    f.attach(ingest, 1000);
    for (let off = 1000; off < data.length; off += 700_000) {
      const end = Math.min(off + 700_000, data.length);
      fs.appendFileSync(ingest, data.subarray(off, end));
      f.grew(end);
      await tick();
    }
    for (let i = 0; i < 5; i++) await tick();
    assert.equal(ended, false, 'not ended before verification');
    fs.renameSync(ingest, final);
    f.finish(final, data.length);
    assert.ok((await out).equals(data));
  });

  it('does not sleep through a finish that came while it was opening the file (lost wake-up)', async () => {
    const data = randomBytes(10_000);
    const ingest = path.join(tmp, 'ingest'); // already renamed away when the reader first opens it
    const final = path.join(tmp, 'blob');
    fs.writeFileSync(final, data);
    const f = new BlobFollower();
    const out = collect(f.stream());
    f.attach(ingest, data.length);
    // the reader starts on the next tick and is then waiting for its open(ingest): finish lands in between
    await new Promise<void>((r) => process.nextTick(r));
    f.finish(final, data.length);
    assert.ok((await out).equals(data));
  });

  it('reads a blob that was already complete, and follows a download that started over', async () => {
    const data = randomBytes(100_000);
    const final = path.join(tmp, 'blob');
    fs.writeFileSync(final, data);
    const done = new BlobFollower();
    done.finish(final, data.length);
    assert.ok((await collect(done.stream())).equals(data));

    const ingest = path.join(tmp, 'ingest2');
    const f = new BlobFollower();
    const out = collect(f.stream());
    fs.writeFileSync(ingest, data.subarray(0, 60_000));
    f.attach(ingest, 60_000);
    for (let i = 0; i < 5; i++) await tick();
    fs.truncateSync(ingest, 0); // the server ignored Range: the download starts over with the same bytes
    f.grew(0);
    fs.writeFileSync(ingest, data);
    f.grew(data.length);
    f.finish(ingest, data.length);
    assert.ok((await out).equals(data));
  });

  it('fails its stream with the download\'s error', async () => {
    const ingest = path.join(tmp, 'ingest');
    fs.writeFileSync(ingest, 'partial');
    const f = new BlobFollower();
    const out = collect(f.stream());
    f.attach(ingest, 7);
    await tick();
    f.fail(new Error('blob verification failed: expected sha256:x'));
    await assert.rejects(out, /blob verification failed/);
  });
});
