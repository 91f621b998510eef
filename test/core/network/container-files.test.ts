/** hosts and resolv.conf content, as Docker writes them. */
import { strict as assert } from 'node:assert';
import { hostsFile, parseResolvConf, resolvConf } from '../../../core/network/container-files';
import { toPortBindings } from '../../../core/network/port-bindings';

describe('core/network: container files and port specs', () => {
  const host = parseResolvConf('# c\nnameserver 127.0.0.53\nnameserver 10.0.0.2\nsearch a.example b.example\noptions edns0 ndots:2\n');

  it('points user-network containers at 127.0.0.11 and keeps search/options', () => {
    assert.equal(resolvConf(host, { embedded: true }), 'search a.example b.example\nnameserver 127.0.0.11\noptions ndots:0 edns0\n');
  });

  it('drops loopback resolvers for the default bridge, or uses --dns', () => {
    assert.equal(resolvConf(host, { embedded: false }), 'search a.example b.example\nnameserver 10.0.0.2\noptions edns0 ndots:2\n');
    assert.match(resolvConf(host, { embedded: false, dns: ['10.9.9.9'] }), /^search a\.example b\.example\nnameserver 10\.9\.9\.9\n/);
  });

  it('replaces the host search domains and options with --dns-search / --dns-option ("." = no search)', () => {
    assert.equal(resolvConf(host, { embedded: false, search: ['ex.test'], options: ['timeout:1'] }),
      'search ex.test\nnameserver 10.0.0.2\noptions timeout:1\n');
    assert.equal(resolvConf(host, { embedded: false, search: ['.'] }), 'nameserver 10.0.0.2\noptions edns0 ndots:2\n');
    assert.equal(resolvConf(host, { embedded: true, options: ['ndots:3'] }), 'search a.example b.example\nnameserver 127.0.0.11\noptions ndots:3\n');
    assert.equal(resolvConf(host, { embedded: true, options: ['rotate'] }), 'search a.example b.example\nnameserver 127.0.0.11\noptions ndots:0 rotate\n');
  });

  it('writes localhost, the container address and --add-host entries, refusing malformed ones', () => {
    const h = hostsFile('web', ['172.17.0.2'], ['db:10.0.0.5']);
    assert.match(h, /^127\.0\.0\.1\tlocalhost$/m);
    assert.match(h, /^10\.0\.0\.5\tdb$/m);
    assert.match(h, /^172\.17\.0\.2\tweb$/m);
    assert.throws(() => hostsFile('x', [], ['nocolon']), /invalid extra host/);
  });

  it('turns -p and -P into bindings, refusing bad specs by name', () => {
    assert.deepEqual(toPortBindings({ '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] }, true, ['80/tcp', '53/udp']), [
      { containerPort: 80, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 8080 },
      { containerPort: 53, protocol: 'udp', hostIp: '0.0.0.0', hostPort: 0 },
    ]);
    assert.throws(() => toPortBindings({ 'http/tcp': [] }, false, []), /invalid port specification/);
    assert.deepEqual(toPortBindings({ '80': [{ HostPort: '8000-8010' }] }, false, []), [
      { containerPort: 80, protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 8000, hostPortEnd: 8010 },
    ]);
    assert.throws(() => toPortBindings({ '80': [{ HostPort: '90-80' }] }, false, []), /invalid host port 90-80/);
    assert.throws(() => toPortBindings({ '80': [{ HostPort: 'x' }] }, false, []), /invalid host port/);
  });
});
