/** daemon.json `"bridge": "none"`: no default bridge network, as with dockerd `--bridge none`. */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AttachRequest } from '../../../core/network';
import { hostSnapshot, makeNetTestEnv, testNames, type HostSnapshot, type NetTestEnv } from './net-test-env';

function req(id: string, mode: string): AttachRequest {
  return {
    containerId: id.padEnd(64, 'e'), containerName: `/${id}`, hostname: id, mode, endpoints: {},
    portBindings: {}, publishAll: false, exposedPorts: [],
  };
}

describe('core/network: "bridge": "none" (real kernel)', function () {
  this.timeout(60000);
  let snap: HostSnapshot;
  let dir: string;
  const envs: NetTestEnv[] = [];

  beforeEach(() => {
    snap = hostSnapshot();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-net-'));
  });

  afterEach(async () => {
    try {
      for (const e of envs.splice(0).reverse()) await e.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    assert.deepEqual(hostSnapshot(), snap, 'berth links, addresses, iptables rules and netns mounts are back to what they were');
  });

  it('makes no default bridge, removes the one an earlier configuration made, and says so to a default-mode container', async () => {
    const names = testNames();
    const first = await makeNetTestEnv({ dir, names });
    envs.push(first);
    assert.ok(first.svc.listNetworks().some((n) => n.Name === 'bridge'));
    assert.ok(fs.existsSync(`/sys/class/net/${names.bridge}`), 'the default bridge exists before');
    await first.crash(); // the daemon stops; its kernel objects stay
    envs.pop();

    const second = await makeNetTestEnv({ dir, names, bridgeConfig: 'none' });
    envs.push(second);
    assert.deepEqual(second.svc.listNetworks().map((n) => n.Name).sort(), ['host', 'none']);
    assert.ok(!fs.existsSync(`/sys/class/net/${names.bridge}`), 'the stale default bridge was removed');
    assert.ok(!fs.existsSync('/sys/class/net/none'), 'no bridge literally named "none"');
    await assert.rejects(second.svc.attach(req('dflt', 'default')), /network bridge not found/);
    await assert.rejects(second.svc.attach(req('brdg', 'bridge')), /network bridge not found/);
    const none = await second.svc.attach(req('nonet', 'none'));
    assert.ok(none.netnsPath, 'network none still gets its own namespace');
    await second.svc.detach('nonet'.padEnd(64, 'e'));
  });
});
