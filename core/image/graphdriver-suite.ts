/**
 * The graph-driver conformance suite, like containerd's snapshotter
 * testsuite: every driver — built-in or third-party — runs it before its own
 * tests. `graphDriverSuite(name, factory)` declares a mocha `describe` block;
 * each case gets a fresh driver home under /tmp/berth-test-*, removes every
 * layer it made and the home afterwards. A factory refusing with
 * FailedPreconditionError skips the suite with the printed reason.
 *
 *     import { graphDriverSuite } from 'berth/dist/core/image/graphdriver-suite';
 *     graphDriverSuite('mydriver', myFactory);
 */
import { promises as fsp, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import * as assert from 'node:assert/strict';
import * as tar from 'tar-stream';
import { isAlreadyExists, isFailedPrecondition, isNotFound } from '../errors';
import type { GraphDriverFactory, GraphDriverWithDiff } from '../drivers/graphdriver';
import { withDiffer } from './naive-differ';
import { buildTar, type TarEntrySpec } from './tar-build';
import { getXattrsTree } from './fs-ops';
import { xattrsFromPax } from './tar-pax';

/** One entry read back from a tar: header plus body. */
export interface ReadEntry { name: string; type: string; mode: number; uid: number; gid: number; size: number; linkname: string; body: Buffer; xattrs: Map<string, Buffer> }

/** Reads a whole tar stream into entries (test helper). */
export async function readTar(stream: Readable): Promise<ReadEntry[]> {
  const ex = tar.extract();
  const out: ReadEntry[] = [];
  stream.pipe(ex as unknown as NodeJS.WritableStream);
  for await (const e of ex) {
    const chunks: Buffer[] = [];
    for await (const c of e) chunks.push(Buffer.from(c as Buffer));
    const h = e.header;
    out.push({
      name: h.name.replace(/\/$/, ''), type: h.type, mode: h.mode, uid: h.uid, gid: h.gid, size: h.size,
      linkname: h.linkname ?? '', body: Buffer.concat(chunks), xattrs: xattrsFromPax(h.pax as Record<string, string> | null),
    });
  }
  return out;
}

const MTIME = new Date(1_500_000_000_000);
/** security.capability granting cap_net_bind_service (+ep), with a byte ≥ 0x80 to catch encoding bugs. */
export const CAP_NET_BIND_AND_SETUID = Buffer.from('0100000280040000000000000000000000000000', 'hex');

/** A layer exercising every kind of metadata the drivers must keep. */
export function richLayer(): TarEntrySpec[] {
  return [
    { name: 'bin/', type: 'directory', mtime: MTIME },
    { name: 'bin/tool', body: 'tool-body', mode: 0o4755, uid: 1234, gid: 4321, mtime: MTIME, xattrs: { 'security.capability': CAP_NET_BIND_AND_SETUID, 'user.berth': 'x' } },
    { name: 'bin/tool-link', type: 'link', linkname: 'bin/tool' },
    { name: 'bin/sym', type: 'symlink', linkname: 'tool', mtime: MTIME },
    { name: 'dev/', type: 'directory', mtime: MTIME },
    { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
    { name: 'dev/fifo', type: 'fifo', mode: 0o600 },
    { name: 'etc/', type: 'directory', mode: 0o750, uid: 7, gid: 8, mtime: MTIME },
    { name: 'etc/conf', body: 'a=1\n', mode: 0o640, mtime: MTIME },
    { name: 'tmp/', type: 'directory', mode: 0o1777, mtime: MTIME },
  ];
}

function mounted(p: string): boolean {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === p);
}

/** Declares the conformance suite for `factory` under `describe('graph driver conformance: <name>')`. */
export function graphDriverSuite(name: string, factory: GraphDriverFactory, options: Record<string, string> = {}): void {
  describe(`graph driver conformance: ${name}`, function () {
    let home = '';
    let d: GraphDriverWithDiff;
    let made: string[] = [];
    let seq = 0;

    const fresh = (): string => { const id = `bt${process.pid}x${++seq}${'0'.repeat(8)}`; made.push(id); return id; };
    const layer = async (parent: string | null, entries: TarEntrySpec[]): Promise<string> => {
      const id = fresh();
      await d.create(id, parent);
      await d.applyDiff(id, parent, Readable.from(await buildTar(entries)));
      return id;
    };

    beforeEach(async function () {
      home = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-test-gd-'));
      made = [];
      try {
        d = withDiffer(await factory.create(home, options));
      } catch (err) {
        await fsp.rm(home, { recursive: true, force: true });
        if (isFailedPrecondition(err)) { console.log(`skip: ${(err as Error).message}`); this.skip(); }
        throw err;
      }
    });

    afterEach(async function () {
      try {
        if (d) {
          for (const id of made.reverse()) await d.remove(id).catch(() => undefined);
          await d.cleanup();
        }
      } finally {
        await fsp.rm(home, { recursive: true, force: true });
      }
    });

    it('creates, mounts, unmounts and removes a base layer', async () => {
      const id = await layer(null, [{ name: 'hello', body: 'world' }]);
      assert.equal(await d.exists(id), true);
      const root = await d.get(id);
      assert.equal(await fsp.readFile(path.join(root, 'hello'), 'utf8'), 'world');
      await d.put(id);
      assert.ok(typeof (await d.metadata(id)) === 'object');
      await d.remove(id);
      assert.equal(await d.exists(id), false);
      await d.remove(id); // idempotent
    });

    it('refuses a duplicate id and reports unknown ids as NotFound', async () => {
      const id = fresh();
      await d.create(id, null);
      await assert.rejects(d.create(id, null), (e: unknown) => isAlreadyExists(e));
      await assert.rejects(d.get('bt-missing-layer'), (e: unknown) => isNotFound(e));
      await assert.rejects(d.create(fresh(), 'bt-missing-layer'), (e: unknown) => isNotFound(e));
    });

    it('stacks a parent chain: upper layers see and override lower content', async () => {
      const a = await layer(null, [{ name: 'a', body: 'A' }, { name: 'shared', body: 'from-a' }]);
      const b = await layer(a, [{ name: 'b', body: 'B' }]);
      const c = await layer(b, [{ name: 'c', body: 'C' }, { name: 'shared', body: 'from-c' }]);
      const root = await d.get(c);
      try {
        for (const [f, v] of [['a', 'A'], ['b', 'B'], ['c', 'C'], ['shared', 'from-c']]) {
          assert.equal(await fsp.readFile(path.join(root, f), 'utf8'), v);
        }
      } finally { await d.put(c); }
      const rb = await d.get(b);
      try { await assert.rejects(fsp.access(path.join(rb, 'c'))); } finally { await d.put(b); }
    });

    it('round-trips diff and apply, keeping owners, modes, setuid, times, xattrs, hardlinks and devices', async () => {
      const a = await layer(null, richLayer());
      const entries = await readTar(await d.diff(a, null));
      const names = entries.map((e) => e.name);
      for (const n of ['bin/tool', 'bin/sym', 'dev/null', 'dev/fifo', 'etc/conf']) assert.ok(names.includes(n), `diff lacks ${n}: ${names.join(',')}`);
      const tool = entries.find((e) => e.name === 'bin/tool' || e.name === 'bin/tool-link' && e.type === 'file');
      assert.ok(tool);
      assert.equal(entries.filter((e) => e.type === 'link').length, 1, 'the hardlink pair must come out as one file and one link');
      const b = fresh();
      await d.create(b, null);
      await d.applyDiff(b, null, Readable.from(await buildTar(richLayer())));
      const again = fresh();
      await d.create(again, null);
      const diffTar = await d.diff(a, null);
      await d.applyDiff(again, null, diffTar);
      const root = await d.get(again);
      try {
        const st = await fsp.lstat(path.join(root, 'bin/tool'));
        assert.equal(st.mode & 0o7777, 0o4755);
        assert.equal(st.uid, 1234);
        assert.equal(st.gid, 4321);
        assert.equal(st.mtimeMs, MTIME.getTime());
        assert.equal(st.nlink, 2);
        assert.equal((await fsp.lstat(path.join(root, 'bin/tool-link'))).ino, st.ino);
        assert.equal(await fsp.readlink(path.join(root, 'bin/sym')), 'tool');
        const dev = await fsp.lstat(path.join(root, 'dev/null'));
        assert.ok(dev.isCharacterDevice());
        assert.equal(dev.rdev, (1 << 8) | 3);
        assert.ok((await fsp.lstat(path.join(root, 'dev/fifo'))).isFIFO());
        const etc = await fsp.lstat(path.join(root, 'etc'));
        assert.equal(etc.mode & 0o7777, 0o750);
        assert.equal(etc.uid, 7);
        assert.equal(etc.mtimeMs, MTIME.getTime());
        assert.equal((await fsp.lstat(path.join(root, 'tmp'))).mode & 0o7777, 0o1777);
        const xa = await getXattrsTree(path.join(root, 'bin'));
        const toolXa = xa.get(path.join(root, 'bin/tool'));
        assert.ok(toolXa?.get('security.capability')?.equals(CAP_NET_BIND_AND_SETUID), 'security.capability must survive');
        assert.equal(toolXa?.get('user.berth')?.toString(), 'x');
      } finally { await d.put(again); }
    });

    it('applies whiteouts and opaque directories, and diffs them back', async () => {
      const a = await layer(null, [
        { name: 'gone', body: 'x' }, { name: 'keep', body: 'k' },
        { name: 'd/', type: 'directory' }, { name: 'd/old1', body: '1' }, { name: 'd/old2', body: '2' },
        { name: 'dir-gone/', type: 'directory' }, { name: 'dir-gone/f', body: 'f' },
      ]);
      const b = await layer(a, [
        { name: '.wh.gone' }, { name: '.wh.dir-gone' },
        { name: 'd/', type: 'directory' }, { name: 'd/.wh..wh..opq' }, { name: 'd/new', body: 'n' },
      ]);
      const root = await d.get(b);
      try {
        assert.deepEqual((await fsp.readdir(root)).sort(), ['d', 'keep']);
        assert.deepEqual(await fsp.readdir(path.join(root, 'd')), ['new']);
      } finally { await d.put(b); }
      const names = (await readTar(await d.diff(b, a))).map((e) => e.name);
      assert.ok(names.includes('.wh.gone'), `no whiteout for gone in ${names.join(',')}`);
      assert.ok(names.includes('.wh.dir-gone'), `no whiteout for dir-gone in ${names.join(',')}`);
      assert.ok(names.includes('d/new'));
      assert.ok(names.includes('d/.wh..wh..opq') || (names.includes('d/.wh.old1') && names.includes('d/.wh.old2')),
        `opaque dir not expressed in ${names.join(',')}`);
      // The diff applied on a's content reproduces b's view.
      const c = fresh();
      await d.create(c, a);
      await d.applyDiff(c, a, await d.diff(b, a));
      const rc = await d.get(c);
      try {
        assert.deepEqual((await fsp.readdir(rc)).sort(), ['d', 'keep']);
        assert.deepEqual(await fsp.readdir(path.join(rc, 'd')), ['new']);
      } finally { await d.put(c); }
    });

    it('lists the changes of a read-write layer', async () => {
      const a = await layer(null, [{ name: 'etc/', type: 'directory' }, { name: 'etc/hosts', body: 'h' }, { name: 'etc/old', body: 'o' }, { name: 'bin/', type: 'directory' }]);
      const rw = fresh();
      await d.createReadWrite(rw, a);
      const root = await d.get(rw);
      try {
        await fsp.writeFile(path.join(root, 'etc/hosts'), 'changed!');
        await fsp.rm(path.join(root, 'etc/old'));
        await fsp.writeFile(path.join(root, 'new-file'), 'n');
      } finally { await d.put(rw); }
      const changes = await d.changes(rw, a);
      const has = (p: string, k: number): boolean => changes.some((c) => c.path === p && c.kind === k);
      assert.ok(has('/etc/hosts', 0), JSON.stringify(changes));
      assert.ok(has('/etc/old', 2), JSON.stringify(changes));
      assert.ok(has('/new-file', 1), JSON.stringify(changes));
      assert.ok(!changes.some((c) => c.path === '/bin'), JSON.stringify(changes));
    });

    it('reports what a directory recreated in a read-write layer hides as deleted', async () => {
      const a = await layer(null, [{ name: 'd/', type: 'directory' }, { name: 'd/old1', body: '1' }, { name: 'd/old2', body: '2' }]);
      const rw = fresh();
      await d.createReadWrite(rw, a);
      const root = await d.get(rw);
      try {
        await fsp.rm(path.join(root, 'd'), { recursive: true });
        await fsp.mkdir(path.join(root, 'd'));
        await fsp.writeFile(path.join(root, 'd/new'), 'n');
      } finally { await d.put(rw); }
      const changes = await d.changes(rw, a);
      const has = (p: string, k: number): boolean => changes.some((c) => c.path === p && c.kind === k);
      assert.ok(has('/d/old1', 2) && has('/d/old2', 2) && has('/d/new', 1), JSON.stringify(changes));
      // and the diff, applied on the parent, gives the same view
      const c = fresh();
      await d.create(c, a);
      await d.applyDiff(c, a, await d.diff(rw, a));
      const rc = await d.get(c);
      try { assert.deepEqual(await fsp.readdir(path.join(rc, 'd')), ['new']); } finally { await d.put(c); }
    });

    it('reports the applied size and the diff size', async () => {
      const id = fresh();
      await d.create(id, null);
      const size = await d.applyDiff(id, null, Readable.from(await buildTar([
        { name: 'x', body: Buffer.alloc(1000, 1) }, { name: 'y', body: Buffer.alloc(24, 2) }, { name: 'l', type: 'symlink', linkname: 'x' },
      ])));
      assert.equal(size, 1024);
      assert.equal(await d.diffSize(id, null), 1024);
    });

    it('counts concurrent mounts of one layer', async () => {
      const a = await layer(null, [{ name: 'f', body: '1' }]);
      const b = await layer(a, [{ name: 'g', body: '2' }]);
      const [p1, p2] = await Promise.all([d.get(b), d.get(b)]);
      assert.equal(p1, p2);
      await d.put(b);
      assert.equal(await fsp.readFile(path.join(p1, 'f'), 'utf8'), '1', 'still visible after one of two puts');
      await d.put(b);
      if (mounted(p1)) assert.fail(`${p1} still mounted after the last put`);
    });

    it('removes a layer while it is mounted', async () => {
      const a = await layer(null, [{ name: 'f', body: '1' }]);
      const b = await layer(a, [{ name: 'g', body: '2' }]);
      const p = await d.get(b);
      await d.remove(b);
      assert.equal(await d.exists(b), false);
      assert.equal(mounted(p), false);
      assert.equal(await d.exists(a), true);
    });
  });
}
