import * as assert from 'node:assert/strict';
import { isInvalidArgument } from '../../../core/errors';
import { familiarString, parseReference, referenceString, withDefaultTag } from '../../../core/image/reference';

describe('image references', () => {
  const full = (s: string): string => referenceString(withDefaultTag(parseReference(s)));

  it('normalises like Docker', () => {
    assert.equal(full('busybox'), 'docker.io/library/busybox:latest');
    assert.equal(full('user/app:1.0'), 'docker.io/user/app:1.0');
    assert.equal(full('localhost:5000/x'), 'localhost:5000/x:latest');
    assert.equal(full('localhost/x:y'), 'localhost/x:y');
    assert.equal(full('registry.example.com/a/b/c:v1'), 'registry.example.com/a/b/c:v1');
    assert.equal(full('index.docker.io/library/busybox'), 'docker.io/library/busybox:latest');
    const d = 'sha256:' + 'a'.repeat(64);
    assert.equal(full(`busybox@${d}`), `docker.io/library/busybox@${d}`);
    assert.equal(full(`localhost:5000/x:tag@${d}`), `localhost:5000/x:tag@${d}`);
  });

  it('shows familiar names', () => {
    assert.equal(familiarString(withDefaultTag(parseReference('docker.io/library/busybox'))), 'busybox:latest');
    assert.equal(familiarString(parseReference('docker.io/user/x:1')), 'user/x:1');
    assert.equal(familiarString(parseReference('localhost:5000/x:1')), 'localhost:5000/x:1');
  });

  const rejects = (s: string, why: RegExp): void => {
    assert.throws(() => parseReference(s), (e: unknown) => isInvalidArgument(e) && why.test((e as Error).message), s);
  };

  it('rejects invalid references with the reason', () => {
    rejects('', /empty/);
    rejects('Busybox', /must be lowercase/);
    rejects('busybox:-bad', /not a valid tag/);
    rejects('busybox@sha256:abc', /not a valid digest|64/);
    rejects('a'.repeat(64), /64-byte hexadecimal/);
    rejects('bad__-name', /not a valid repository path component/);
    rejects('x/' + 'a'.repeat(260), /255/);
    rejects('-host.com/x', /not a valid registry domain/);
  });
});
