import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '../../../core/config/load-config';
import { isInvalidArgument } from '../../../core/errors';

const run = promisify(execFile);
const BERTHD = path.resolve(__dirname, '../../../core/bin/berthd.js');

describe('core/config: daemon.json', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-config-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (obj: unknown, name = 'daemon.json'): string => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, typeof obj === 'string' ? obj : JSON.stringify(obj));
    return f;
  };

  it('fills defaults and freezes the result', () => {
    const cfg = loadConfig({ file: write({ 'storage-driver': 'vfs' }) });
    assert.equal(cfg['storage-driver'], 'vfs');
    assert.equal(cfg['data-root'], '/var/lib/berth');
    assert.deepEqual(cfg.hosts, ['unix:///run/berth/berth.sock']);
    assert.ok(Object.isFrozen(cfg) && Object.isFrozen(cfg['log-opts']));
  });

  it('names the file and the JSON pointer of a bad value', () => {
    const f = write({ 'log-opts': { 'max-size': '10 megabytes' } });
    assert.throws(() => loadConfig({ file: f }), (err: unknown) => {
      assert.ok(isInvalidArgument(err));
      assert.equal((err as Error).message, 'daemon.json: /log-opts/max-size: must match pattern "^[0-9]+[kmg]?$"');
      return true;
    });
  });

  it('reports every error, with the expected type', () => {
    const f = write({ debug: 'yes', 'max-concurrent-downloads': 0 });
    assert.throws(() => loadConfig({ file: f }), (err: unknown) => {
      const msg = (err as Error).message;
      assert.match(msg, /daemon\.json: \/debug: must be boolean/);
      assert.match(msg, /daemon\.json: \/max-concurrent-downloads: must be >= 1/);
      return true;
    });
  });

  it('refuses unknown top-level keys, as dockerd does', () => {
    const f = write({ 'storage-drvier': 'vfs' });
    assert.throws(() => loadConfig({ file: f }), /daemon\.json: \/storage-drvier: unknown key "storage-drvier"/);
  });

  it('says where invalid JSON is', () => {
    const f = write('{ "debug": true, }');
    assert.throws(() => loadConfig({ file: f }), /daemon\.json: invalid JSON: .*position/);
  });

  it('lets flags override defaults but refuses a key set both by flag and file', () => {
    const f = write({ 'data-root': '/srv/berth' });
    const cfg = loadConfig({ file: f, flags: { 'exec-root': '/tmp/x' } });
    assert.equal(cfg['exec-root'], '/tmp/x');
    assert.throws(() => loadConfig({ file: f, flags: { 'data-root': '/other' } }), (err: unknown) => {
      assert.match((err as Error).message, /specified both as a flag and in the configuration file: data-root: \(from flag: "\/other", from file: "\/srv\/berth"\)/);
      return true;
    });
  });

  it('refuses an explicitly named config file that does not exist', () => {
    assert.throws(() => loadConfig({ file: path.join(dir, 'nope.json') }), /nope\.json: cannot read config file/);
  });

  it('berthd --validate prints each error with file and pointer and exits 1', async () => {
    const f = write({ 'log-opts': { 'max-file': '0' }, bip: 'not-a-cidr', colour: 'blue' });
    const err = await run(process.execPath, [BERTHD, '--validate', '--config-file', f]).then(() => null, (e: { code: number; stderr: string }) => e);
    assert.ok(err, 'berthd --validate should fail');
    assert.equal(err.code, 1);
    const lines = err.stderr.trim().split('\n');
    assert.deepEqual(lines.sort(), [
      'daemon.json: /bip: must match pattern "^[0-9.]+/[0-9]{1,2}$"',
      'daemon.json: /colour: unknown key "colour"',
      'daemon.json: /log-opts/max-file: must match pattern "^[1-9][0-9]*$"',
    ]);
  });

  it('berthd --validate exits 0 and says so for a good file', async () => {
    const f = write({ 'storage-driver': 'overlay2', 'log-opts': { 'max-size': '10m', 'max-file': '3' } });
    const { stdout } = await run(process.execPath, [BERTHD, '--validate', '--config-file', f]);
    assert.equal(stdout, 'configuration OK\n');
  });
});
