/**
 * bench:net — what networking adds to a container start, at the sandbox +
 * endpoint level (NetworkService.attach, then detach): `--network none` vs
 * the default bridge vs a user-defined network, with the rtnetlink addon and
 * with forked `ip` commands. Prints medians (and p90) in milliseconds.
 * Not a test: run `npm run build:ts && npm run bench:net` as root.
 * Test names only (bridge bt-…, 10.213/10.214 subnets); everything is removed.
 */
import 'reflect-metadata';
import { makeNetTestEnv } from '../../test/core/network/net-test-env';

const N = Number(process.env.BENCH_N ?? 40);

function stats(xs: number[]): { median: number; p90: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], p90: s[Math.floor(s.length * 0.9)] };
}

async function run(backend: 'netlink' | 'ip'): Promise<void> {
  const env = await makeNetTestEnv({ linkBackend: backend });
  try {
    await env.kernel.engine.run('network.create', { body: { Name: 'bt-bench', IPAM: { Config: [{ Subnet: '10.214.230.0/24' }] } } });
    for (const mode of ['none', 'bridge', 'bt-bench']) {
      const attach: number[] = [];
      const detach: number[] = [];
      for (let i = 0; i < N + 3; i++) {
        const id = `bench${i}`.padEnd(64, '0');
        const t0 = process.hrtime.bigint();
        await env.svc.attach({ containerId: id, containerName: `/b${i}`, hostname: 'b', mode, endpoints: {}, portBindings: {}, publishAll: false, exposedPorts: [] });
        const t1 = process.hrtime.bigint();
        await env.svc.detach(id);
        const t2 = process.hrtime.bigint();
        if (i < 3) continue; // warm-up
        attach.push(Number(t1 - t0) / 1e6);
        detach.push(Number(t2 - t1) / 1e6);
      }
      const a = stats(attach);
      const d = stats(detach);
      console.log(`${backend.padEnd(8)} ${mode.padEnd(9)} attach median ${a.median.toFixed(2)} ms (p90 ${a.p90.toFixed(2)})  detach median ${d.median.toFixed(2)} ms (p90 ${d.p90.toFixed(2)})`);
    }
  } finally {
    await env.close();
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.log('bench:net needs root (network namespaces, veth, bridges)');
    return;
  }
  console.log(`bench:net — ${N} runs each, after 3 warm-up runs`);
  await run('netlink');
  await run('ip');
}

main().catch((err) => { console.error(err); process.exitCode = 1; });
