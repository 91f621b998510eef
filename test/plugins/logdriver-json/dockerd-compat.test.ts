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

  it('reads dockerd\'s rotated, gzipped files with attrs as `docker logs` prints them (all, tail, details)', async () => {
    const d = dockerd as PrivateDockerd;
    const id = d.docker('run', '-d', '--network', 'none', '--label', 'team=a<b', '--log-opt', 'max-size=1k', '--log-opt', 'max-file=3',
      '--log-opt', 'compress=true', '--log-opt', 'labels=team', '--log-opt', 'tag={{.ImageName}}', DOCKERD_IMAGE, 'seq', '1', '300');
    try {
      d.docker('wait', id);
      const logPath = d.docker('inspect', '-f', '{{.LogPath}}', id);
      const srcDir = logPath.slice(0, logPath.lastIndexOf('/'));
      // dockerd compresses in the background after rotating: wait for its files to settle.
      for (let i = 0; i < 50 && fs.readdirSync(srcDir).some((f) => /json\.log\.\d+$/.test(f)); i++) await new Promise((r) => setTimeout(r, 100));
      const names = fs.readdirSync(srcDir).filter((f) => f.startsWith(`${id}-json.log`)).sort();
      assert.deepEqual(names.map((f) => f.slice(id.length)), ['-json.log', '-json.log.1.gz', '-json.log.2.gz'], 'dockerd names rotated files as berth does');
      for (const f of names) fs.copyFileSync(`${srcDir}/${f}`, `${dir}/${CONTAINER_ID}${f.slice(id.length)}`);

      const opts = { 'max-size': '1k', 'max-file': '3', compress: 'true' };
      const reader = await jsonFileLogDriverFactory.create(logContext(dir, opts));
      const all: LogMessage[] = [];
      for await (const m of reader.read!({ follow: false })) all.push(m as LogMessage);
      assert.ok(Buffer.concat(all.map((m) => m.line)).equals(d.dockerRaw('logs', id).stdout), 'all: same bytes as docker logs');
      assert.deepEqual(all[0].attrs, { team: 'a<b', tag: DOCKERD_IMAGE });
      const tail: LogMessage[] = [];
      for await (const m of reader.read!({ follow: false, tail: 20 })) tail.push(m as LogMessage);
      assert.ok(Buffer.concat(tail.map((m) => m.line)).equals(d.dockerRaw('logs', '--tail', '20', id).stdout), 'tail 20 (reaching into .1.gz): same as docker logs --tail 20');
      const { formatLogEntry } = await import('../../../core/logging');
      const detailed = Buffer.concat(tail.slice(-3).map((m) => formatLogEntry(m, { timestamps: true, details: true })));
      assert.equal(detailed.toString(), d.dockerRaw('logs', '--tail', '3', '--timestamps', '--details', id).stdout.toString(), 'docker logs -t --details');
      await reader.close();
    } finally {
      d.docker('rm', '-f', id);
    }
  });
});
