import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { removePidFile, writePidFile } from '../../../core/daemon/pid-file';

describe('berthd pid file', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync('/tmp/berth-test-pid-'); });
  afterEach(() => { fs.rmSync(dir, { recursive: true, force: true }); });

  it('writes our pid, replaces a stale one and removes only its own', async () => {
    const file = path.join(dir, 'run', 'berthd.pid');
    fs.mkdirSync(path.dirname(file));
    fs.writeFileSync(file, '999999999\n'); // no such process
    await writePidFile(file);
    assert.equal(fs.readFileSync(file, 'utf8'), `${process.pid}\n`);
    removePidFile(file);
    assert.equal(fs.existsSync(file), false);
    fs.writeFileSync(file, '1\n');
    removePidFile(file); // not ours: stays
    assert.equal(fs.readFileSync(file, 'utf8'), '1\n');
  });

  it('refuses to start while another live process holds the pid file', async () => {
    const file = path.join(dir, 'berthd.pid');
    const other = spawn('sleep', ['600'], { stdio: 'ignore' });
    try {
      fs.writeFileSync(file, `${other.pid}\n`);
      await assert.rejects(writePidFile(file), /pid file found, ensure berthd is not running or delete .*berthd\.pid/);
    } finally {
      other.kill('SIGKILL');
    }
  });
});
