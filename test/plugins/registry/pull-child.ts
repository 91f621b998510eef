/**
 * Child process of the kill -9 test: boots a kernel on the data root given in
 * argv, pulls the reference, and once `Downloading` of the watched layer has
 * passed the threshold prints `PAUSED` and blocks its event loop for good
 * (the parent then kills it with SIGKILL) — but only after the layers named
 * in `mustFinish` reported `Download complete`. Never exits on its own mid-pull.
 *
 *     node pull-child.js <dataRoot> <optionsJson> <reference> <layerShortId> <thresholdBytes> <mustFinish,...>
 *
 * The graph driver is vfs, or overlay2 with BT_PULL_DRIVER=overlay2.
 *
 * With BT_PULL_THROTTLE=<bytes per second> the pull goes through a loopback
 * TCP proxy that passes each connection's replies at that rate: on a fast
 * loopback a 24 MiB blob could otherwise be whole before the small layers
 * reported `Download complete`, and the child never paused.
 */
import * as net from 'node:net';
import { Readable, Transform, Writable } from 'node:stream';
import { bootRegistryKernel } from './registry-kernel';

async function main(): Promise<void> {
  const [dataRoot, optionsJson, reference, watchId, threshold, mustFinish = ''] = process.argv.slice(2);
  const waiting = new Set(mustFinish.split(',').filter(Boolean));
  const driver = process.env.BT_PULL_DRIVER === 'overlay2' ? 'overlay2' : 'vfs';
  const { kernel } = await bootRegistryKernel(dataRoot, JSON.parse(optionsJson) as Record<string, unknown>, {}, driver);
  const rate = Number(process.env.BT_PULL_THROTTLE ?? 0);
  const ref = rate > 0 ? await throttled(reference, rate) : reference;
  let buf = '';
  const stdout = new Writable({
    write(chunk: Buffer, _enc, cb): void {
      buf += chunk.toString();
      let i: number;
      while ((i = buf.indexOf('\r\n')) >= 0) {
        const m = JSON.parse(buf.slice(0, i)) as { status?: string; id?: string; progressDetail?: { current?: number } };
        buf = buf.slice(i + 2);
        if (m.status === 'Download complete' && m.id) waiting.delete(m.id);
        if (m.status === 'Downloading' && m.id === watchId && waiting.size === 0 && (m.progressDetail?.current ?? 0) >= Number(threshold)) {
          process.stdout.write('PAUSED\n');
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); // blocks forever: no more bytes are read or written
        }
      }
      cb();
    },
  });
  const stderr = new Writable({ write(_c, _e, cb): void { cb(); } });
  await kernel.engine.run('image.pull', { fromImage: ref }, { io: { stdin: Readable.from([]), stdout, stderr } });
  process.stdout.write('FINISHED\n');
  await kernel.close();
}

/** Starts a proxy to `reference`'s loopback registry passing replies at `rate` bytes/s; returns the reference through it. */
async function throttled(reference: string, rate: number): Promise<string> {
  const m = /^(127\.0\.0\.1):(\d+)\//.exec(reference);
  if (!m) throw new Error(`BT_PULL_THROTTLE needs a reference on a loopback registry: ${reference}`);
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(m[2]), m[1]);
    const slow = new Transform({
      transform(chunk: Buffer, _enc, cb): void { setTimeout(() => cb(null, chunk), (chunk.length / rate) * 1000); },
    });
    client.pipe(upstream);
    upstream.pipe(slow).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  server.unref();
  return reference.replace(m[0], `127.0.0.1:${(server.address() as net.AddressInfo).port}/`);
}

main().catch((err: Error) => { process.stdout.write(`ERROR ${err.message}\n`); process.exit(1); });
