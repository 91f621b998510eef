/**
 * Namespace modes: joining an existing network namespace by path (how the
 * network driver hands over a sandbox) and sharing the host's namespaces
 * (`--pid host`, `--uts host`, `--network host`, `--ipc host`).
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import type { ContainerSpec } from '../../../core';
import { Harness, newHarness, requireKernel } from './harness';

type Namespaces = ContainerSpec['namespaces'];
const priv = { mode: 'private' } as const;
const host = { mode: 'host' } as const;

describe('execdriver-native: namespace modes', function () {
  this.timeout(20000);
  let h: Harness;
  before(function () { requireKernel(this); h = newHarness(); });
  afterEach(async () => { await h?.cleanup(); });
  after(async () => { await h?.destroy(); });

  it('joins a network namespace given by path (the network driver\'s sandbox)', async () => {
    const ns = `bt-ns-${crypto.randomBytes(3).toString('hex')}`;
    execFileSync('ip', ['netns', 'add', ns]);
    try {
      execFileSync('ip', ['-n', ns, 'link', 'add', 'btveth0', 'type', 'veth', 'peer', 'name', 'btveth1']);
      const namespaces: Namespaces = { pid: priv, ipc: priv, uts: priv, cgroup: priv, net: { mode: 'path', path: `/run/netns/${ns}` } };
      const r = await h.run(['ls', '/sys/class/net'], { namespaces });
      assert.equal(r.status.exitCode, 0, r.err);
      assert.deepEqual(r.out.trim().split(/\s+/).sort(), ['btveth0', 'btveth1', 'lo']);
    } finally {
      execFileSync('ip', ['netns', 'del', ns]);
    }
  });

  it('shares the host\'s pid, uts, ipc and network namespaces when asked', async () => {
    const namespaces: Namespaces = { pid: host, ipc: host, uts: host, cgroup: priv, net: host };
    const r = await h.run(['sh', '-c', 'echo pid=$$; hostname; ls /sys/class/net | wc -l; readlink /proc/self/ns/ipc'], { namespaces, hostname: 'ignored' });
    assert.equal(r.status.exitCode, 0, r.err);
    const lines = r.out.trim().split('\n');
    assert.notEqual(lines[0], 'pid=1');
    assert.equal(lines[1], os.hostname());
    assert.equal(Number(lines[2]), fs.readdirSync('/sys/class/net').length);
    assert.equal(lines[3], fs.readlinkSync('/proc/self/ns/ipc'));
  });
});
