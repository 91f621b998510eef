import * as assert from 'node:assert/strict';
import { isInvalidArgument } from '../../../core/errors';
import { applyChanges } from '../../../core/image/changes';

describe('image --change instructions', () => {
  it('applies Dockerfile-style changes to a run config without touching the base', () => {
    const base = { Env: ['PATH=/bin', 'A=0'], Cmd: ['sh'] };
    const cfg = applyChanges(base, [
      'CMD ["echo", "hi"]', 'ENTRYPOINT /bin/run --x', 'ENV A=1 B="two words"', 'ENV C three',
      'EXPOSE 80 53/udp', 'LABEL org.x=y', 'USER 33:33', 'WORKDIR /srv', 'VOLUME ["/data"]', 'STOPSIGNAL SIGINT',
    ]);
    assert.deepEqual(cfg.Cmd, ['echo', 'hi']);
    assert.deepEqual(cfg.Entrypoint, ['/bin/sh', '-c', '/bin/run --x']);
    assert.deepEqual(cfg.Env, ['PATH=/bin', 'A=1', 'B=two words', 'C=three']);
    assert.deepEqual(cfg.ExposedPorts, { '80/tcp': {}, '53/udp': {} });
    assert.deepEqual(cfg.Labels, { 'org.x': 'y' });
    assert.equal(cfg.User, '33:33');
    assert.equal(cfg.WorkingDir, '/srv');
    assert.deepEqual(cfg.Volumes, { '/data': {} });
    assert.equal(cfg.StopSignal, 'SIGINT');
    assert.deepEqual(base, { Env: ['PATH=/bin', 'A=0'], Cmd: ['sh'] });
  });

  it('rejects instructions that are not changes, naming them', () => {
    assert.throws(() => applyChanges({}, ['RUN rm -rf /']), (e: unknown) => isInvalidArgument(e) && /RUN is not a valid change command/.test((e as Error).message));
    assert.throws(() => applyChanges({}, ['EXPOSE eighty']), (e: unknown) => isInvalidArgument(e) && /invalid port "eighty"/.test((e as Error).message));
  });
});
