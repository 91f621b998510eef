import * as assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { Engine } from '../../../core/engine/engine';
import { isNotFound, isAlreadyExists, InvalidArgumentError, BerthError, httpStatusOf } from '../../../core/errors';

declare module '../../../core/engine/job-map' {
  interface JobMap {
    'test.echo': { input: { text: string }; output: { text: string; env: string } };
    'test.fail': { input: Record<string, never>; output: void };
    'test.crash': { input: Record<string, never>; output: void };
    'test.stream': { input: { n: number }; output: number };
  }
}

describe('core/engine: the job map', () => {
  it('runs a registered job with its typed input and environment', async () => {
    const engine = new Engine();
    engine.register('test.echo', (job) => ({ text: job.input.text.toUpperCase(), env: job.env.caller ?? '' }));
    const out = await engine.run('test.echo', { text: 'hi' }, { env: { caller: 'cli' } });
    assert.deepEqual(out, { text: 'HI', env: 'cli' });
    assert.deepEqual(engine.jobs(), ['test.echo']);
  });

  it('refuses an unknown job with a NotFound error naming it', async () => {
    const engine = new Engine();
    await assert.rejects(engine.run('test.echo', { text: 'x' }), (err: unknown) => {
      assert.ok(isNotFound(err));
      assert.equal((err as Error).message, 'no such job: test.echo');
      assert.equal(httpStatusOf(err), 404);
      return true;
    });
  });

  it('refuses a second registration of the same job, naming both owners', () => {
    const engine = new Engine();
    engine.register('test.echo', (job) => ({ text: job.input.text, env: '' }), 'graphdriver.a');
    assert.throws(() => engine.register('test.echo', (job) => ({ text: job.input.text, env: '' }), 'graphdriver.b'),
      (err: unknown) => isAlreadyExists(err) && /graphdriver\.a.*graphdriver\.b/.test((err as Error).message));
  });

  it('passes typed errors through and wraps anything else as Internal', async () => {
    const engine = new Engine();
    engine.register('test.fail', () => { throw new InvalidArgumentError('bad option: x'); });
    engine.register('test.crash', () => { throw new TypeError('boom'); });
    await assert.rejects(engine.run('test.fail', {}), (err: unknown) =>
      err instanceof BerthError && err.code === 'InvalidArgument' && err.httpStatus === 400);
    await assert.rejects(engine.run('test.crash', {}), (err: unknown) =>
      err instanceof BerthError && err.code === 'Internal' && err.message === 'boom' && err.cause instanceof TypeError);
  });

  it('gives the handler the job stdio streams', async () => {
    const engine = new Engine();
    engine.register('test.stream', (job) => {
      for (let i = 0; i < job.input.n; i++) job.io.stdout.write(`line ${i}\n`);
      return job.input.n;
    });
    const stdout = new PassThrough();
    const chunks: Buffer[] = [];
    stdout.on('data', (c: Buffer) => chunks.push(c));
    const stdin = new PassThrough();
    stdin.end();
    const n = await engine.run('test.stream', { n: 3 }, { io: { stdin, stdout, stderr: new PassThrough() } });
    assert.equal(n, 3);
    assert.equal(Buffer.concat(chunks).toString(), 'line 0\nline 1\nline 2\n');
  });

  it('traces every run in the debug log as +job and -job with status', async () => {
    const lines: string[] = [];
    const log = { debug: (_o: unknown, msg: string) => lines.push(msg) } as unknown as import('pino').Logger;
    const engine = new Engine(log);
    engine.register('test.fail', () => { throw new InvalidArgumentError('x'); });
    await engine.run('test.fail', {}).catch(() => undefined);
    assert.equal(lines[0], '+job test.fail');
    assert.match(lines[1], /^-job test\.fail ERR [0-9.]+ms$/);
  });
});
