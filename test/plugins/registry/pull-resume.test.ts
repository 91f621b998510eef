/**
 * kill -9 in the middle of a pull, then pull again: the interrupted blob
 * download resumes with an HTTP Range request from where it stopped,
 * finished blobs are reused, the image comes out correct, and no partial
 * image was ever listed. The pull runs in a child process killed by SIGKILL.
 */
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { hasBusybox } from '../../helpers/busybox-rootfs';
import { hasRegistry, startRegistry, type RegistryServer } from '../../helpers/registry-server';
import { busyboxLayer, randomLayer, skopeoPush, writeOciLayout, type Layer } from './fixtures';
import { bootRegistryKernel, runWithProgress, type RegistryKernel } from './registry-kernel';

describe('registry.distribution kill -9 mid-pull, then resume', function () {
  this.timeout(240_000);
  let tmp = '';
  let reg: RegistryServer | undefined;
  let child: ChildProcess | undefined;
  let k: RegistryKernel | undefined;
  let base: Layer;
  let big: Layer;

  before(async function () {
    if (!hasRegistry() || !hasBusybox()) {
      console.log('skip: docker-registry or busybox-static is not installed');
      this.skip();
    }
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-resume-'));
    reg = await startRegistry();
    base = busyboxLayer(tmp);
    big = randomLayer(tmp, 'big.bin', 24 * 1024 * 1024);
    writeOciLayout(path.join(tmp, 'img'), 'v1', [{ layers: [base, big] }]);
    await skopeoPush(path.join(tmp, 'img'), 'v1', `${reg.host}/r/big:v1`, { format: 'v2s2' });
  });

  after(async () => {
    try {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await k?.kernel.close();
      await reg?.stop();
    } finally {
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('leaves no image after SIGKILL, then resumes the partial blob with Range and records a correct image', async () => {
    const dataRoot = path.join(tmp, 'root');
    const options = { certsDir: path.join(tmp, 'certs.d'), dockerConfig: path.join(tmp, 'docker.json') };
    const ref = `${reg!.host}/r/big:v1`;
    const watch = big.digest.slice(7, 19);
    const threshold = 4 * 1024 * 1024;
    child = spawn(process.execPath, [path.join(__dirname, 'pull-child.js'), dataRoot, JSON.stringify(options), ref, watch, String(threshold), base.digest.slice(7, 19)],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    const said = await new Promise<string>((resolve) => {
      let out = '';
      child!.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        if (/PAUSED|FINISHED|ERROR/.test(out)) resolve(out);
      });
      child!.on('exit', () => resolve(out));
    });
    assert.match(said, /PAUSED/, `the child paused mid-download: ${said}`);
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    assert.equal(child.signalCode, 'SIGKILL');

    const partial = path.join(dataRoot, 'image/content/ingest', `sha256-${big.digest.slice(7)}`);
    const partialSize = fs.statSync(partial).size;
    assert.ok(partialSize >= threshold && partialSize < big.tgz.length, `partial download kept (${partialSize} bytes)`);

    k = await bootRegistryKernel(dataRoot, options);
    assert.deepEqual(await k.kernel.engine.run('image.list', { all: true }), [], 'no partial image listed after the crash');

    const { output, msgs } = await runWithProgress(k.kernel, 'image.pull', { fromImage: ref });
    const firstDl = msgs.find((m) => m.status === 'Downloading' && m.id === watch);
    assert.ok(firstDl, 'the big layer was downloaded');
    assert.ok((firstDl!.progressDetail?.current ?? 0) >= partialSize,
      `download resumed at ${firstDl!.progressDetail?.current}, not 0 (Range from ${partialSize})`);
    const baseId = base.digest.slice(7, 19);
    assert.ok(!msgs.some((m) => m.status === 'Downloading' && m.id === baseId), 'the finished base blob was reused, not downloaded');
    assert.equal(msgs.at(-1)!.status, `Status: Downloaded newer image for ${ref}`);
    const inspect = await k.kernel.engine.run('image.inspect', { name: ref });
    assert.equal(inspect.Id, output.Id);
    assert.deepEqual(inspect.RootFS.Layers, [base.diffId, big.diffId], 'both layers verified against their diff_ids');
    assert.equal(fs.existsSync(partial), false, 'no partial data left');
  });
});
