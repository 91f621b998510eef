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
 */
import { Writable } from 'node:stream';
import { Readable } from 'node:stream';
import { bootRegistryKernel } from './registry-kernel';

async function main(): Promise<void> {
  const [dataRoot, optionsJson, reference, watchId, threshold, mustFinish = ''] = process.argv.slice(2);
  const waiting = new Set(mustFinish.split(',').filter(Boolean));
  const driver = process.env.BT_PULL_DRIVER === 'overlay2' ? 'overlay2' : 'vfs';
  const { kernel } = await bootRegistryKernel(dataRoot, JSON.parse(optionsJson) as Record<string, unknown>, {}, driver);
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
  await kernel.engine.run('image.pull', { fromImage: reference }, { io: { stdin: Readable.from([]), stdout, stderr } });
  process.stdout.write('FINISHED\n');
  await kernel.close();
}

main().catch((err: Error) => { process.stdout.write(`ERROR ${err.message}\n`); process.exit(1); });
