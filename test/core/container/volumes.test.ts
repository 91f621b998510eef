import * as assert from 'node:assert/strict';
import { isConflict, isNotFound } from '../../../core/errors';
import { captureIO, makeTestbed, requireContainers, type ContainerTestbed } from './container-harness';

describe('containers with volumes (real volume service, local driver)', function () {
  this.timeout(60_000);
  let bed: ContainerTestbed;
  before(async function () {
    requireContainers(this);
    bed = await makeTestbed({}, undefined, { volumes: true });
  });
  after(async () => { await bed?.destroy(); });

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const run = (name: string, input: unknown, opts: Record<string, unknown> = {}) => bed.kernel.engine.run(name as any, input as any, opts) as Promise<any>;
  async function runToEnd(body: Record<string, unknown>): Promise<{ id: string; out: string }> {
    const { Id: id } = await run('container.create', { body: { Image: 'busybox', ...body, HostConfig: { NetworkMode: 'none', ...(body.HostConfig as object ?? {}) } } });
    await run('container.start', { id });
    const w = await run('container.wait', { id });
    const cap = captureIO();
    await run('container.logs', { id, stdout: true, stderr: true }, { io: cap.io });
    assert.equal(w.StatusCode, 0, cap.out() + cap.err());
    return { id, out: cap.out() };
  }

  it('a named volume outlives its container and is reused; in use it cannot be removed', async () => {
    const vol = `bt-vol-${Math.random().toString(16).slice(2, 8)}`;
    const first = await runToEnd({ Cmd: ['sh', '-c', 'echo kept > /data/f'], HostConfig: { Binds: [`${vol}:/data`] } });
    const info = await run('container.inspect', { id: first.id });
    assert.equal(info.Mounts[0].Type, 'volume');
    assert.equal(info.Mounts[0].Name, vol);
    assert.equal(info.Mounts[0].Destination, '/data');
    await assert.rejects(run('volume.remove', { name: vol }), isConflict);
    await run('container.remove', { id: first.id, v: true });
    const second = await runToEnd({ Cmd: ['cat', '/data/f'], HostConfig: { Mounts: [{ Type: 'volume', Source: vol, Target: '/data', ReadOnly: true }] } });
    assert.equal(second.out, 'kept\n');
    await run('container.remove', { id: second.id });
    await run('volume.remove', { name: vol });
  });

  it('anonymous volumes (Volumes, -v /dst) are created at create and removed with rm -v', async () => {
    const { id } = await runToEnd({ Cmd: ['sh', '-c', 'touch /anon/x /other/y'], Volumes: { '/anon': {} }, HostConfig: { Binds: ['/other'] } });
    const mounts = (await run('container.inspect', { id })).Mounts as Array<{ Name: string; Destination: string }>;
    assert.deepEqual(mounts.map((m) => m.Destination).sort(), ['/anon', '/other']);
    for (const m of mounts) assert.match(m.Name, /^[0-9a-f]{64}$/);
    await run('container.remove', { id, v: true });
    for (const m of mounts) await assert.rejects(run('volume.inspect', { name: m.Name }), isNotFound);
  });
});
