import * as assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp, readdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { isInvalidArgument } from '../../../core/errors';
import { ApplyPool } from '../../../core/image/apply-pool';
import { extractLayer } from '../../../core/image/extract';
import { getXattrsTree } from '../../../core/image/fs-ops';
import { buildTar, type TarEntrySpec } from '../../../core/image/tar-build';
import { walkTree } from '../../../core/image/tree-walk';

const threads = (): number => readdirSync('/proc/self/task').length;

/** Every entry of a tree: type, mode, owner, mtime, size, link count, symlink target, content digest, xattrs. */
async function snapshot(root: string): Promise<Record<string, string>> {
  const xattrs = await getXattrsTree(root);
  const out: Record<string, string> = {};
  for (const { rel, st } of await walkTree(root)) {
    const p = path.join(root, rel);
    const body = st.isFile() ? createHash('sha256').update(await fsp.readFile(p)).digest('hex').slice(0, 16) : '';
    const link = st.isSymbolicLink() ? await fsp.readlink(p) : '';
    const x = [...(xattrs.get(p) ?? new Map<string, Buffer>())].map(([k, v]) => `${k}=${v.toString('hex')}`).sort().join(',');
    const mtime = st.isFile() ? String(Math.floor(Number(st.mtimeMs))) : ''; // whiteouts are made now
    out[rel] = [st.mode.toString(8), st.uid, st.gid, st.nlink, st.size, Number(st.rdev), mtime, link, body, x].join(' ');
  }
  return out;
}

const rich = (): TarEntrySpec[] => [
  { name: 'bin/', type: 'directory', mode: 0o755 },
  { name: 'bin/tool', body: 'run me', mode: 0o4755, uid: 1000, gid: 50, mtime: new Date('2020-01-02T03:04:05Z'), xattrs: { 'security.capability': Buffer.from('0100000200200000000000000000000000000000', 'hex') } },
  { name: 'bin/alias', type: 'link', linkname: 'bin/tool' },
  { name: 'bin/sh', type: 'symlink', linkname: '/bin/tool' },
  { name: 'etc/', type: 'directory', mode: 0o750, uid: 7, gid: 8 },
  { name: 'etc/conf', body: 'a=1\n', mode: 0o600 },
  { name: 'etc/.wh..wh..opq', body: '' },
  { name: 'var/.wh.gone', body: '' },
  { name: 'tmp/', type: 'directory', mode: 0o1777 },
  { name: 'dev/null0', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
];

describe('layer extraction on worker threads (apply pool)', function () {
  this.timeout(30000);
  let base = '';
  let pool: ApplyPool | null = null;

  beforeEach(async () => {
    base = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-test-applypool-'));
  });
  afterEach(async () => {
    try { await pool?.close(); } finally {
      pool = null;
      await fsp.rm(base, { recursive: true, force: true });
    }
  });

  const dirs = async (...names: string[]): Promise<string[]> => Promise.all(names.map(async (n) => {
    const d = path.join(base, n);
    await fsp.mkdir(d);
    return d;
  }));

  it('extracts a gzip layer exactly as the main thread does, with its diff_id and tar size', async () => {
    const tar = await buildTar(rich());
    const [onWorker, onMain] = await dirs('worker', 'main');
    pool = new ApplyPool(1);
    const r = await pool.apply(Readable.from([zlib.gzipSync(tar)]), onWorker, { whiteouts: 'overlay' });
    const m = await extractLayer(Readable.from([tar]), onMain, { whiteouts: 'overlay' });
    assert.equal(r.diffId, `sha256:${createHash('sha256').update(tar).digest('hex')}`);
    assert.equal(r.tarSize, tar.length);
    assert.equal(r.size, m.size);
    assert.equal(r.entries, m.entries);
    const [w, mm] = [await snapshot(onWorker), await snapshot(onMain)];
    assert.deepEqual(w, mm);
    assert.match(w['bin/tool'], /^104755 1000 50 2 /); // setuid, owner, hardlinked
    assert.match(w['var/gone'], /^20000 0 0 1 0 0 /); // overlay whiteout: 0/0 character device
    assert.ok(w.etc.endsWith('trusted.overlay.opaque=79'), w.etc);
  });

  it('applies several big layers at once on two workers, pausing each input while its worker is behind', async () => {
    const layers = await Promise.all([0, 1, 2].map(async (i) => buildTar([
      { name: `d${i}/`, type: 'directory' },
      { name: `d${i}/big`, body: randomBytes(6 << 20) },
      ...Array.from({ length: 50 }, (_, k) => ({ name: `d${i}/small${k}`, body: randomBytes(1000) })),
    ])));
    const roots = await dirs('a', 'b', 'c');
    pool = new ApplyPool(2);
    let pauses = 0;
    const results = await Promise.all(layers.map((t, i) => {
      const gz = zlib.gzipSync(t, { level: 1 });
      // 64 KiB chunks: the source outruns the worker and must wait for its acknowledgements
      const chunks = Array.from({ length: Math.ceil(gz.length / 65536) }, (_, k) => gz.subarray(k * 65536, (k + 1) * 65536));
      const src = Readable.from(chunks);
      src.on('pause', () => { pauses++; });
      return pool!.apply(src, roots[i], { whiteouts: 'delete' });
    }));
    // the workers start after the sources began: each source is held at 4 MiB in flight
    assert.ok(pauses >= 3, `${pauses} pauses`);
    for (const [i, r] of results.entries()) {
      assert.equal(r.diffId, `sha256:${createHash('sha256').update(layers[i]).digest('hex')}`);
      assert.equal(r.entries, 52);
      assert.equal((await fsp.stat(path.join(roots[i], `d${i}`, 'big'))).size, 6 << 20);
    }
  });

  it('moves chunks that are all of their memory to the worker when told they are its alone, and copies the others', async () => {
    const tar = await buildTar([{ name: 'f', body: randomBytes(300000) }]);
    const [a, b] = await dirs('a', 'b');
    pool = new ApplyPool(1);
    const own = Buffer.from(tar); // its own memory, all of it
    const shared = Buffer.concat([tar, Buffer.alloc(512)]).subarray(0, tar.length); // part of a larger memory
    const r1 = await pool.apply(Readable.from([own]), a, { whiteouts: 'delete' }, { transfer: true });
    const r2 = await pool.apply(Readable.from([shared]), b, { whiteouts: 'delete' }, { transfer: true });
    assert.equal(own.length, 0, 'moved: the main thread no longer has it');
    assert.equal(shared.length, tar.length, 'copied');
    assert.equal(r1.diffId, r2.diffId);
    const kept = Buffer.from(tar);
    await pool.apply(Readable.from([kept]), b, { whiteouts: 'delete' });
    assert.equal(kept.length, tar.length, 'without transfer every chunk is copied');
  });

  it('keeps the error type across the thread: a hostile entry and a corrupt gzip are InvalidArgument', async () => {
    const [a, b] = await dirs('a', 'b');
    pool = new ApplyPool(1);
    const hostile = await buildTar([{ name: '../escape', body: 'x' }]);
    await assert.rejects(pool.apply(Readable.from([hostile]), a, { whiteouts: 'delete' }),
      (e: unknown) => isInvalidArgument(e) && /"\.\." component refused/.test((e as Error).message));
    const gz = zlib.gzipSync(await buildTar([{ name: 'f', body: randomBytes(4096) }]));
    gz.fill(0x41, 40, 400);
    await assert.rejects(pool.apply(Readable.from([gz]), b, { whiteouts: 'delete' }), (e: unknown) => isInvalidArgument(e));
    await assert.rejects(fsp.access(path.join(base, 'escape')));
    // the worker is still usable after its jobs failed
    const ok = await pool.apply(Readable.from([await buildTar([{ name: 'f', body: 'y' }])]), b, { whiteouts: 'delete' });
    assert.equal(ok.entries, 1);
  });

  it('fails with the input\'s own error when the source breaks, and the worker stops writing', async () => {
    const [a] = await dirs('a');
    pool = new ApplyPool(1);
    const tar = await buildTar([{ name: 'first', body: 'x' }, { name: 'second', body: randomBytes(1 << 20) }]);
    const src = new PassThrough();
    const p = pool.apply(src, a, { whiteouts: 'delete' });
    src.write(tar.subarray(0, 2048));
    setTimeout(() => src.destroy(new Error('download failed: digest mismatch')), 50);
    await assert.rejects(p, /download failed: digest mismatch/);
    const after = await fsp.readdir(a);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(await fsp.readdir(a), after);
    const second = await fsp.stat(path.join(a, 'second')).catch(() => null);
    assert.ok(!second || second.size < 1 << 20, `second has ${second?.size} bytes`);
  });

  it('rejects at once an input that already failed or closed before it reached the pool (no wait for events that are gone)', async () => {
    const [a] = await dirs('a');
    pool = new ApplyPool(1);
    const failed = new PassThrough();
    failed.on('error', () => undefined);
    failed.destroy(new Error('blob digest mismatch'));
    await new Promise((r) => setImmediate(r)); // its error and close events went out
    await assert.rejects(pool.apply(failed, a, { whiteouts: 'delete' }), /blob digest mismatch/);
    const closed = new PassThrough();
    closed.destroy();
    await new Promise((r) => setImmediate(r));
    await assert.rejects(pool.apply(closed, a, { whiteouts: 'delete' }), /closed before its end/);
  });

  it('ends its threads on close: nothing stays resident after a pull', async () => {
    await fsp.stat(base); // libuv starts its thread pool at the first use: count after that
    const before = threads();
    pool = new ApplyPool(2);
    const [a] = await dirs('a');
    await pool.apply(Readable.from([await buildTar([{ name: 'f', body: 'x' }])]), a, { whiteouts: 'delete' });
    assert.ok(threads() >= before + 2, `${threads()} threads, ${before} before`);
    await pool.close();
    pool = null;
    // a worker's OS thread ends a moment after its exit event (a clean-clone CI run counted it once)
    const deadline = Date.now() + 2000;
    while (threads() > before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(threads(), before);
  });
});
