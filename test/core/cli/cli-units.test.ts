import * as assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { buildQuery, parseHost } from '../../../core/cli/api-client';
import { Demuxer, parseDetachKeys } from '../../../core/cli/attach-io';
import { startErrorStatus } from '../../../core/cli/cli-context';
import { ProgressRenderer, progressString } from '../../../core/cli/json-progress';
import { ago, humanDuration, humanSize, renderTemplate, table } from '../../../core/cli/output';
import { splitReference } from '../../../core/cli/pull-image';
import { splitCpArg } from '../../../core/cli/commands/transfer-commands';
import { toTimestamp } from '../../../core/cli/timestamps';

function sink(): { stream: PassThrough; text: () => string } {
  const s = new PassThrough();
  const chunks: Buffer[] = [];
  s.on('data', (c: Buffer) => chunks.push(c));
  return { stream: s, text: () => Buffer.concat(chunks).toString('utf8') };
}

function frame(type: number, s: string): Buffer {
  const h = Buffer.alloc(8);
  h[0] = type;
  h.writeUInt32BE(Buffer.byteLength(s), 4);
  return Buffer.concat([h, Buffer.from(s)]);
}

describe('core/cli: client-side pieces', () => {
  it('parses -H values and refuses unknown schemes', () => {
    assert.deepEqual(parseHost('unix:///run/berth/berth.sock'), { socketPath: '/run/berth/berth.sock' });
    assert.deepEqual(parseHost('/tmp/x.sock'), { socketPath: '/tmp/x.sock' });
    assert.deepEqual(parseHost('tcp://127.0.0.1:2375'), { host: '127.0.0.1', port: 2375 });
    assert.deepEqual(parseHost('tcp://[::1]:2376'), { host: '::1', port: 2376 });
    assert.throws(() => parseHost('ssh://box'), /invalid host "ssh:\/\/box"/);
  });

  it('builds query strings as Docker expects (booleans as 1/0, repeated keys)', () => {
    assert.equal(buildQuery({ all: true, size: false, limit: 3, x: undefined, names: ['a', 'b:c'] }), '?all=1&size=0&limit=3&names=a&names=b%3Ac');
    assert.equal(buildQuery({}), '');
  });

  it('demultiplexes 8-byte frames split anywhere into stdout and stderr', () => {
    const out = sink(); const err = sink();
    const d = new Demuxer(out.stream, err.stream);
    const bytes = Buffer.concat([frame(1, 'hello '), frame(2, 'oops\n'), frame(1, 'world\n'), frame(0, 'x')]);
    for (let i = 0; i < bytes.length; i += 3) d.push(bytes.subarray(i, i + 3));
    assert.equal(out.text(), 'hello world\nx');
    assert.equal(err.text(), 'oops\n');
    assert.equal(d.pending, 0);
    d.push(frame(1, 'partial').subarray(0, 10));
    assert.equal(d.pending, 10);
  });

  it('parses detach keys as docker does', () => {
    assert.deepEqual([...parseDetachKeys('ctrl-p,ctrl-q')], [16, 17]);
    assert.deepEqual([...parseDetachKeys('a,ctrl-@,ctrl-[')], [97, 0, 27]);
    assert.throws(() => parseDetachKeys('ctrl-1'), /^InvalidArgumentError: Invalid detach keys \(ctrl-1\) provided$/);
    assert.throws(() => parseDetachKeys('alt-x'), /^InvalidArgumentError: Invalid detach keys \(alt-x\) provided$/);
  });

  it('maps start errors to docker exit statuses', () => {
    assert.equal(startErrorStatus('exec: "nope": executable file not found in $PATH'), 127);
    assert.equal(startErrorStatus('container setup failed at exec /x: no such file or directory'), 127);
    assert.equal(startErrorStatus('exec /etc/passwd: permission denied'), 126);
    assert.equal(startErrorStatus('network bt-x not found'), 125);
  });

  it('splits image references and cp arguments', () => {
    assert.deepEqual(splitReference('busybox'), { fromImage: 'busybox', tag: 'latest' });
    assert.deepEqual(splitReference('127.0.0.1:5000/bt/x:v1'), { fromImage: '127.0.0.1:5000/bt/x', tag: 'v1' });
    assert.deepEqual(splitReference('127.0.0.1:5000/bt/x'), { fromImage: '127.0.0.1:5000/bt/x', tag: 'latest' });
    assert.deepEqual(splitReference('x@sha256:abc'), { fromImage: 'x', tag: 'sha256:abc' });
    assert.deepEqual(splitCpArg('web:/etc/hosts'), { container: 'web', path: '/etc/hosts' });
    assert.deepEqual(splitCpArg('./a:b'), { path: './a:b' });
    assert.deepEqual(splitCpArg('-'), { path: '-' });
  });

  it('reads --since/--until as docker does: durations before now, dates, unix seconds', () => {
    const now = Date.UTC(2024, 0, 2, 12, 0, 0, 500);
    // now is 1704196800.5
    assert.equal(toTimestamp('10m', '--since', now), '1704196200.500000000');
    assert.equal(toTimestamp('1h30m', '--since', now), '1704191400.500000000');
    assert.equal(toTimestamp('1.5s', '--since', now), '1704196799.000000000');
    assert.equal(toTimestamp('250ms', '--since', now), '1704196800.250000000');
    assert.equal(toTimestamp('1700000000', '--since', now), '1700000000');
    assert.equal(toTimestamp('1700000000.25', '--since', now), '1700000000.25');
    assert.equal(toTimestamp('2024-01-02T10:00:00Z', '--until', now), `${Date.UTC(2024, 0, 2, 10) / 1000}.000000000`);
    assert.equal(toTimestamp('2024-01-02T10:00:00+02:00', '--until', now), `${Date.UTC(2024, 0, 2, 8) / 1000}.000000000`);
    assert.throws(() => toTimestamp('yesterday', '--since', now), /invalid value for --since: "yesterday"/);
    assert.throws(() => toTimestamp('10x', '--since', now), /invalid value for --since/);
  });

  it('formats sizes, durations and tables like docker', () => {
    assert.equal(humanSize(0), '0B');
    assert.equal(humanSize(999), '999B');
    assert.equal(humanSize(1234567), '1.235MB');
    assert.equal(humanSize(4.2e9), '4.2GB');
    assert.equal(humanDuration(500), 'Less than a second');
    assert.equal(humanDuration(61_000), 'About a minute');
    assert.equal(humanDuration(3 * 3600_000), '3 hours');
    assert.equal(humanDuration(3 * 86400_000), '3 days');
    assert.equal(ago(1000, 1000 * 1000 + 5000), '5 seconds ago');
    assert.equal(table([['A', 'BB', 'C'], ['aaaa', 'b', '']]), 'A      BB   C\naaaa   b\n');
  });

  it('renders the --format subset of Go templates', () => {
    const o = { Name: 'web', State: { Running: true, Pid: 7 }, Labels: { b: '2', a: '1' } };
    assert.equal(renderTemplate('{{.Name}}\\t{{.State.Running}} {{.State.Pid}}', o), 'web\ttrue 7');
    assert.equal(renderTemplate('{{json .State}}', o), '{"Running":true,"Pid":7}');
    assert.equal(renderTemplate('{{.Labels}} {{.Missing}}', o), 'map[a:1 b:2] <no value>');
    assert.equal(renderTemplate('json', o), JSON.stringify(o));
  });

  it('draws docker\'s progress bar and numbers', () => {
    const p = progressString({ current: 5_000_000, total: 10_000_000 }, 200);
    assert.equal(p, `[${'='.repeat(25)}>${' '.repeat(25)}]      5MB/10MB`);
    assert.equal(progressString({ current: 5_000_000, total: 10_000_000 }, 80), '     5MB/10MB');
    assert.equal(progressString({}, 200), '');
  });

  it('off a terminal prints status lines only; on a terminal redraws each layer line in place', () => {
    const msgs = [
      { status: 'Pulling from bt/x', id: 'latest' },
      { status: 'Pulling fs layer', progressDetail: {}, id: 'aaaaaaaaaaaa' },
      { status: 'Pulling fs layer', progressDetail: {}, id: 'bbbbbbbbbbbb' },
      { status: 'Downloading', progressDetail: { current: 50, total: 100 }, progress: '[==>  ]', id: 'aaaaaaaaaaaa' },
      { status: 'Pull complete', progressDetail: {}, id: 'aaaaaaaaaaaa' },
      { status: 'Pull complete', progressDetail: {}, id: 'bbbbbbbbbbbb' },
      { status: 'Status: Downloaded newer image for bt/x:latest' },
    ];
    const plain = sink();
    const r1 = new ProgressRenderer(plain.stream, false);
    for (const m of msgs) r1.write(m);
    assert.equal(plain.text(), [
      'latest: Pulling from bt/x', 'aaaaaaaaaaaa: Pulling fs layer', 'bbbbbbbbbbbb: Pulling fs layer',
      'aaaaaaaaaaaa: Pull complete', 'bbbbbbbbbbbb: Pull complete', 'Status: Downloaded newer image for bt/x:latest', '',
    ].join('\n'));
    const tty = sink();
    const r2 = new ProgressRenderer(tty.stream, true, 200);
    for (const m of msgs) r2.write(m);
    const t = tty.text();
    // layer a is line 0, b line 1: updating a from below moves up 2 and back down 2
    assert.ok(t.includes('\x1b[2A\x1b[2K\raaaaaaaaaaaa: Downloading [=========================>'), JSON.stringify(t));
    assert.ok(t.includes('\x1b[2B'), JSON.stringify(t));
    assert.ok(t.includes('\x1b[1A\x1b[2K\rbbbbbbbbbbbb: Pull complete \r\x1b[1B'), JSON.stringify(t));
    assert.throws(() => r2.write({ error: 'manifest unknown', errorDetail: { message: 'manifest unknown: bt/x:nope' } }), /manifest unknown: bt\/x:nope/);
  });
});
