/** Test certificates made with openssl: a CA, a server cert for 127.0.0.1, and a client cert, all signed by the CA. */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface TestCerts { ca: string; cert: string; key: string; clientCert: string; clientKey: string }

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'ignore' });
}

/** Writes the certificates into `dir` and returns their paths. Throws when openssl fails. */
export function makeTestCerts(dir: string): TestCerts {
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=bt-test-ca'], dir);
  fs.writeFileSync(path.join(dir, 'san.cnf'), 'subjectAltName=IP:127.0.0.1\n');
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'server.csr', '-subj', '/CN=127.0.0.1'], dir);
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', 'cert.pem', '-days', '2', '-extfile', 'san.cnf'], dir);
  fs.writeFileSync(path.join(dir, 'client.cnf'), 'extendedKeyUsage=clientAuth\n');
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'client-key.pem', '-out', 'client.csr', '-subj', '/CN=bt-client'], dir);
  openssl(['x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', 'client-cert.pem', '-days', '2', '-extfile', 'client.cnf'], dir);
  const p = (f: string): string => path.join(dir, f);
  return { ca: p('ca.pem'), cert: p('cert.pem'), key: p('key.pem'), clientCert: p('client-cert.pem'), clientKey: p('client-key.pem') };
}
