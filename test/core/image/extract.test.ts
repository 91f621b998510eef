import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, promises as fsp, readFileSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { isInvalidArgument } from '../../../core/errors';
import { extractLayer, type ExtractOptions } from '../../../core/image/extract';
import { decompress } from '../../../core/image/decompress';
import { buildTar, type TarEntrySpec } from '../../../core/image/tar-build';
import { getXattrsTree } from '../../../core/image/fs-ops';

const sha = (f: string): string => createHash('sha256').update(readFileSync(f)).digest('hex');

for (const sync of [false, true]) describe(`safe layer extraction${sync ? ' with synchronous calls (as on an apply worker thread)' : ''}`, function () {
  const extract = (input: Readable, into: string, opts: ExtractOptions): ReturnType<typeof extractLayer> => extractLayer(input, into, { ...opts, sync });
  let base = '';
  let root = '';
  let outside = '';
  const hostPasswd = { hash: '', nlink: 0 };

  before(() => {
    hostPasswd.hash = sha('/etc/passwd');
    hostPasswd.nlink = statSync('/etc/passwd').nlink;
  });
  beforeEach(async () => {
    base = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-test-extract-'));
    root = path.join(base, 'layer');
    outside = path.join(base, 'outside');
    await fsp.mkdir(root);
    await fsp.mkdir(outside);
    await fsp.writeFile(path.join(outside, 'keep'), 'precious');
  });
  afterEach(async () => {
    await fsp.rm(base, { recursive: true, force: true });
    // The host is untouched by every case.
    assert.equal(sha('/etc/passwd'), hostPasswd.hash);
    assert.equal(statSync('/etc/passwd').nlink, hostPasswd.nlink);
  });

  const apply = async (entries: TarEntrySpec[], whiteouts: 'overlay' | 'delete' = 'delete'): Promise<number> =>
    (await extract(Readable.from(await buildTar(entries)), root, { whiteouts })).size;

  it('refuses ".." components', async () => {
    await assert.rejects(apply([{ name: '../outside/evil', body: 'x' }]), (e: unknown) => isInvalidArgument(e) && /"\.\."/.test((e as Error).message));
    await assert.rejects(apply([{ name: 'a/../../evil', body: 'x' }]), (e: unknown) => isInvalidArgument(e));
    assert.equal(existsSync(path.join(outside, 'evil')), false);
    assert.equal(existsSync(path.join(base, 'evil')), false);
  });

  it('refuses absolute paths', async () => {
    const target = path.join(outside, 'abs-evil');
    await assert.rejects(apply([{ name: target, body: 'x' }]), (e: unknown) => isInvalidArgument(e) && /absolute/.test((e as Error).message));
    assert.equal(existsSync(target), false);
  });

  it('keeps writes through a symlink to /etc inside the layer', async () => {
    await apply([{ name: 'link', type: 'symlink', linkname: '/etc' }, { name: 'link/passwd', body: 'root::0:0::/:/bin/sh\n' }]);
    assert.equal(await fsp.readFile(path.join(root, 'etc/passwd'), 'utf8'), 'root::0:0::/:/bin/sh\n');
    assert.equal(await fsp.readlink(path.join(root, 'link')), '/etc');
  });

  it('keeps writes through absolute and climbing symlinks to a host directory inside the layer', async () => {
    await apply([
      { name: 'abs', type: 'symlink', linkname: outside },
      { name: 'abs/evil1', body: 'x' },
      { name: 'up', type: 'symlink', linkname: '../../../../../../..' },
      { name: 'up/evil2', body: 'y' },
      { name: 'chain', type: 'symlink', linkname: 'up' + outside },
      { name: 'chain/evil3', body: 'z' },
    ]);
    for (const f of ['evil1', 'evil2', 'evil3']) assert.equal(existsSync(path.join(outside, f)), false, f);
    assert.equal(await fsp.readFile(path.join(root, outside, 'evil1'), 'utf8'), 'x');
    assert.equal(await fsp.readFile(path.join(root, 'evil2'), 'utf8'), 'y');
    assert.equal(await fsp.readFile(path.join(root, outside, 'evil3'), 'utf8'), 'z');
  });

  it('replaces a symlink swapped in for a directory instead of following it', async () => {
    await apply([
      { name: 'd/', type: 'directory' }, { name: 'd/f', body: '1' },
      { name: 'd', type: 'symlink', linkname: outside },
      { name: 'd', type: 'directory' },
      { name: 'd/keep', body: 'overwritten?' },
    ]);
    assert.equal(await fsp.readFile(path.join(outside, 'keep'), 'utf8'), 'precious');
    assert.ok((await fsp.lstat(path.join(root, 'd'))).isDirectory());
  });

  it('does not follow a symlink at the final component of a file entry', async () => {
    await apply([{ name: 'f', type: 'symlink', linkname: path.join(outside, 'keep') }, { name: 'f', body: 'replaced' }]);
    assert.equal(await fsp.readFile(path.join(outside, 'keep'), 'utf8'), 'precious');
    assert.equal(await fsp.readFile(path.join(root, 'f'), 'utf8'), 'replaced');
  });

  it('refuses hardlinks to outside the layer', async () => {
    await assert.rejects(apply([{ name: 'hl', type: 'link', linkname: '/etc/passwd' }]), (e: unknown) => isInvalidArgument(e));
    await assert.rejects(apply([{ name: 'hl', type: 'link', linkname: '../outside/keep' }]), (e: unknown) => isInvalidArgument(e));
    await assert.rejects(apply([{ name: 'l', type: 'symlink', linkname: '/etc' }, { name: 'hl', type: 'link', linkname: 'l/passwd' }]),
      (e: unknown) => isInvalidArgument(e) && /not in the layer/.test((e as Error).message));
    assert.equal(statSync(path.join(outside, 'keep')).nlink, 1);
  });

  it('keeps whiteouts through symlinks inside the layer', async () => {
    await apply([{ name: 'w', type: 'symlink', linkname: outside }, { name: 'w/.wh.keep' }]);
    assert.equal(await fsp.readFile(path.join(outside, 'keep'), 'utf8'), 'precious');
    await apply([{ name: 'w2', type: 'symlink', linkname: outside }, { name: 'w2/.wh.keep' }], 'overlay');
    assert.equal(await fsp.readFile(path.join(outside, 'keep'), 'utf8'), 'precious');
    assert.ok((await fsp.lstat(path.join(root, outside, 'keep'))).isCharacterDevice());
  });

  it('re-resolves deferred work (opaque dirs, xattrs, dir times) after a directory was swapped for a symlink', async () => {
    await fsp.writeFile(path.join(outside, 'f'), 'host file');
    const before = (await fsp.stat(outside)).mtimeMs;
    await apply([
      { name: 'd/', type: 'directory', mtime: new Date(1_000_000_000) },
      { name: 'd/.wh..wh..opq' },
      { name: 'a/', type: 'directory', mtime: new Date(1_000_000_000) },
      { name: 'a/f', body: 'layer file', xattrs: { 'user.berth': 'evil' } },
      { name: 'd', type: 'symlink', linkname: outside },
      { name: 'a', type: 'symlink', linkname: outside },
    ]);
    assert.equal(await fsp.readFile(path.join(outside, 'keep'), 'utf8'), 'precious', 'the opaque dir did not empty the host dir');
    assert.equal(await fsp.readFile(path.join(outside, 'f'), 'utf8'), 'host file');
    const xa = await getXattrsTree(outside);
    assert.equal(xa.get(path.join(outside, 'f'))?.get('user.berth'), undefined, 'no xattr set on the host file');
    assert.equal((await fsp.stat(outside)).mtimeMs, before, 'host dir mtime untouched');
  });

  it('refuses whiteouts of "..", "." and the empty name (they would delete the layer or its parent)', async () => {
    await fsp.mkdir(path.join(root, 'sub'));
    for (const name of ['.wh...', 'sub/.wh...', '.wh..', '.wh.']) {
      await assert.rejects(apply([{ name }]), (e: unknown) => isInvalidArgument(e) && /whiteout of/.test((e as Error).message), name);
      await assert.rejects(apply([{ name }], 'overlay'), (e: unknown) => isInvalidArgument(e), name);
    }
    assert.ok(existsSync(path.join(root, 'sub')));
    assert.equal(await fsp.readFile(path.join(outside, 'keep'), 'utf8'), 'precious');
  });

  it('preserves ownership, modes, setuid, mtimes and security.capability', async () => {
    const cap = Buffer.from('01000002ff000000000000000000000000000000', 'hex');
    await apply([
      { name: 'bin/', type: 'directory', mode: 0o711, uid: 5, gid: 6, mtime: new Date(1_000_000_000_000) },
      { name: 'bin/ping', body: 'elf', mode: 0o4755, uid: 0, gid: 0, mtime: new Date(1_100_000_000_000), xattrs: { 'security.capability': cap } },
      { name: 'bin/sgid', body: 's', mode: 0o2711, uid: 33, gid: 33 },
    ]);
    const ping = await fsp.lstat(path.join(root, 'bin/ping'));
    assert.equal(ping.mode & 0o7777, 0o4755);
    assert.equal(ping.mtimeMs, 1_100_000_000_000);
    const sg = await fsp.lstat(path.join(root, 'bin/sgid'));
    assert.equal(sg.mode & 0o7777, 0o2711);
    assert.equal(sg.uid, 33);
    const bin = await fsp.lstat(path.join(root, 'bin'));
    assert.equal(bin.mode & 0o7777, 0o711);
    assert.equal(bin.uid, 5);
    assert.equal(bin.mtimeMs, 1_000_000_000_000);
    const xa = await getXattrsTree(root);
    assert.ok(xa.get(path.join(root, 'bin/ping'))?.get('security.capability')?.equals(cap));
  });

  it('skips xattrs the filesystem refuses (user.* on a symlink) with a warning, like Docker', async () => {
    const r = await extract(Readable.from(await buildTar([
      { name: 'f', body: 'x' }, { name: 'l', type: 'symlink', linkname: 'f', xattrs: { 'user.x': 'y' } },
    ])), root, { whiteouts: 'delete' });
    assert.equal(await fsp.readlink(path.join(root, 'l')), 'f');
    assert.equal(r.warnings.length, 1, JSON.stringify(r.warnings));
  });

  it('streams gzip and zstd layers', async function () {
    const t = await buildTar([{ name: 'gz', body: 'gzip-content' }]);
    await extract(decompress(Readable.from(zlib.gzipSync(t))), root, { whiteouts: 'delete' });
    assert.equal(await fsp.readFile(path.join(root, 'gz'), 'utf8'), 'gzip-content');
    let zst: Buffer;
    try {
      zst = execFileSync('zstd', ['-q', '-c'], { input: await buildTar([{ name: 'zs', body: 'zstd-content' }]) });
    } catch {
      console.log('skip: the zstd tool is not installed to make a zstd layer');
      this.skip();
    }
    await extract(decompress(Readable.from(zst)), root, { whiteouts: 'delete' });
    assert.equal(await fsp.readFile(path.join(root, 'zs'), 'utf8'), 'zstd-content');
  });

  it('rejects a corrupt tar with InvalidArgument', async () => {
    const t = await buildTar([{ name: 'f', body: 'x'.repeat(2000) }]);
    const bad = Buffer.from(t);
    bad.fill(0x41, 100, 200); // corrupt the header checksum region
    await assert.rejects(extract(Readable.from(bad), root, { whiteouts: 'delete' }), (e: unknown) => isInvalidArgument(e));
  });
});
