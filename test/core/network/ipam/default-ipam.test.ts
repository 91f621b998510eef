/** DefaultIpam: Docker's pool choice, bip/fixed-cidr-like requests, static addresses, serial allocation, persistence. */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DefaultIpam } from '../../../../core/network';
import { hostNetworks } from '../../../../core/network/ipam/host-networks';
import { parseCidr } from '../../../../core/network/ipam/ipv4';

describe('core/network/ipam: DefaultIpam', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-ipam-'));
    file = path.join(dir, 'ipam.json');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('picks 172.17.0.0/16 first, and the next pool when a host route overlaps it', async () => {
    const free = new DefaultIpam({ file, hostNetworks: () => [] });
    await free.load();
    assert.deepEqual(await free.requestPool('n1', {}), { subnet: '172.17.0.0/16', gateway: '172.17.0.1' });
    assert.deepEqual(await free.requestPool('n2', {}), { subnet: '172.18.0.0/16', gateway: '172.18.0.1' });
    const busy = new DefaultIpam({ file: path.join(dir, 'b.json'), hostNetworks: () => [parseCidr('172.17.5.0/24'), parseCidr('172.18.0.0/15')] });
    await busy.load();
    assert.equal((await busy.requestPool('n', {})).subnet, '172.20.0.0/16');
  });

  it('reads the host\'s real routes and addresses (loopback is among them)', () => {
    const nets = hostNetworks();
    assert.ok(nets.some((n) => n.prefix === 8 && n.base === parseCidr('127.0.0.0/8').base), JSON.stringify(nets));
  });

  it('uses default-address-pools from the config, split by size', async () => {
    const ipam = new DefaultIpam({ file, defaultPools: [{ base: '10.214.0.0/16', size: 24 }], hostNetworks: () => [] });
    await ipam.load();
    assert.equal((await ipam.requestPool('a', {})).subnet, '10.214.0.0/24');
    assert.equal((await ipam.requestPool('b', {})).subnet, '10.214.1.0/24');
    assert.throws(() => new DefaultIpam({ file, defaultPools: [{ base: '10.0.0.0/16', size: 8 }] }), /default-address-pools\[0\]\.size/);
  });

  it('honours subnet, gateway and ip-range, and refuses overlaps and bad input with a named field', async () => {
    const ipam = new DefaultIpam({ file, hostNetworks: () => [] });
    await ipam.load();
    const p = await ipam.requestPool('n', { subnet: '10.1.0.0/24', gateway: '10.1.0.254', ipRange: '10.1.0.16/28' });
    assert.deepEqual(p, { subnet: '10.1.0.0/24', gateway: '10.1.0.254', ipRange: '10.1.0.16/28' });
    assert.equal(await ipam.requestAddress('n'), '10.1.0.16');
    assert.equal(await ipam.requestAddress('n'), '10.1.0.17');
    await ipam.flush();
    await assert.rejects(ipam.requestPool('m', { subnet: '10.1.0.128/25' }), /overlaps/);
    await assert.rejects(ipam.requestPool('m', { subnet: '10.2.0.0/24', ipRange: '10.3.0.0/28' }), /ip-range .* not within/);
    await assert.rejects(ipam.requestPool('m', { subnet: '10.2.0.0/24', gateway: '10.2.1.1' }), /gateway/);
    await assert.rejects(ipam.requestPool('m', { subnet: 'ten/8' }), /invalid IPv4 subnet/);
  });

  it('gives static addresses once, refuses foreign ones, allocates serially and persists across reloads', async () => {
    const ipam = new DefaultIpam({ file, hostNetworks: () => [] });
    await ipam.load();
    await ipam.requestPool('n', { subnet: '10.9.0.0/29' });
    assert.equal(await ipam.requestAddress('n', '10.9.0.5'), '10.9.0.5');
    await assert.rejects(ipam.requestAddress('n', '10.9.0.5'), (e: Error & { code?: string }) => e.code === 'Conflict' && /Address already in use/.test(e.message));
    await assert.rejects(ipam.requestAddress('n', '10.9.1.5'), /does not belong to subnet/);
    assert.equal(await ipam.requestAddress('n'), '10.9.0.2');
    assert.equal(await ipam.requestAddress('n'), '10.9.0.3');
    await ipam.releaseAddress('n', '10.9.0.2');
    assert.equal(await ipam.requestAddress('n'), '10.9.0.4', 'serial: the released address is not reused at once');
    assert.equal(await ipam.requestAddress('n'), '10.9.0.6');
    assert.equal(await ipam.requestAddress('n'), '10.9.0.2', 'wraps around to the freed one');
    await assert.rejects(ipam.requestAddress('n'), /no addresses available/);
    await ipam.flush();
    const reloaded = new DefaultIpam({ file, hostNetworks: () => [] });
    await reloaded.load();
    assert.deepEqual(reloaded.poolOf('n'), { subnet: '10.9.0.0/29', gateway: '10.9.0.1' });
    await assert.rejects(reloaded.requestAddress('n', '10.9.0.6'), /Address already in use/);
    await reloaded.releasePool('n');
    assert.equal(reloaded.poolOf('n'), undefined);
    await reloaded.flush();
  });

  it('hands out 50 distinct addresses to 50 concurrent requests and persists all of them', async () => {
    const ipam = new DefaultIpam({ file, hostNetworks: () => [] });
    await ipam.load();
    await ipam.requestPool('n', { subnet: '10.7.0.0/24' });
    const ips = await Promise.all(Array.from({ length: 50 }, () => ipam.requestAddress('n')));
    assert.equal(new Set(ips).size, 50);
    await ipam.flush();
    const onDisk = JSON.parse(fs.readFileSync(file, 'utf8')) as { pools: Array<{ allocated: string[] }> };
    assert.equal(new Set(onDisk.pools[0].allocated).size, 51);
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'no temp files left');
  });
});
