/** The bridge driver passes the shared network-driver conformance suite, with both link backends. */
import * as path from 'node:path';
import { networkDriverSuite } from '../../../core/network/networkdriver-suite';
import { createBridgeParts } from '../../../plugins/networkdriver-bridge/create-bridge';
import { testNames } from '../../core/network/net-test-env';

for (const backend of ['netlink', 'ip'] as const) {
  networkDriverSuite(`bridge (${backend})`, async (dir) => {
    const names = testNames();
    const parts = createBridgeParts(
      { 'exec-root': path.join(dir, 'exec'), iptables: true, 'ip-forward': false, icc: true, mtu: 1500, bridge: names.bridge },
      { linkBackend: backend, vethPrefix: names.vethPrefix, chainPrefix: names.chainPrefix },
      path.join(dir, 'state'),
    );
    await parts.firewall.reset();
    return {
      driver: parts.driver,
      sandboxes: parts.sandboxes,
      networkOptions: { 'com.docker.network.bridge.name': names.bridge },
      cleanup: () => parts.firewall.removeAll(),
    };
  }, { subnet: '10.213.251.0/24' });
}
