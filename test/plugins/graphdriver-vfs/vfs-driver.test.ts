import * as assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { buildTar } from '../../../core/image/tar-build';
import { getXattrsTree } from '../../../core/image/fs-ops';
import { CAP_NET_BIND_AND_SETUID, richLayer } from '../../../core/image/graphdriver-suite';
import { withDiffer } from '../../../core/image/naive-differ';
import { VfsDriver } from '../../../plugins/graphdriver-vfs/vfs-driver';
import plugin from '../../../plugins/graphdriver-vfs';

describe('graphdriver-vfs', function () {
  let home = '';
  beforeEach(async () => { home = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-test-vfs-')); });
  afterEach(async () => { await fsp.rm(home, { recursive: true, force: true }); });

  it('copies a parent fully, keeping owners, modes, times, xattrs, hardlinks and devices', async () => {
    const d = withDiffer(await VfsDriver.open(home, {}));
    await d.create('btparent', null);
    await d.applyDiff('btparent', null, Readable.from(await buildTar(richLayer())));
    await d.create('btchild', 'btparent');
    const root = await d.get('btchild');
    try {
      assert.equal(root, path.join(home, 'dir', 'btchild'));
      const st = await fsp.lstat(path.join(root, 'bin/tool'));
      assert.equal(st.mode & 0o7777, 0o4755);
      assert.equal(st.uid, 1234);
      assert.equal(st.nlink, 2);
      assert.equal((await fsp.lstat(path.join(root, 'bin/tool-link'))).ino, st.ino);
      assert.ok((await fsp.lstat(path.join(root, 'dev/null'))).isCharacterDevice());
      assert.equal((await fsp.lstat(path.join(root, 'etc'))).mtimeMs, 1_500_000_000_000);
      const xa = await getXattrsTree(root);
      assert.ok(xa.get(path.join(root, 'bin/tool'))?.get('security.capability')?.equals(CAP_NET_BIND_AND_SETUID));
      // The copy is independent of its parent.
      await fsp.writeFile(path.join(root, 'etc/conf'), 'changed');
      assert.equal(await fsp.readFile(path.join(home, 'dir', 'btparent', 'etc/conf'), 'utf8'), 'a=1\n');
    } finally { await d.put('btchild'); }
    assert.deepEqual(await d.changes('btchild', 'btparent'), [{ path: '/etc', kind: 0 }, { path: '/etc/conf', kind: 0 }]);
  });

  it('removes half-made copies left by a crash when opened', async () => {
    await fsp.mkdir(path.join(home, 'dir', '.tmp-btx-dead'), { recursive: true });
    await VfsDriver.open(home, {});
    assert.deepEqual(await fsp.readdir(path.join(home, 'dir')), []);
  });

  it('refuses storage options it does not know', async () => {
    await assert.rejects(VfsDriver.open(home, { size: '1G' }), /unknown storage option "size"/);
  });

  it('provides graphdriver:vfs with priority 100 from its plugin manifest', async () => {
    const provided = new Map<string, unknown>();
    await plugin.init({ provide: (n: string, v: unknown) => provided.set(n, v) } as never);
    const f = provided.get('graphdriver:vfs') as { name: string; priority: number };
    assert.equal(f.priority, 100);
    assert.equal(f.name, 'vfs');
  });
});
