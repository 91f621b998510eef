import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import { PortAllocator } from '../../../plugins/networkdriver-bridge/port-allocator';

// Only 127.0.0.1 is bound (briefly, to check a port is free); nothing is sent.
describe('networkdriver-bridge: host port allocation', () => {
  const servers: net.Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });

  /** A loopback range of `n` ports none of which is listened on now. */
  async function freeRange(n: number): Promise<[number, number]> {
    for (let base = 47100; base < 60000; base += 97) {
      const ok = await Promise.all(Array.from({ length: n }, (_, i) => new Promise<boolean>((resolve) => {
        const s = net.createServer();
        s.once('error', () => resolve(false));
        s.listen({ port: base + i, host: '127.0.0.1', exclusive: true }, () => s.close(() => resolve(true)));
      })));
      if (ok.every(Boolean)) return [base, base + n - 1];
    }
    throw new Error('no free loopback port range');
  }

  it('hands out picked ports in order from the start of the range, wrapping, as dockerd does', async () => {
    const [lo, hi] = await freeRange(4);
    const a = new PortAllocator([lo, hi]);
    assert.equal(await a.reserve('c1', 'tcp', '127.0.0.1', 0), lo, 'the first is the start of the range');
    assert.equal(await a.reserve('c2', 'tcp', '127.0.0.1', 0), lo + 1);
    a.release('c1');
    assert.equal(await a.reserve('c3', 'tcp', '127.0.0.1', 0), lo + 2, 'a released port is not handed out again at once');
    assert.equal(await a.reserve('c4', 'tcp', '127.0.0.1', 0), lo + 3);
    assert.equal(await a.reserve('c5', 'tcp', '127.0.0.1', 0), lo, 'wraps to the start, where the released port is free');
    await assert.rejects(a.reserve('c6', 'tcp', '127.0.0.1', 0), /port is already allocated/, 'the range is full');
    assert.equal(await a.reserve('u1', 'udp', '127.0.0.1', 0), lo, 'udp has its own order');
  });

  it('skips a port a host process holds, and gives concurrent requests different ports', async () => {
    const [lo, hi] = await freeRange(5);
    const busy = net.createServer();
    servers.push(busy);
    await new Promise<void>((r) => busy.listen({ port: lo, host: '127.0.0.1' }, () => r()));
    const a = new PortAllocator([lo, hi]);
    const got = await Promise.all([1, 2, 3].map((i) => a.reserve(`c${i}`, 'tcp', '127.0.0.1', 0)));
    assert.deepEqual([...got].sort((x, y) => x - y), [lo + 1, lo + 2, lo + 3], 'three different ports, none the held one');
  });
});
