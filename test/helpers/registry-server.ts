/**
 * Runs Debian's `docker-registry` (distribution 2.x) on 127.0.0.1 with a
 * config written by the test: a random free port, storage in a temp dir, and
 * optionally TLS, htpasswd Basic auth or token (Bearer) auth. Never uses the
 * system instance or its config. `stop()` kills it and removes its temp dir.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export const REGISTRY_BIN = '/usr/bin/docker-registry';

export interface RegistryServerOptions {
  /** Serve HTTPS; `clientCa` makes the registry require a client certificate signed by it. */
  tls?: { cert: string; key: string; clientCa?: string };
  htpasswd?: string;
  token?: { realm: string; service: string; issuer: string; rootCertBundle: string };
  /** Accept Docker schema 1 manifests (`compatibility.schema1.enabled`), refused by default since distribution 2.8. */
  schema1?: boolean;
  /** Storage dir (kept across restarts when given; default inside the server's temp dir). */
  storageDir?: string;
}

export interface RegistryServer {
  /** `127.0.0.1:<port>` */
  host: string;
  port: number;
  /** Filesystem storage root (`<dir>/docker/registry/v2/...`). */
  storageDir: string;
  /** Stops the process (SIGTERM, then SIGKILL) and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

/** Whether docker-registry is installed. */
export function hasRegistry(): boolean {
  return fs.existsSync(REGISTRY_BIN);
}

/** A free TCP port on 127.0.0.1 (bound and released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function yamlConfig(port: number, storage: string, o: RegistryServerOptions): string {
  const lines = [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${storage}`,
    '  delete:',
    '    enabled: true',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    `  secret: berth-test-${process.pid}-${port}`,
  ];
  if (o.tls) lines.push('  tls:', `    certificate: ${o.tls.cert}`, `    key: ${o.tls.key}`);
  if (o.tls?.clientCa) lines.push('    clientcas:', `      - ${o.tls.clientCa}`);
  if (o.schema1) lines.push('compatibility:', '  schema1:', '    enabled: true');
  if (o.htpasswd) lines.push('auth:', '  htpasswd:', '    realm: berth-test', `    path: ${o.htpasswd}`);
  if (o.token) {
    lines.push('auth:', '  token:', `    realm: ${o.token.realm}`, `    service: ${o.token.service}`,
      `    issuer: ${o.token.issuer}`, `    rootcertbundle: ${o.token.rootCertBundle}`);
  }
  return lines.join('\n') + '\n';
}

async function waitReady(port: number, child: ChildProcess, logFile: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) {
      throw new Error(`docker-registry exited with ${child.exitCode}: ${fs.readFileSync(logFile, 'utf8').slice(-2000)}`);
    }
    // A TCP connect is enough: the registry listens only once it is set up
    // (an HTTP probe would fail the TLS handshake of a client-cert registry).
    const ok = await new Promise<boolean>((resolve) => {
      const sock = net.connect({ host: '127.0.0.1', port }, () => { sock.destroy(); resolve(true); });
      sock.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`docker-registry did not answer on 127.0.0.1:${port}: ${fs.readFileSync(logFile, 'utf8').slice(-2000)}`);
}

/** Starts a registry; rejects (after cleaning up) when it does not come up. */
export async function startRegistry(o: RegistryServerOptions = {}): Promise<RegistryServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-registry-'));
  const storageDir = o.storageDir ?? path.join(dir, 'storage');
  fs.mkdirSync(storageDir, { recursive: true });
  const port = await freePort();
  const cfg = path.join(dir, 'config.yml');
  fs.writeFileSync(cfg, yamlConfig(port, storageDir, o));
  const logFile = path.join(dir, 'registry.log');
  const log = fs.openSync(logFile, 'a');
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REGISTRY_')));
  const child = spawn(REGISTRY_BIN, ['serve', cfg], { stdio: ['ignore', log, log], env });
  fs.closeSync(log);
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitReady(port, child, logFile);
  } catch (err) {
    await stop();
    throw err;
  }
  return { host: `127.0.0.1:${port}`, port, storageDir, stop };
}
