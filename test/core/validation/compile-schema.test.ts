import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Ajv from 'ajv';
import { ajvOptions, compileSchema, GENERATED_DIR, isPrecompiled, lazySchema, schemaKey } from '../../../core/validation/compile-schema';
import { precompile, staticSchemas } from '../../../core/validation/precompile';
import { daemonConfigSchema } from '../../../core/config/schema';
import { containerCreateSchema, CREATE_SCHEMA_OPTIONS } from '../../../core/container/create-schema';
import { SECCOMP_PROFILE_SCHEMA } from '../../../plugins/execdriver-native/seccomp-profile';

const DIST = path.resolve(__dirname, '../../..');

describe('core/validation: schemas precompiled at build time', () => {
  let dir = '';
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-schemas-')); });
  after(() => { fs.rmSync(dir, { recursive: true, force: true }); });

  it('the build precompiled every schema berth knows at build time', function () {
    this.timeout(20000);
    // listed by a fresh process, as the build does (plugins compile their own schemas as they load)
    const r = spawnSync(process.execPath, [path.join(DIST, 'core/validation/precompile.js'), '--list'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const all = new Set(r.stdout.split('\n').filter(Boolean));
    // daemon.json, volume create, container create, the API bodies, the built-in plugins' options, seccomp
    assert.ok(all.size >= 15, `only ${all.size} schemas found`);
    assert.ok(all.has(schemaKey(daemonConfigSchema, { allErrors: true })), 'daemon.json\'s schema');
    assert.ok(all.has(schemaKey(containerCreateSchema, CREATE_SCHEMA_OPTIONS)), 'container create\'s schema');
    assert.ok(all.has(schemaKey(SECCOMP_PROFILE_SCHEMA, { allErrors: false })), 'the native exec driver\'s seccomp profile schema');
    assert.ok(staticSchemas().size >= all.size - 1, 'core\'s own list does not depend on what this process loaded');
    const missing = [...all].filter((k) => !fs.existsSync(path.join(GENERATED_DIR, `${k}.js`)));
    assert.deepEqual(missing, [], 'run `npm run build:ts`: these have no generated module');
  });

  it('a precompiled validator gives ajv\'s own answers and errors', () => {
    assert.ok(isPrecompiled(daemonConfigSchema, { allErrors: true }));
    const pre = compileSchema(daemonConfigSchema, { allErrors: true });
    const ajv = new Ajv(ajvOptions({ allErrors: true })).compile(daemonConfigSchema);
    for (const doc of [{ debug: true }, { debug: 'yes', bogus: 1 }, { 'log-level': 'loud' }, { bip: 7, 'default-ulimits': 3 }]) {
      assert.equal(pre(doc), ajv(doc), JSON.stringify(doc));
      assert.deepEqual(pre.errors ?? null, ajv.errors ?? null, JSON.stringify(doc));
    }
    assert.equal(pre({ bogus: 1 }), false, 'an unknown key is an error');
  });

  it('fills in defaults where the options ask for it (a plugin\'s options, compiled at run time)', () => {
    const schema = { type: 'object', properties: { size: { type: 'integer', default: 4 } } };
    const v = compileSchema(schema, { useDefaults: true });
    const data: Record<string, unknown> = {};
    assert.equal(v(data), true);
    assert.deepEqual(data, { size: 4 });
  });

  it('compiles a schema the build did not know (a third-party plugin\'s) with ajv at run time', () => {
    const schema = { type: 'object', required: ['x'], properties: { x: { type: 'string' } }, additionalProperties: false };
    assert.equal(isPrecompiled(schema), false);
    const v = compileSchema(schema);
    assert.equal(v({ x: 'a' }), true);
    assert.equal(v({ y: 1 }), false);
    assert.equal(v.errors?.[0].keyword, 'required');
    assert.throws(() => compileSchema({ type: 'no-such-type' }), /schema is invalid/, 'an invalid schema is refused by ajv');
  });

  it('lazySchema compiles at the first validation and keeps the errors', () => {
    const v = lazySchema({ type: 'integer' });
    assert.equal(v(1), true);
    assert.equal(v('x'), false);
    assert.equal(v.errors?.[0].keyword, 'type');
  });

  it('writes the generated set into a fresh directory as a whole, replacing the old one', () => {
    const out = path.join(dir, 'generated');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'stale.js'), 'module.exports = () => true;');
    const n = precompile(out);
    const files = fs.readdirSync(out);
    assert.equal(files.length, n);
    assert.ok(!files.includes('stale.js'), 'the old set is gone');
    assert.deepEqual(fs.readdirSync(dir).sort(), ['generated'], 'no temporary directory left beside it');
  });

  it('a daemon validating config, plugin options, request bodies and container create never loads ajv', function () {
    this.timeout(30000);
    const probe = path.join(dir, 'probe.js');
    const file = path.join(dir, 'daemon.json');
    fs.writeFileSync(file, JSON.stringify({ 'log-level': 'warn', 'plugin-options': { 'networkdriver.bridge': {} } }));
    fs.writeFileSync(probe, [
      `const dist = ${JSON.stringify(DIST)};`,
      "const { loadConfig } = require(dist + '/core/config/load-config');",
      "const { PluginHost } = require(dist + '/core/plugins/plugin-host');",
      "const { compileBodySchema } = require(dist + '/core/api/request-body');",
      "const { allRoutes } = require(dist + '/core/api/routes');",
      "const { checkCreateBodyTypes } = require(dist + '/core/container/create-schema');",
      `const config = loadConfig({ file: ${JSON.stringify(file)}, flags: { debug: true } });`,
      'new PluginHost({ config }).load();',
      "const create = allRoutes.find((r) => r.path === '/containers/create');",
      "compileBodySchema(create.schema)({ Image: 'busybox', Cmd: ['true'] });",
      "checkCreateBodyTypes({ Image: 'busybox', HostConfig: { Memory: 1 } });",
      "let refused = ''; try { checkCreateBodyTypes({ Image: 'busybox', HostConfig: { Memory: 'x' } }); } catch (e) { refused = e.message; }",
      "process.stdout.write(JSON.stringify({ refused, ajv: Object.keys(require.cache).filter((k) => /node_modules\\/ajv\\/dist\\/(ajv|core)\\.js$/.test(k)) }));",
    ].join('\n'));
    const r = spawnSync(process.execPath, [probe], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { refused: string; ajv: string[] };
    assert.match(out.refused, /\/HostConfig\/Memory/, 'the precompiled create validator still names the field');
    assert.deepEqual(out.ajv, [], 'ajv was loaded');
  });
});
