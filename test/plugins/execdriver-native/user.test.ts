/** `--user` / `--group-add` resolution against a busybox image's passwd and group files. */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isInvalidArgument } from '../../../core';
import { resolveUser } from '../../../plugins/execdriver-native';
import { hasBusybox, makeBusyboxRootfs } from '../../helpers/busybox-rootfs';

describe('execdriver-native: user resolution', () => {
  let dir: string;
  let rootfs: string;
  before(function () {
    if (!hasBusybox()) { console.log('skip: /bin/busybox (busybox-static) is missing'); this.skip(); }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-user-'));
    rootfs = makeBusyboxRootfs(path.join(dir, 'rootfs'));
    fs.appendFileSync(path.join(rootfs, 'etc/group'), 'web:x:1001:www-data,daemon\n');
  });
  after(() => { if (dir) fs.rmSync(dir, { recursive: true, force: true }); });

  it('resolves names, ids, uid:gid, groups from the image and --group-add', () => {
    assert.deepEqual(resolveUser(rootfs, undefined), { user: { uid: 0, gid: 0, additionalGids: [] }, home: '/root' });
    assert.deepEqual(resolveUser(rootfs, 'www-data'), { user: { uid: 33, gid: 33, additionalGids: [1001] }, home: '/var/www' });
    assert.deepEqual(resolveUser(rootfs, 'www-data:staff', ['daemon', '4242']).user, { uid: 33, gid: 50, additionalGids: [1001, 1, 4242] });
    assert.deepEqual(resolveUser(rootfs, '1234:5678'), { user: { uid: 1234, gid: 5678, additionalGids: [] }, home: '/' });
    assert.deepEqual(resolveUser(rootfs, '65534').user, { uid: 65534, gid: 65534, additionalGids: [] });
  });

  it('names what it cannot find', () => {
    assert.throws(() => resolveUser(rootfs, 'nosuch'), (e: Error) => isInvalidArgument(e) && /unable to find user nosuch/.test(e.message));
    assert.throws(() => resolveUser(rootfs, 'root:nogrp'), /unable to find group nogrp/);
    assert.throws(() => resolveUser(rootfs, 'root', ['missing']), /unable to find group missing/);
  });
});
