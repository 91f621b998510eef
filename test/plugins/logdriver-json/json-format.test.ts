import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { isInvalidArgument, type LogMessage } from '../../../core';
import { jsonFileLogDriverFactory } from '../../../plugins/logdriver-json/json-file-factory';
import { CONTAINER_ID, collect, logContext, makeTempDir, msgAt } from './log-test-env';

// 2026-01-02T03:04:05Z in ns since the epoch.
const T0 = BigInt(Date.UTC(2026, 0, 2, 3, 4, 5)) * 1_000_000_000n / 1000n;

describe('logdriver json-file: on-disk format', () => {
  let dir = '';
  beforeEach(() => { dir = makeTempDir(); });
  afterEach(() => { fs.rmSync(dir, { recursive: true, force: true }); });

  it('writes Docker json-file records byte for byte (escaping, invalid UTF-8, RFC3339Nano times)', async () => {
    const driver = await jsonFileLogDriverFactory.create(logContext(dir));
    const partial = { id: 'p'.repeat(64), ordinal: 1, last: false };
    const sample: Array<Parameters<typeof msgAt>> = [
      ['hello world\n', T0 + 123456789n],
      ['error: <a href="x">&amp;</a>\n', T0 + 120000000n, 'stderr'],
      ['tab\there\rcr \\ back "quote" \x01\x1b\n', T0],
      [Buffer.from([0x62, 0x69, 0x6e, 0xff, 0xc3, 0x28, 0xe2, 0x82, 0x0a]), T0 + 1n],
      [Buffer.from('caf\u00e9 \u20ac \u2028 \ufffd \ud83d\ude00\n'), T0 + 1000n],
      [Buffer.from([0xed, 0xa0, 0x80, 0xc0, 0xaf, 0xf4, 0x90, 0x80, 0x80, 0x0a]), T0 + 999999999n],
      ['no newline at end', T0 + 500000000n],
    ];
    for (const args of sample) await driver.log(msgAt(...args));
    await driver.log({ ...msgAt('piece', T0 + 7n), partial });
    await driver.log({ ...msgAt('rest\n', T0 + 7n), partial: { ...partial, ordinal: 2, last: true } });
    await driver.close();

    // What dockerd's json-file driver writes for the same messages (moby
    // jsonlog.JSONLogs.MarshalJSONBuf + ffjsonWriteJSONBytesAsString, times
    // as time.RFC3339Nano), one record per line.
    const expected = [
      String.raw`{"log":"hello world\n","stream":"stdout","time":"2026-01-02T03:04:05.123456789Z"}`,
      String.raw`{"log":"error: \u003ca href=\"x\"\u003e\u0026amp;\u003c/a\u003e\n","stream":"stderr","time":"2026-01-02T03:04:05.12Z"}`,
      String.raw`{"log":"tab\u0009here\rcr \\ back \"quote\" \u0001\u001b\n","stream":"stdout","time":"2026-01-02T03:04:05Z"}`,
      String.raw`{"log":"bin\ufffd\ufffd(\ufffd\ufffd\n","stream":"stdout","time":"2026-01-02T03:04:05.000000001Z"}`,
      '{"log":"caf\u00e9 \u20ac \\u2028 \ufffd \ud83d\ude00\\n","stream":"stdout","time":"2026-01-02T03:04:05.000001Z"}',
      String.raw`{"log":"\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd\n","stream":"stdout","time":"2026-01-02T03:04:05.999999999Z"}`,
      String.raw`{"log":"no newline at end\n","stream":"stdout","time":"2026-01-02T03:04:05.5Z"}`,
      String.raw`{"log":"piece","stream":"stdout","time":"2026-01-02T03:04:05.000000007Z"}`,
      String.raw`{"log":"rest\n","stream":"stdout","time":"2026-01-02T03:04:05.000000007Z"}`,
    ].join('\n') + '\n';
    const got = fs.readFileSync(`${dir}/${CONTAINER_ID}-json.log`);
    assert.equal(got.toString('utf8'), expected);
    assert.ok(got.equals(Buffer.from(expected, 'utf8')));

    // Reading back gives what a JSON decoder gives (the byte scanner must agree with JSON.parse), partials joined.
    const reader = await jsonFileLogDriverFactory.create(logContext(dir));
    const back = await collect<LogMessage>(reader.read!({ follow: false }));
    const records = expected.trimEnd().split('\n').map((r) => JSON.parse(r) as { log: string; stream: string });
    const want = records.slice(0, 7).map((r) => Buffer.from(r.log).toString('hex'));
    want.push(Buffer.from('piecerest\n').toString('hex'));
    assert.deepEqual(back.map((m) => m.line.toString('hex')), want);
    assert.deepEqual(back.map((m) => m.source), ['stdout', 'stderr', 'stdout', 'stdout', 'stdout', 'stdout', 'stdout', 'stdout']);
    assert.equal(back[0].timeNs, T0 + 123456789n);
    await reader.close();
  });

  it('reads records written in another key order or spacing (JSON fallback)', async () => {
    fs.writeFileSync(`${dir}/${CONTAINER_ID}-json.log`, [
      '{"stream":"stderr","log":"a\\u0041\\n","time":"2026-01-02T03:04:05.5+01:00"}',
      '{ "log": "b\\n", "stream": "stdout", "time": "2026-01-02T03:04:05Z" }',
      'not json at all',
    ].join('\n') + '\n');
    const reader = await jsonFileLogDriverFactory.create(logContext(dir));
    const back = await collect<LogMessage>(reader.read!({ follow: false }));
    assert.deepEqual(back.map((m) => [m.source, m.line.toString()]), [['stderr', 'aA\n'], ['stdout', 'b\n']]);
    assert.equal(back[0].timeNs, T0 - 3_600_000_000_000n + 500_000_000n);
    await reader.close();
  });

  it('adds attrs from labels, env and tag as Docker does (sorted keys, HTML-escaped)', async () => {
    const ctx = logContext(dir, { labels: 'com.example.team,missing', env: 'STAGE,NOPE', tag: '{{.Name}}/{{.ID}}' }, {
      containerLabels: { 'com.example.team': 'a<b', other: 'x' },
      containerEnv: ['STAGE=prod&test', 'PATH=/bin'],
    });
    const driver = await jsonFileLogDriverFactory.create(ctx);
    await driver.log(msgAt('x\n', T0));
    await driver.close();
    const got = fs.readFileSync(`${dir}/${CONTAINER_ID}-json.log`, 'utf8');
    assert.equal(got, String.raw`{"log":"x\n","stream":"stdout","attrs":{"STAGE":"prod\u0026test","com.example.team":"a\u003cb","tag":"berth-test/c0ffee000000"},"time":"2026-01-02T03:04:05Z"}` + '\n');
    const [m] = await (async () => { const out = []; for await (const x of driver.read!({ follow: false })) out.push(x); return out; })();
    assert.deepEqual(m.attrs, { STAGE: 'prod&test', 'com.example.team': 'a<b', tag: 'berth-test/c0ffee000000' });
  });

  it('puts the file at <containerDir>/<id>-json.log and reports it as LogPath', async () => {
    assert.equal(jsonFileLogDriverFactory.logPath!({ containerId: CONTAINER_ID, containerDir: dir }), `${dir}/${CONTAINER_ID}-json.log`);
    const driver = await jsonFileLogDriverFactory.create(logContext(dir));
    await driver.close();
    assert.ok(fs.existsSync(`${dir}/${CONTAINER_ID}-json.log`));
    assert.equal(fs.statSync(`${dir}/${CONTAINER_ID}-json.log`).mode & 0o777, 0o640);
  });

  it('refuses unknown and bad options with InvalidArgumentError naming the option', () => {
    const bad: Array<[Record<string, string>, RegExp]> = [
      [{ 'max-sise': '10m' }, /unknown log opt 'max-sise' for json-file log driver/],
      [{ 'max-size': 'ten' }, /'max-size'.*invalid size: 'ten'/],
      [{ 'max-size': '0' }, /'max-size'.*positive/],
      [{ 'max-file': '0' }, /'max-file'.*less than 1/],
      [{ 'max-file': 'x' }, /'max-file'/],
      [{ compress: 'true', 'max-size': '1m' }, /'compress'.*max-file is less than 2/],
      [{ compress: 'maybe' }, /'compress'/],
      [{ mode: 'fast' }, /'mode'.*not supported: fast/],
      [{ 'max-buffer-size': '4m' }, /'max-buffer-size'.*only supported with 'mode=non-blocking'/],
      [{ tag: '{{.Nope}}' }, /'tag'.*\.Nope/],
      [{ 'labels-regex': '(' }, /'labels-regex'/],
    ];
    for (const [opts, re] of bad) {
      assert.throws(() => jsonFileLogDriverFactory.validate(opts), (err: unknown) => isInvalidArgument(err) && re.test((err as Error).message), JSON.stringify(opts));
    }
    jsonFileLogDriverFactory.validate({
      'max-size': '10m', 'max-file': '3', compress: 'true', labels: 'a', env: 'B', tag: '{{.ImageName}}',
      'labels-regex': '^a', 'env-regex': '^B', mode: 'non-blocking', 'max-buffer-size': '4m',
    });
  });
});
