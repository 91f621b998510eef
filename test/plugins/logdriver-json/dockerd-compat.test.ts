import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { LogMessage } from '../../../core';
import { LineSplitter } from '../../../core/logging';
import { jsonFileLogDriverFactory } from '../../../plugins/logdriver-json/json-file-factory';
import { recordTimeNs } from '../../../plugins/logdriver-json/record-decoder';
import { CONTAINER_ID, logContext, makeTempDir } from './log-test-env';
import { DOCKERD_IMAGE, dockerdUnavailable, startPrivateDockerd, type PrivateDockerd } from './private-dockerd';

// Output with everything the format must get right: escapes, HTML characters,
// invalid UTF-8, U+2028, emoji, control bytes, a 20 KiB line (partials), and
// a last line without its newline.
const PAYLOAD = Buffer.concat([
  Buffer.from('hello world\n'),
  Buffer.from('tab\there <a href="x">&amp;</a> \\ back\rcr\n'),
  Buffer.from([0x62, 0x69, 0x6e, 0xff, 0xc3, 0x28, 0xe2, 0x82, 0x0a]),
  Buffer.from('caf\u00e9 \u20ac \u2028 \u2029 \ud83d\ude00 \ufffd\n'),
  Buffer.from([0xed, 0xa0, 0x80, 0xc0, 0xaf, 0xf4, 0x90, 0x80, 0x80, 0x01, 0x1b, 0x7f, 0x0a]),
  Buffer.from('\n'),
  Buffer.alloc(20 * 1024, 'y'), Buffer.from('\n'),
  Buffer.from('no newline at end'),
]);

describe('logdriver json-file: byte-identical to a real dockerd', function () {
  this.timeout(180_000);
  let dockerd: PrivateDockerd | null = null;
  let dir = '';

  before(async function () {
    const why = dockerdUnavailable();
    if (why) { console.log(`skip: ${why}`); this.skip(); }
    dockerd = await startPrivateDockerd({ payload: PAYLOAD });
  });
  after(async () => { await dockerd?.stop(); });
  beforeEach(() => { dir = makeTempDir(); });
  afterEach(() => { fs.rmSync(dir, { recursive: true, force: true }); });

  it('writes the same file as dockerd for the same output and times', async () => {
    const d = dockerd as PrivateDockerd;
    const id = d.docker('run', '-d', '--network', 'none', '--log-driver', 'json-file', DOCKERD_IMAGE, 'cat', '/payload');
    try {
      d.docker('wait', id);
      const dockerFile = fs.readFileSync(d.docker('inspect', '-f', '{{.LogPath}}', id));
      const records = dockerFile.toString('utf8').trimEnd().split('\n').map((r) => JSON.parse(r) as { time: string });

      // The same bytes through berth's copier splitting and json-file, stamped with dockerd's times.
      const msgs: LogMessage[] = [];
      const splitter = new LineSplitter('stdout', (m) => msgs.push(m), () => 0n);
      splitter.push(PAYLOAD);
      splitter.end();
      assert.equal(msgs.length, records.length, `berth made ${msgs.length} messages, dockerd ${records.length} records`);
      const driver = await jsonFileLogDriverFactory.create(logContext(dir));
      for (let i = 0; i < msgs.length; i++) {
        const timeNs = recordTimeNs(records[i].time);
        await driver.log({ ...msgs[i], timeNs, time: new Date(Number(timeNs / 1_000_000n)) });
      }
      await driver.close();
      const berthFile = fs.readFileSync(`${dir}/${CONTAINER_ID}-json.log`);
      const ours = berthFile.toString('utf8').split('\n');
      const theirs = dockerFile.toString('utf8').split('\n');
      const short = (s: string): string => (s.length > 200 ? `${s.slice(0, 90)} …(${s.length} chars)… ${s.slice(-90)}` : s);
      for (let i = 0; i < Math.max(ours.length, theirs.length); i++) {
        assert.equal(short(ours[i] ?? '<none>'), short(theirs[i] ?? '<none>'), `record ${i + 1}`);
      }
      assert.ok(berthFile.equals(dockerFile), 'byte for byte');

      // And berth reads dockerd's file back as docker logs prints it.
      fs.writeFileSync(`${dir}/${CONTAINER_ID}-json.log`, dockerFile);
      const reader = await jsonFileLogDriverFactory.create(logContext(dir));
      const back: Buffer[] = [];
      for await (const m of reader.read!({ follow: false })) back.push((m as LogMessage).line);
      await reader.close();
      const dockerLogs = d.dockerRaw('logs', id).stdout;
      assert.ok(Buffer.concat(back).equals(dockerLogs), 'same bytes as `docker logs`');
    } finally {
      d.docker('rm', '-f', id);
    }
  });
});
