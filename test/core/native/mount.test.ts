/** The exec addon's mount(2)/umount2(2) on the thread pool, used by overlay2 instead of forking /bin/mount. */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadAddon } from '../../../core';

interface MountAddon {
  mount(source: string, target: string, fstype: string, flags: number, data: string): Promise<void>;
  umount(target: string, flags: number): Promise<void>;
}

describe('native berth_exec: mount and umount', () => {
  let dir = '';
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-mount-')); });
  afterEach(() => {
    try { fs.rmdirSync(dir); } catch { /* still mounted: the test failed; detach it */
      execFileSync('umount', ['-l', dir]);
      fs.rmdirSync(dir);
    }
  });

  const mounted = (): boolean => fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === dir);

  it('mounts a tmpfs with options and unmounts it', async () => {
    const a = loadAddon<MountAddon>('berth_exec');
    await a.mount('berth-test', dir, 'tmpfs', 0, 'size=64k,mode=0711');
    try {
      assert.ok(mounted(), 'the tmpfs is in mountinfo');
      assert.equal(fs.statSync(dir).mode & 0o777, 0o711, 'the data string reached the filesystem');
    } finally {
      await a.umount(dir, 0);
    }
    assert.ok(!mounted(), 'unmounted');
  });

  it('rejects with the errno and a message naming the path', async () => {
    const a = loadAddon<MountAddon>('berth_exec');
    await assert.rejects(a.umount(dir, 0), (e: Error & { errno?: number }) => e.errno === 22 && e.message.includes(dir));
    await assert.rejects(a.mount('x', path.join(dir, 'missing'), 'tmpfs', 0, ''), (e: Error & { errno?: number }) => e.errno === 2);
    assert.throws(() => (a.mount as unknown as (x: number) => void)(1), /mount\(source: string/);
  });
});
