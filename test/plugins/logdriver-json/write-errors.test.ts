import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import type { LogMessage } from '../../../core';
import { jsonFileLogDriverFactory } from '../../../plugins/logdriver-json/json-file-factory';
import { CONTAINER_ID, collect, logContext, makeTempDir, msgAt } from './log-test-env';

describe('logdriver json-file: a full disk (a real 256 KiB tmpfs)', function () {
  this.timeout(60_000);
  let dir = '';
  let mounted = false;
  const open: Array<{ close(): Promise<void> }> = [];
  beforeEach(function () {
    dir = makeTempDir();
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0700', 'berth-test-logs', dir], { encoding: 'utf8' });
    if (r.status !== 0) {
      fs.rmSync(dir, { recursive: true, force: true });
      console.log(`skip: cannot mount a tmpfs here (${r.stderr.trim()})`);
      this.skip();
    }
    mounted = true;
  });
  afterEach(async () => {
    for (const d of open.splice(0)) await d.close().catch(() => undefined);
    try {
      if (mounted) execFileSync('umount', [dir]);
    } finally {
      mounted = false;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports ENOSPC, drops what it cannot write, keeps the file readable, and resumes when space is back', async () => {
    const ballast = `${dir}/ballast`;
    fs.writeFileSync(ballast, Buffer.alloc(192 * 1024));
    const driver = await jsonFileLogDriverFactory.create(logContext(dir));
    open.push(driver);
    const errors: Error[] = [];
    const T0 = 1_790_000_000_000_000_000n;
    for (let i = 1; i <= 5000; i++) {
      await driver.log(msgAt(`before ${i}\n`, T0 + BigInt(i))).catch((e: Error) => errors.push(e));
      if (i % 500 === 0) await (driver as unknown as { flush(): Promise<void> }).flush().catch((e: Error) => errors.push(e));
    }
    assert.ok(errors.length > 0, 'the failure was reported');
    assert.match(errors[0].message, /cannot write .*-json\.log: .*ENOSPC/);

    fs.rmSync(ballast);
    for (let i = 1; i <= 10; i++) await driver.log(msgAt(`after ${i}\n`, T0 + 10_000n + BigInt(i)));
    await driver.close();

    const reader = await jsonFileLogDriverFactory.create(logContext(dir));
    open.push(reader);
    const back = (await collect<LogMessage>(reader.read!({ follow: false }))).map((m) => m.line.toString());
    const before = back.filter((l) => l.startsWith('before '));
    assert.ok(before.length > 100 && before.length < 5000, `${before.length} early lines made it`);
    for (let i = 0; i < before.length; i++) assert.equal(before[i], `before ${i + 1}\n`, 'what was written is a clean prefix');
    assert.deepEqual(back.filter((l) => l.startsWith('after ')), Array.from({ length: 10 }, (_, i) => `after ${i + 1}\n`), 'writing resumed');
    assert.ok(fs.statSync(`${dir}/${CONTAINER_ID}-json.log`).size > 0);
  });
});
