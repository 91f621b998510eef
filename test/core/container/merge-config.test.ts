import * as assert from 'node:assert/strict';
import { entrypointAndArgs, mergeImageConfig, processEnv } from '../../../core/container/merge-config';
import { normaliseCreateBody } from '../../../core/container/normalise-create';
import { isInvalidArgument } from '../../../core/errors';

const support = { swapLimit: true, cpus: 2 };
const user = (body: Record<string, unknown>) => normaliseCreateBody({ Image: 'img', ...body }, support).config;
const image = {
  Env: ['PATH=/img/bin', 'LANG=C'], Cmd: ['nginx', '-g', 'daemon off;'], Entrypoint: ['/entry.sh'], WorkingDir: '/srv',
  User: 'www-data', ExposedPorts: { '80/tcp': {} }, Volumes: { '/data': {} }, Labels: { maintainer: 'img', tier: 'img' },
  StopSignal: 'SIGQUIT',
};

describe('merging a container config with its image (Docker rules)', () => {
  it('takes everything from the image when the user gives nothing', () => {
    const c = mergeImageConfig(user({}), image);
    assert.deepEqual(c.Cmd, image.Cmd);
    assert.deepEqual(c.Entrypoint, ['/entry.sh']);
    assert.deepEqual(c.Env, image.Env);
    assert.equal(c.WorkingDir, '/srv');
    assert.equal(c.User, 'www-data');
    assert.deepEqual(c.ExposedPorts, { '80/tcp': {} });
    assert.deepEqual(c.Volumes, { '/data': {} });
    assert.equal(c.StopSignal, 'SIGQUIT');
    assert.deepEqual(entrypointAndArgs(c), { path: '/entry.sh', args: ['nginx', '-g', 'daemon off;'] });
  });

  it('Env is the image\'s as it is when the user gives none: null for an image without Env, as dockerd', () => {
    assert.equal(mergeImageConfig(user({}), { Cmd: ['sh'] }).Env, null);
    assert.equal(mergeImageConfig(user({ Env: [] }), { Cmd: ['sh'] }).Env, null);
    assert.deepEqual(mergeImageConfig(user({ Env: null }), { Env: [] }).Env, []);
    assert.deepEqual(mergeImageConfig(user({ Env: ['A=1'] }), { Cmd: ['sh'] }).Env, ['A=1']);
    assert.deepEqual(processEnv({ Env: null, Hostname: 'h', Tty: false }, 'PATH=/default'), ['PATH=/default', 'HOSTNAME=h']);
  });

  it('user Cmd replaces the image Cmd but keeps the image Entrypoint', () => {
    const c = mergeImageConfig(user({ Cmd: ['sh'] }), image);
    assert.deepEqual(c.Cmd, ['sh']);
    assert.deepEqual(c.Entrypoint, ['/entry.sh']);
  });

  it('user Entrypoint drops the image Cmd', () => {
    const c = mergeImageConfig(user({ Entrypoint: ['/bin/echo'] }), image);
    assert.deepEqual(c.Entrypoint, ['/bin/echo']);
    assert.equal(c.Cmd, null);
    assert.deepEqual(entrypointAndArgs(c), { path: '/bin/echo', args: [] });
  });

  it('an empty Entrypoint (--entrypoint "") clears the image one and keeps the image Cmd', () => {
    const c = mergeImageConfig(user({ Entrypoint: [] }), image);
    assert.deepEqual(c.Entrypoint, []);
    assert.deepEqual(c.Cmd, image.Cmd);
    assert.deepEqual(entrypointAndArgs(c), { path: 'nginx', args: ['-g', 'daemon off;'] });
  });

  it('user Env wins by key and image Env is appended; labels and ports merge', () => {
    const c = mergeImageConfig(user({ Env: ['LANG=fr', 'X=1'], Labels: { tier: 'user' }, ExposedPorts: { '443/tcp': {} } }), image);
    assert.deepEqual(c.Env, ['LANG=fr', 'X=1', 'PATH=/img/bin']);
    assert.deepEqual(c.Labels, { tier: 'user', maintainer: 'img' });
    assert.deepEqual(Object.keys(c.ExposedPorts!).sort(), ['443/tcp', '80/tcp']);
  });

  it('no command at all is Docker\'s "No command specified"', () => {
    const c = mergeImageConfig(user({}), {});
    assert.throws(() => entrypointAndArgs(c), (e: unknown) => isInvalidArgument(e) && (e as Error).message === 'No command specified');
  });

  it('builds Docker\'s process environment', () => {
    assert.deepEqual(processEnv({ Env: ['PATH=/x', 'A=1', 'HOSTNAME'], Hostname: 'h', Tty: true }, 'PATH=/default'),
      ['PATH=/x', 'TERM=xterm', 'A=1']);
    assert.deepEqual(processEnv({ Env: [], Hostname: 'h', Tty: false }, 'PATH=/default'), ['PATH=/default', 'HOSTNAME=h']);
  });
});
