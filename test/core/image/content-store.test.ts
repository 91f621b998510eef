import * as assert from 'node:assert/strict';
import { existsSync, promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { isInvalidArgument } from '../../../core/errors';
import { ContentStore } from '../../../core/image/content-store';
import { sha256Digest } from '../../../core/image/digest';

describe('content store', () => {
  let dir = '';
  beforeEach(async () => { dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-test-content-')); });
  afterEach(async () => { await fsp.rm(dir, { recursive: true, force: true }); });

  it('stores blobs by digest, verified while streaming', async () => {
    const cs = await ContentStore.open(dir);
    const data = Buffer.from('hello blob');
    const d = await cs.put(Readable.from([data.subarray(0, 3), data.subarray(3)]));
    assert.equal(d, sha256Digest(data));
    assert.ok((await cs.read(d)).equals(data));
    await assert.rejects(cs.put(data, sha256Digest('other')), (e: unknown) => isInvalidArgument(e) && /mismatch/.test((e as Error).message));
    assert.deepEqual(await cs.list(), [d]);
    assert.deepEqual((await fsp.readdir(path.join(dir, 'ingest'))), [], 'no temp files left');
  });

  it('resumes an interrupted ingest from its offset and verifies the whole blob', async () => {
    const data = Buffer.alloc(10000, 7);
    data.write('start');
    const d = sha256Digest(data);
    let cs = await ContentStore.open(dir);
    let w = await cs.ingest(d, data.length);
    assert.equal(w.offset, 0);
    await w.write(data.subarray(0, 4000));
    await w.close();
    cs = await ContentStore.open(dir); // a restart
    w = await cs.ingest(d, data.length);
    assert.equal(w.offset, 4000);
    assert.equal(await cs.has(d), false);
    await w.write(data.subarray(4000));
    await w.commit();
    assert.ok((await cs.read(d)).equals(data));
  });

  it('lets one writer at a time ingest a digest; the second continues where the first stopped', async () => {
    const cs = await ContentStore.open(dir);
    const data = Buffer.from('0123456789abcdef');
    const d = sha256Digest(data);
    const w1 = await cs.ingest(d, data.length);
    let second: Awaited<ReturnType<ContentStore['ingest']>> | null = null;
    const p2 = cs.ingest(d, data.length).then((w) => { second = w; return w; });
    await w1.write(data.subarray(0, 6));
    await new Promise((r) => setImmediate(r));
    assert.equal(second, null, 'the second ingest waits');
    await w1.close();
    const w2 = await p2;
    assert.equal(w2.offset, 6);
    await w2.write(data.subarray(6));
    await w2.commit();
    assert.ok((await cs.read(d)).equals(data));
  });

  it('ingests chunks written together (writev) and says when the digest matched, before the blob is in place', async () => {
    const data = Buffer.from('0123456789abcdefghij'.repeat(500));
    const d = sha256Digest(data);
    const cs = await ContentStore.open(dir);
    const w = await cs.ingest(d, data.length);
    await w.writev([data.subarray(0, 7), data.subarray(7, 5000), data.subarray(5000)]);
    let verifiedBeforePlace: boolean | undefined;
    await w.commit(() => { verifiedBeforePlace = !existsSync(cs.path(d)); });
    assert.equal(verifiedBeforePlace, true);
    assert.ok((await cs.read(d)).equals(data));
    const bad = await cs.ingest(sha256Digest('other'), data.length);
    await bad.writev([data]);
    let called = false;
    await assert.rejects(bad.commit(() => { called = true; }), (e: unknown) => isInvalidArgument(e));
    assert.equal(called, false, 'not said for a mismatch');
  });

  it('refuses a blob whose content does not match and keeps nothing', async () => {
    const cs = await ContentStore.open(dir);
    const d = sha256Digest('expected');
    const w = await cs.ingest(d, 8);
    await w.write(Buffer.from('tampered'));
    await assert.rejects(w.commit(), (e: unknown) => isInvalidArgument(e) && /verification failed/.test((e as Error).message));
    assert.equal(await cs.has(d), false);
    assert.deepEqual(await fsp.readdir(path.join(dir, 'ingest')), []);
  });
});
