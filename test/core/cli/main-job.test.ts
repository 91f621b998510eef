import * as assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hasBusybox } from '../../helpers/busybox-rootfs';
import { DIST, missingBuiltins } from './berthd-harness';

const REPO = path.resolve(DIST, '..');

describe('scripts/main-job.sh: the README main job', function () {
  this.timeout(180000);

  it('serves a page from a busybox container on 127.0.0.1, prints it, and leaves nothing behind', async function () {
    if (!hasBusybox()) { console.log('skip: no static busybox at /bin/busybox for scripts/make-busybox-image.sh'); this.skip(); }
    const ipForward = fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
    const r = await new Promise<{ code: number | null; out: string; err: string }>((resolve, reject) => {
      // exactly as scripts/setup.sh calls it (from the repo root), built-ins not compiled yet left out
      const child = spawn('bash', ['scripts/main-job.sh'], {
        cwd: REPO, env: { ...process.env, BERTH_DISABLE_PLUGINS: missingBuiltins().join(',') },
      });
      let out = ''; let err = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
      child.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, out, err }));
    });
    assert.equal(r.code, 0, `${r.out}\n${r.err}`);
    assert.match(r.out, /^hello from a berth container: busybox httpd on a published port$/m);
    assert.match(r.out, /main-job: done: page fetched from a container through 127\.0\.0\.1:\d+; container removed, berthd stopped\n$/);
    // this run's own dirs (other berth runs on the machine may have theirs at the same time)
    const dirs = /\(data root (\/tmp\/berth-main-job\.[^/]+)\/data, exec root (\/tmp\/berth-run\.[^,]+),/.exec(r.out);
    assert.ok(dirs, 'the job names its data and exec roots');
    const [, work, execRoot] = dirs;
    assert.ok(!fs.existsSync(work), `temp data root ${work} removed`);
    assert.ok(!fs.existsSync(execRoot), `temp exec root ${execRoot} removed`);
    const bridge = /bridge (btm[0-9a-f]{5})/.exec(r.out)?.[1];
    assert.ok(bridge, 'the job names its bridge');
    assert.ok(!fs.existsSync(`/sys/class/net/${bridge}`), 'bridge removed');
    const rules = execFileSync('iptables-save', { encoding: 'utf8' });
    assert.ok(!new RegExp(`\\b${bridge}\\b`).test(rules), 'no iptables rule names the bridge');
    const chains = `BTM${bridge!.slice(3).toUpperCase()}`;
    assert.ok(!rules.includes(chains), `no chain ${chains}… left`);
    assert.equal(fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8'), ipForward, 'ip_forward as it was');
    const mountinfo = fs.readFileSync('/proc/self/mountinfo', 'utf8');
    assert.ok(!mountinfo.includes(`${work}/`) && !mountinfo.includes(`${execRoot}/`), 'nothing of this run left mounted');
  });
});
