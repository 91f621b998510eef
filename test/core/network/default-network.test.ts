/** The default bridge's request from daemon.json: bip, fixed-cidr, bridge name, icc, mtu. */
import { strict as assert } from 'node:assert';
import { defaultNetworkRequest } from '../../../core/network/default-network';

describe('core/network: default network from daemon.json', () => {
  it('takes gateway and subnet from bip, the allocation range from fixed-cidr', () => {
    const r = defaultNetworkRequest({ bip: '10.213.9.1/24', 'fixed-cidr': '10.213.9.128/25', icc: false, mtu: 1400, bridge: 'bt-x' });
    assert.deepEqual(r.pool, { subnet: '10.213.9.0/24', gateway: '10.213.9.1', ipRange: '10.213.9.128/25' });
    assert.equal(r.options['com.docker.network.bridge.enable_icc'], 'false');
    assert.equal(r.options['com.docker.network.driver.mtu'], '1400');
    assert.equal(r.options['com.docker.network.bridge.name'], 'bt-x');
    assert.equal(r.options['com.docker.network.bridge.default_bridge'], 'true');
  });

  it('uses fixed-cidr as the subnet without bip, and asks nothing without either (IPAM picks 172.17.0.0/16 or the next free pool)', () => {
    assert.deepEqual(defaultNetworkRequest({ 'fixed-cidr': '10.213.8.0/24' }).pool, { subnet: '10.213.8.0/24', ipRange: '10.213.8.0/24' });
    assert.deepEqual(defaultNetworkRequest({}).pool, {});
  });

  it('refuses a bip that is the network address, or not CIDR, naming bip', () => {
    assert.throws(() => defaultNetworkRequest({ bip: '10.213.9.0/24' }), /bip 10\.213\.9\.0\/24: give the bridge's own address/);
    assert.throws(() => defaultNetworkRequest({ bip: '10.213.9.1' }), /invalid bip/);
  });
});
