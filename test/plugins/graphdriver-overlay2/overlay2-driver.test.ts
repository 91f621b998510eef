import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { isFailedPrecondition } from '../../../core/errors';
import { buildTar } from '../../../core/image/tar-build';
import { getXattrsTree } from '../../../core/image/fs-ops';
import { Overlay2Driver } from '../../../plugins/graphdriver-overlay2/overlay2-driver';
import plugin from '../../../plugins/graphdriver-overlay2';

describe('graphdriver-overlay2', function () {
  let home = '';
  let d: Overlay2Driver | null = null;
  const extraMounts: string[] = [];

  beforeEach(async function () {
    home = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-test-ov-'));
  });
  afterEach(async function () {
    try {
      if (d) await d.cleanup();
      for (const m of extraMounts.splice(0).reverse()) { try { execFileSync('umount', [m]); } catch { /* gone */ } }
    } finally {
      d = null;
      await fsp.rm(home, { recursive: true, force: true });
    }
  });

  async function open(): Promise<Overlay2Driver> {
    try {
      d = await Overlay2Driver.open(path.join(home, 'overlay2'), {});
      return d;
    } catch (err) {
      if (isFailedPrecondition(err)) { console.log(`skip: ${(err as Error).message}`); return null as never; }
      throw err;
    }
  }

  it('mounts an image of 125 layers through short l/ links', async function () {
    this.timeout(120000);
    const drv = await open();
    if (!drv) this.skip();
    let parent: string | null = null;
    for (let i = 0; i < 125; i++) {
      const id = `bt125layer${String(i).padStart(3, '0')}`;
      await drv.create(id, parent);
      await drv.applyDiff(id, parent, Readable.from(await buildTar([{ name: `f${i}`, body: String(i) }])));
      parent = id;
    }
    const top = parent as string;
    const lower = await fsp.readFile(path.join(home, 'overlay2', top, 'lower'), 'utf8');
    assert.equal(lower.split(':').length, 124);
    assert.ok(lower.split(':').every((l) => /^l\/[A-Z0-9]{26}$/.test(l)), lower.slice(0, 80));
    const link = (await fsp.readFile(path.join(home, 'overlay2', top, 'link'), 'utf8')).trim();
    assert.equal(await fsp.readlink(path.join(home, 'overlay2', 'l', link)), `../${top}/diff`);
    const root = await drv.get(top);
    try {
      assert.equal(await fsp.readFile(path.join(root, 'f0'), 'utf8'), '0');
      assert.equal(await fsp.readFile(path.join(root, 'f124'), 'utf8'), '124');
      assert.equal((await fsp.readdir(root)).length, 125);
      const md = await drv.metadata(top);
      assert.equal(md.LowerDir.split(':').length, 124);
    } finally { await drv.put(top); }
  });

  it('stores whiteouts as 0/0 character devices and opaque dirs as trusted.overlay.opaque', async function () {
    const drv = await open();
    if (!drv) this.skip();
    await drv.create('btbase', null);
    await drv.applyDiff('btbase', null, Readable.from(await buildTar([{ name: 'x', body: '1' }, { name: 'd/', type: 'directory' }, { name: 'd/y', body: '2' }])));
    await drv.create('bttop', 'btbase');
    await drv.applyDiff('bttop', 'btbase', Readable.from(await buildTar([{ name: '.wh.x' }, { name: 'd/', type: 'directory' }, { name: 'd/.wh..wh..opq' }])));
    const diff = path.join(home, 'overlay2', 'bttop', 'diff');
    const st = await fsp.lstat(path.join(diff, 'x'));
    assert.ok(st.isCharacterDevice());
    assert.equal(st.rdev, 0);
    const xa = await getXattrsTree(diff);
    assert.equal(xa.get(path.join(diff, 'd'))?.get('trusted.overlay.opaque')?.toString(), 'y');
    await assert.rejects(fsp.access(path.join(diff, '.wh.x')));
  });

  it('refuses with a clear reason when the kernel lacks overlay', async function () {
    const fake = path.join(home, 'filesystems');
    await fsp.writeFile(fake, 'nodev\tsysfs\n\text4\n');
    await assert.rejects(Overlay2Driver.open(path.join(home, 'overlay2'), {}, fake),
      (e: unknown) => isFailedPrecondition(e) && /does not support overlay/.test((e as Error).message));
  });

  it('refuses a home on an overlay filesystem (falls back to the next driver)', async function () {
    for (const x of ['lo', 'up', 'wk', 'mnt']) await fsp.mkdir(path.join(home, x));
    try {
      execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${home}/lo,upperdir=${home}/up,workdir=${home}/wk`, `${home}/mnt`]);
    } catch (e) {
      console.log(`skip: cannot mount overlay here: ${String(e)}`);
      this.skip();
    }
    extraMounts.push(`${home}/mnt`);
    await assert.rejects(Overlay2Driver.open(path.join(home, 'mnt', 'overlay2'), {}),
      (e: unknown) => isFailedPrecondition(e) && /overlayfs/.test((e as Error).message));
  });

  it('marks its home as a top directory (ext4 attribute T), so each layer gets a block group of its own', async function () {
    const drv = await open();
    if (!drv) this.skip();
    let attrs: string;
    try {
      attrs = execFileSync('lsattr', ['-d', path.join(home, 'overlay2')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      console.log(`skip: the filesystem of ${home} has no inode attributes (${(err as Error).message.split('\n')[0]})`);
      this.skip();
    }
    const flags = attrs.trim().split(/\s+/)[0];
    assert.ok(flags.includes('T'), `lsattr -d says ${attrs.trim()}`);
    // only the home: the layers below it are ordinary directories
    await drv.create('btlayertopdir', null);
    const layer = execFileSync('lsattr', ['-d', path.join(home, 'overlay2', 'btlayertopdir')], { encoding: 'utf8' });
    assert.ok(!layer.trim().split(/\s+/)[0].includes('T'), layer);
  });

  it('refuses unknown storage options', async function () {
    await assert.rejects(Overlay2Driver.open(path.join(home, 'overlay2'), { 'overlay2.size': '10G' }), /unknown storage option/);
  });

  it('cleans half-created layers and stale mounts when reopened after a crash', async function () {
    const drv = await open();
    if (!drv) this.skip();
    await drv.create('btc1', null);
    await drv.create('btc2', 'btc1');
    await drv.get('btc2');
    const ovHome = path.join(home, 'overlay2');
    await fsp.mkdir(path.join(ovHome, '.tmp-btc3-dead'));
    await fsp.symlink('../btc3/diff', path.join(ovHome, 'l', 'DANGLINGDANGLINGDANGLING00'));
    d = null; // simulate a daemon that died without cleanup
    const again = await Overlay2Driver.open(ovHome, {});
    d = again;
    const mi = await fsp.readFile('/proc/self/mountinfo', 'utf8');
    assert.ok(!mi.includes(path.join(ovHome, 'btc2', 'merged')), 'stale mount must be gone');
    assert.ok(!(await fsp.readdir(ovHome)).some((n) => n.startsWith('.tmp-')));
    assert.ok(!(await fsp.readdir(path.join(ovHome, 'l'))).includes('DANGLINGDANGLINGDANGLING00'));
    assert.equal(await again.exists('btc2'), true);
  });

  it('provides graphdriver:overlay2 with priority 10 from its plugin manifest', async function () {
    const provided = new Map<string, unknown>();
    await plugin.init({ provide: (n: string, v: unknown) => provided.set(n, v) } as never);
    const f = provided.get('graphdriver:overlay2') as { name: string; priority: number };
    assert.equal(f.name, 'overlay2');
    assert.equal(f.priority, 10);
  });
});
