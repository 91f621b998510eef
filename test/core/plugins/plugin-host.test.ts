import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { defaultConfig } from '../../../core/config/defaults';
import type { DaemonConfig } from '../../../core/config/daemon-config';
import { createKernel, type OwnedKernel } from '../../../core/daemon/create-kernel';
import { isInvalidArgument, isNotFound } from '../../../core/errors';
import { orderPlugins } from '../../../core/plugins/plugin-order';

/** Writes a third-party plugin module (plain CommonJS, as an npm author would ship it) into `dir`. */
function writePlugin(dir: string, name: string, body: string): string {
  const d = path.join(dir, name);
  fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(d, 'package.json'), JSON.stringify({ name, version: '1.0.0', main: 'index.js' }));
  fs.writeFileSync(path.join(d, 'index.js'), body);
  return d;
}

const manifest = (fields: string, init = ''): string => `
module.exports = { default: { version: '1.2.3', apiVersion: '^1.0.0', ${fields},
  async init(ctx) { ${init} } } };`;

describe('core/plugins: the plugin host', () => {
  let dir: string;
  let kernel: OwnedKernel | undefined;
  const log = pino({ level: 'silent' });
  const config = (over: Partial<DaemonConfig>): DaemonConfig => ({
    ...defaultConfig(), 'data-root': path.join(dir, 'root'), 'exec-root': path.join(dir, 'run'), ...over,
  });
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-plugins-')); });
  afterEach(async () => {
    await kernel?.close();
    kernel = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('loads a third-party plugin from a path outside the repo and lists it', async () => {
    const p = writePlugin(dir, 'berth-hello', manifest(`kind: 'generic', id: 'hello', requires: []`,
      `ctx.provide('hello:greeter', { greet: (n) => 'hello ' + n + ' from ' + ctx.uri + ' ' + ctx.options.punct });
       ctx.engine.register('hello.greet', (job) => 'hi ' + job.input.name, ctx.uri);`)
      .replace("async init", "optionsSchema: { type: 'object', properties: { punct: { type: 'string' } }, additionalProperties: false }, defaults: { punct: '!' }, async init"));
    kernel = await createKernel(config({ plugins: [p] }), log, { builtins: [] });
    const list = await kernel.engine.run('engine.plugins', {});
    assert.equal(list.length, 1);
    assert.equal(list[0].uri, 'generic.hello');
    assert.equal(list[0].status, 'ok');
    assert.equal(list[0].version, '1.2.3');
    assert.equal(list[0].source, require.resolve(p));
    const greeter = kernel.plugins.resolve<{ greet(n: string): string }>('hello:greeter');
    assert.equal(greeter.greet('you'), 'hello you from generic.hello !');
    assert.equal(await kernel.engine.run('hello.greet' as 'engine.ping', { name: 'x' } as never), 'hi x');
    assert.ok(fs.statSync(path.join(dir, 'root/plugins/generic.hello')).isDirectory());
  });

  it('refuses a plugin written for another plugin API version', async () => {
    const p = writePlugin(dir, 'old', manifest(`kind: 'generic', id: 'old'`).replace("'^1.0.0'", "'^0.9.0'"));
    await assert.rejects(createKernel(config({ plugins: [p] }), log, { builtins: [] }), (err: unknown) => {
      assert.ok(isInvalidArgument(err));
      assert.match((err as Error).message, /plugin generic\.old .*written for plugin API \^0\.9\.0, but this berth implements 1\.0\.0/);
      return true;
    });
  });

  it('refuses a manifest with missing fields, naming the module and the fields', async () => {
    const p = writePlugin(dir, 'broken', `module.exports = { kind: 'storage', id: 'X' };`);
    await assert.rejects(createKernel(config({ plugins: [p] }), log, { builtins: [] }),
      /plugin .*broken: invalid manifest: kind must be one of .*; id must match .*; version must be a semver version; apiVersion must be a semver range; init must be a function/);
  });

  it('refuses a dependency cycle, naming the plugins on it', async () => {
    const a = writePlugin(dir, 'a', manifest(`kind: 'generic', id: 'a', requires: ['generic.b']`));
    const b = writePlugin(dir, 'b', manifest(`kind: 'generic', id: 'b', requires: ['generic.a']`));
    await assert.rejects(createKernel(config({ plugins: [a, b] }), log, { builtins: [] }),
      /plugin dependency cycle: generic\.a -> generic\.b -> generic\.a/);
  });

  it('refuses two plugins with the same URI, naming both sources', async () => {
    const a = writePlugin(dir, 'one', manifest(`kind: 'generic', id: 'same'`));
    const b = writePlugin(dir, 'two', manifest(`kind: 'generic', id: 'same'`));
    await assert.rejects(createKernel(config({ plugins: [a, b] }), log, { builtins: [] }),
      (err: unknown) => /duplicate plugin generic\.same: provided by both .*one and .*two/.test((err as Error).message));
  });

  it('refuses bad options, naming the plugin and the option', async () => {
    const p = writePlugin(dir, 'opts', manifest(`kind: 'generic', id: 'opts',
      optionsSchema: { type: 'object', properties: { size: { type: 'integer' } }, additionalProperties: false }`));
    await assert.rejects(createKernel(config({ plugins: [{ module: p, options: { size: 'big', colour: 1 } }] }), log, { builtins: [] }),
      (err: unknown) => {
        const m = (err as Error).message;
        assert.match(m, /plugin generic\.opts: option \/size: must be integer/);
        assert.match(m, /plugin generic\.opts: option \/colour: unknown key "colour"/);
        return true;
      });
  });

  it('records a plugin whose init fails and keeps booting; dependants fail too', async () => {
    const bad = writePlugin(dir, 'bad', manifest(`kind: 'generic', id: 'bad'`, `throw new Error('no backing filesystem');`));
    const dep = writePlugin(dir, 'dep', manifest(`kind: 'generic', id: 'dep', requires: ['generic.bad']`));
    const good = writePlugin(dir, 'good', manifest(`kind: 'generic', id: 'good'`, `ctx.provide('good:x', 1);`));
    kernel = await createKernel(config({ plugins: [bad, dep, good] }), log, { builtins: [] });
    const byUri = Object.fromEntries(kernel.plugins.list().map((s) => [s.uri, s]));
    assert.equal(byUri['generic.bad'].status, 'failed');
    assert.equal(byUri['generic.bad'].error, 'no backing filesystem');
    assert.equal(byUri['generic.dep'].status, 'failed');
    assert.equal(byUri['generic.dep'].error, 'requires generic.bad, which did not load');
    assert.equal(byUri['generic.good'].status, 'ok');
    assert.equal(kernel.plugins.resolve('good:x'), 1);
  });

  it('stops booting when a plugin marked required fails', async () => {
    const bad = writePlugin(dir, 'req', manifest(`kind: 'generic', id: 'req'`, `throw new Error('kernel too old');`));
    await assert.rejects(createKernel(config({ plugins: [{ module: bad, required: true }] }), log, { builtins: [] }),
      /required plugin generic\.req failed to initialise: kernel too old/);
  });

  it('inits plugins after what they require, by URI or by kind', () => {
    const order = orderPlugins([
      { uri: 'registry.distribution', kind: 'registry', requires: ['graphdriver'] },
      { uri: 'graphdriver.overlay2', kind: 'graphdriver', requires: [] },
      { uri: 'networkdriver.bridge', kind: 'networkdriver', requires: ['execdriver.native'] },
      { uri: 'graphdriver.vfs', kind: 'graphdriver', requires: [] },
      { uri: 'execdriver.native', kind: 'execdriver', requires: [] },
    ]).map((p) => p.uri);
    assert.deepEqual(order, ['graphdriver.overlay2', 'graphdriver.vfs', 'registry.distribution', 'execdriver.native', 'networkdriver.bridge']);
  });

  it('names what is available when nothing provides a name', async () => {
    const p = writePlugin(dir, 'gd', manifest(`kind: 'graphdriver', id: 'fake'`, `ctx.provide('graphdriver:fake', {});`));
    kernel = await createKernel(config({ plugins: [p] }), log, { builtins: [] });
    assert.throws(() => kernel!.plugins.resolve('graphdriver:zfs'),
      (err: unknown) => isNotFound(err) && (err as Error).message === 'nothing provides graphdriver:zfs (available: graphdriver:fake)');
  });

  it('closes plugins in reverse init order', async () => {
    const log2: string[] = [];
    (globalThis as Record<string, unknown>).__berthCloseLog = log2;
    const a = writePlugin(dir, 'ca', manifest(`kind: 'generic', id: 'ca', close() { globalThis.__berthCloseLog.push('a'); }`));
    const b = writePlugin(dir, 'cb', manifest(`kind: 'generic', id: 'cb', requires: ['generic.ca'], close() { globalThis.__berthCloseLog.push('b'); }`,
      `ctx.onClose(() => globalThis.__berthCloseLog.push('b:onClose'));`));
    const k = await createKernel(config({ plugins: [b, a] }), log, { builtins: [] });
    await k.close();
    assert.deepEqual(log2, ['b:onClose', 'b', 'a']);
    delete (globalThis as Record<string, unknown>).__berthCloseLog;
  });
});
