import * as assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { splitVersion } from '../../../core/api/api-version';
import { DetachKeyScanner, parseDetachKeys } from '../../../core/api/detach-keys';
import { parseHost } from '../../../core/api/listeners';
import { parseBool, parseFilters, readQuery } from '../../../core/api/query';
import { compileBodySchema, parseJsonBody } from '../../../core/api/request-body';
import { containerCreateSchema } from '../../../core/api/schemas/container';
import { demux, frame } from '../../../core/api/stdcopy';

describe('api units', () => {
  describe('splitVersion', () => {
    it('splits versioned paths and defaults unversioned ones to 1.41', () => {
      assert.deepEqual(splitVersion('/v1.24/containers/json'), { version: '1.24', path: '/containers/json' });
      assert.deepEqual(splitVersion('/v1.41/info'), { version: '1.41', path: '/info' });
      assert.deepEqual(splitVersion('/_ping'), { version: '1.41', path: '/_ping' });
    });
    it('refuses versions outside 1.24..1.41 with Docker messages', () => {
      assert.throws(() => splitVersion('/v1.50/info'), /client version 1.50 is too new. Maximum supported API version is 1.41/);
      assert.throws(() => splitVersion('/v1.12/info'), /client version 1.12 is too old. Minimum supported API version is 1.24/);
    });
  });

  describe('query', () => {
    it('reads booleans the way Docker does', () => {
      for (const f of ['', '0', 'no', 'false', 'FALSE', 'none']) assert.equal(parseBool(f), false, f);
      for (const t of ['1', 'true', 'yes', 'True']) assert.equal(parseBool(t), true, t);
    });
    it('normalises both filter forms and rejects other shapes', () => {
      assert.deepEqual(parseFilters('{"status":["running"],"label":{"a=b":true,"c":false}}'), { status: ['running'], label: ['a=b'] });
      assert.throws(() => parseFilters('{"status":"running"}'), /invalid filter 'status'/);
      assert.throws(() => parseFilters('{bad'), /invalid filter/);
    });
    it('types declared parameters and names the bad one', () => {
      const q = readQuery(new URLSearchParams('all=1&limit=3&names=a&names=b&x=9'), { all: 'bool', limit: 'int', names: 'list' });
      assert.deepEqual(q, { all: true, limit: 3, names: ['a', 'b'] });
      assert.throws(() => readQuery(new URLSearchParams('t=ten'), { t: 'int' }), /query parameter t: "ten" is not an integer/);
    });
  });

  describe('request bodies', () => {
    it('names the JSON problem and the bad field', () => {
      assert.throws(() => parseJsonBody(Buffer.from('{"Image": }')), /invalid JSON in request body/);
      assert.equal(parseJsonBody(Buffer.from('  ')), undefined);
      const v = compileBodySchema(containerCreateSchema);
      v({ Image: 'busybox', Cmd: ['true'], HostConfig: { Memory: 1024, RestartPolicy: { Name: 'always' } } });
      v({ Image: 'busybox', Cmd: 'echo hi', Env: null });
      assert.throws(() => v({ Image: 'busybox', HostConfig: { Memory: '1g' } }), /invalid value for HostConfig\.Memory: must be integer/);
      assert.throws(() => v({ Image: 'busybox', Env: [1] }), /invalid value for Env\[0\]: must be string/);
      assert.throws(() => v({ HostConfig: { RestartPolicy: { Name: 'sometimes' } } }), /HostConfig\.RestartPolicy\.Name: must be one of/);
    });
  });

  describe('stdcopy', () => {
    it('frames with an 8-byte header and demuxes back', () => {
      const f = frame(2, Buffer.from('oops\n'));
      assert.deepEqual([...f.subarray(0, 8)], [2, 0, 0, 0, 0, 0, 0, 5]);
      const { frames, rest } = demux(Buffer.concat([frame(1, Buffer.from('a')), f, Buffer.from([1, 0])]));
      assert.deepEqual(frames.map((x) => [x.type, x.data.toString()]), [[1, 'a'], [2, 'oops\n']]);
      assert.equal(rest.length, 2);
    });
  });

  describe('detach keys', () => {
    it('parses Docker key syntax', () => {
      assert.deepEqual([...parseDetachKeys('ctrl-p,ctrl-q')], [16, 17]);
      assert.deepEqual([...parseDetachKeys('a,ctrl-@,ctrl-[')], [97, 0, 27]);
      assert.throws(() => parseDetachKeys('ctrl-1'), /Invalid detach keys \(ctrl-1\) provided/);
    });
    it('passes bytes through, holds partial matches, and ends on the sequence', async () => {
      let detached = false;
      const s = new DetachKeyScanner(parseDetachKeys('ctrl-p,ctrl-q'), () => { detached = true; });
      const out: Buffer[] = [];
      s.on('data', (b: Buffer) => out.push(b));
      const ended = new Promise((r) => s.on('end', r));
      const src = new PassThrough();
      src.pipe(s);
      src.write(Buffer.from([104, 16]));     // 'h', ctrl-p (held)
      src.write(Buffer.from([105, 16]));     // 'i' releases ctrl-p; ctrl-p held again
      src.write(Buffer.from([17, 120]));     // ctrl-q completes: detach; 'x' is dropped
      await ended;
      assert.equal(detached, true);
      assert.deepEqual([...Buffer.concat(out)], [104, 16, 105]);
    });
  });

  describe('hosts', () => {
    it('parses unix and tcp addresses and refuses others', () => {
      assert.deepEqual(parseHost('unix:///tmp/x.sock'), { kind: 'unix', path: '/tmp/x.sock' });
      assert.deepEqual(parseHost('unix://'), { kind: 'unix', path: '/run/berth/berth.sock' });
      assert.deepEqual(parseHost('tcp://127.0.0.1:2376'), { kind: 'tcp', host: '127.0.0.1', port: 2376 });
      assert.throws(() => parseHost('fd://'), /only unix:\/\/ and tcp:\/\//);
      assert.throws(() => parseHost('bogus'), /invalid host bogus/);
    });
  });
});
