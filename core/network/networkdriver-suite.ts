/**
 * The network-driver conformance suite: every NetworkDriver + SandboxProvider
 * pair — built-in or third-party — runs it before its own tests.
 * `networkDriverSuite(name, factory)` declares a mocha `describe` block; each
 * case gets fresh parts from the factory (in a temp dir under
 * /tmp/berth-test-*) and calls their `cleanup()` afterwards, also on failure.
 * Addresses come from `subnet` (a /24 the factory's owner reserves for tests);
 * traffic stays between the suite's own sandboxes. Needs root and
 * /bin/busybox; without them the suite skips with the reason printed.
 *
 *     networkDriverSuite('bridge', async (dir) => ({ driver, sandboxes, cleanup }), { subnet: '10.213.7.0/24' });
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { NetworkDriver, SandboxProvider } from '../drivers/networkdriver';
import { isConflict, isNotFound } from '../errors';

export interface NetworkDriverParts {
  driver: NetworkDriver;
  sandboxes: SandboxProvider;
  /** Driver options for createNetwork (e.g. a test bridge name). */
  networkOptions?: Record<string, string>;
  /** Removes whatever the parts made beyond networks/endpoints/sandboxes (firewall chains, ...). */
  cleanup(): Promise<void>;
}

export type NetworkDriverFactory = (dir: string) => Promise<NetworkDriverParts>;

function inSandbox(netns: string, args: string[]): { code: number; out: string } {
  const r = spawnSync('nsenter', [`--net=${netns}`, ...args], { encoding: 'utf8' });
  return { code: r.status ?? -1, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** Declares the conformance cases for one driver. */
export function networkDriverSuite(name: string, factory: NetworkDriverFactory, opts: { subnet: string }): void {
  const base = opts.subnet.replace(/\.0\/24$/, '');
  describe(`NetworkDriver conformance: ${name}`, function () {
    this.timeout(60000);
    let dir: string;
    let parts: NetworkDriverParts | undefined;
    const undo: Array<() => Promise<unknown>> = [];

    before(function () {
      if (process.getuid?.() !== 0 || !fs.existsSync('/bin/busybox')) {
        console.log('skip: the network driver suite needs root (network namespaces) and /bin/busybox');
        this.skip();
      }
    });

    beforeEach(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-netsuite-'));
      parts = await factory(dir);
    });

    afterEach(async () => {
      try {
        for (const u of undo.splice(0).reverse()) await u().catch((e: Error) => console.log('cleanup:', e.message));
        await parts?.cleanup();
      } finally {
        parts = undefined;
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    async function network(): Promise<string> {
      const id = randomBytes(32).toString('hex');
      await parts!.driver.createNetwork({
        id, name: `suite-${id.slice(0, 6)}`, options: { ...(parts!.networkOptions ?? {}) }, internal: false, enableIPv6: false,
        labels: {}, ipam: [{ subnet: opts.subnet, gateway: `${base}.1` }],
      });
      undo.push(() => parts!.driver.deleteNetwork(id));
      return id;
    }

    async function sandbox(): Promise<{ id: string; path: string }> {
      const id = randomBytes(8).toString('hex');
      const p = await parts!.sandboxes.create(id);
      undo.push(() => parts!.sandboxes.destroy(id));
      return { id, path: p };
    }

    async function endpoint(net: string, sb: { id: string; path: string }, host: number): Promise<string> {
      const ep = randomBytes(32).toString('hex');
      const info = await parts!.driver.createEndpoint({
        networkId: net, endpointId: ep, containerId: sb.id, containerName: sb.id, aliases: [], portBindings: [],
        ipv4Address: `${base}.${host}`,
      });
      assert.equal(info.ipv4Address, `${base}.${host}/24`);
      assert.equal(info.gateway, `${base}.1`);
      undo.push(() => parts!.driver.deleteEndpoint(net, ep));
      await parts!.driver.join(net, ep, sb.path);
      return ep;
    }

    it('creates a sandbox with only lo, up; destroy removes it and is a no-op the second time', async () => {
      const sb = await sandbox();
      const links = inSandbox(sb.path, ['ip', '-o', 'link']);
      assert.equal(links.code, 0, links.out);
      assert.deepEqual(links.out.trim().split('\n').map((l) => l.split(':')[1].trim()), ['lo']);
      assert.match(links.out, /lo: <LOOPBACK,UP/);
      await parts!.sandboxes.destroy(sb.id);
      assert.equal(fs.existsSync(sb.path), false);
      await parts!.sandboxes.destroy(sb.id);
    });

    it('joins an endpoint into the sandbox with its address; leave takes it out again', async () => {
      const net = await network();
      const sb = await sandbox();
      const ep = await endpoint(net, sb, 7);
      assert.match(inSandbox(sb.path, ['ip', '-o', '-4', 'addr']).out, new RegExp(`inet ${base.replace(/\./g, '\\.')}\\.7/24`));
      await parts!.driver.leave(net, ep, sb.path);
      assert.doesNotMatch(inSandbox(sb.path, ['ip', '-o', '-4', 'addr']).out, /\.7\/24/);
      await parts!.driver.deleteEndpoint(net, ep);
      await parts!.driver.deleteEndpoint(net, ep);
    });

    it('lets two endpoints of one network reach each other', async () => {
      const net = await network();
      const a = await sandbox();
      const b = await sandbox();
      await endpoint(net, a, 2);
      await endpoint(net, b, 3);
      const ping = inSandbox(a.path, ['/bin/busybox', 'ping', '-c', '1', '-W', '2', `${base}.3`]);
      assert.equal(ping.code, 0, ping.out);
    });

    it('refuses to delete a network with endpoints, and answers NotFound for unknown ids', async () => {
      const net = await network();
      const sb = await sandbox();
      await endpoint(net, sb, 4);
      await assert.rejects(parts!.driver.deleteNetwork(net), (e: unknown) => isConflict(e));
      await assert.rejects(parts!.driver.join(net, 'f'.repeat(64), sb.path), (e: unknown) => isNotFound(e));
      await assert.rejects(parts!.driver.createEndpoint({
        networkId: 'e'.repeat(64), endpointId: 'd'.repeat(64), containerId: 'c', containerName: 'c', aliases: [], portBindings: [], ipv4Address: `${base}.9`,
      }), (e: unknown) => isNotFound(e));
      assert.equal(parts!.driver.capabilities().scope === 'local' || parts!.driver.capabilities().scope === 'global', true);
    });
  });
}
