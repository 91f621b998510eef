/**
 * Where berthd listens (`-H` / `hosts`): unix sockets (mode 0660, group
 * `berth` where that group exists) and TCP, which berth only serves over TLS —
 * with `tlsverify`, clients must present a certificate signed by the CA.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import * as path from 'node:path';
import type { Logger } from 'pino';
import { InvalidArgumentError, NotImplementedError } from '../errors';
import type { ApiServer } from './api-server';

/** Docker's default when no host is given, berth-flavoured. */
export const DEFAULT_SOCKET = '/run/berth/berth.sock';

export type HostAddress =
  | { kind: 'unix'; path: string }
  | { kind: 'tcp'; host: string; port: number };

/**
 * Parses a `-H` value: `unix:///path`, `unix://` (the default socket),
 * `tcp://host:port`, or a bare `host:port`. InvalidArgumentError naming the
 * value otherwise (`fd://` and `ssh://` are not supported).
 */
export function parseHost(value: string): HostAddress {
  const v = value.trim();
  if (v.startsWith('unix://')) {
    const p = v.slice('unix://'.length);
    return { kind: 'unix', path: p === '' ? DEFAULT_SOCKET : p };
  }
  if (v.startsWith('/')) return { kind: 'unix', path: v };
  const m = /^(?:tcp:\/\/)?(\[[0-9a-fA-F:]+\]|[^:/]*):([0-9]+)\/?$/.exec(v);
  if (m) {
    const port = Number(m[2]);
    if (port > 65535) throw new InvalidArgumentError(`invalid host ${value}: port out of range`);
    return { kind: 'tcp', host: m[1].replace(/^\[|\]$/g, '') || '127.0.0.1', port };
  }
  if (v.startsWith('fd://') || v.startsWith('ssh://')) throw new NotImplementedError(`host ${value}: only unix:// and tcp:// are supported`);
  throw new InvalidArgumentError(`invalid host ${value}: expected unix:///path or tcp://host:port`);
}

export interface TlsSettings {
  tls: boolean;
  tlsverify: boolean;
  tlscacert?: string;
  tlscert?: string;
  tlskey?: string;
}

export interface Listener {
  /** The address as given (`unix:///run/berth/berth.sock`, `tcp://127.0.0.1:2376`). */
  readonly address: string;
  /** For unix listeners, the socket path. */
  readonly socketPath?: string;
  /** TCP port actually bound (useful with port 0). */
  readonly port?: number;
  /** Stops accepting, closes every open connection (streams included), removes the socket file. */
  close(): Promise<void>;
}

/** The gid of group `name` from /etc/group, or undefined when there is no such group. */
export function groupId(name: string): number | undefined {
  let text: string;
  try { text = fs.readFileSync('/etc/group', 'utf8'); } catch { return undefined; }
  for (const line of text.split('\n')) {
    const [gname, , gid] = line.split(':');
    if (gname === name && gid !== undefined) return Number(gid);
  }
  return undefined;
}

function readTlsFile(what: string, file: string | undefined): Buffer {
  if (!file) throw new InvalidArgumentError(`TLS is enabled but ${what} is not set`);
  try { return fs.readFileSync(file); } catch (err) {
    throw new InvalidArgumentError(`cannot read ${what} ${file}: ${(err as Error).message}`);
  }
}

function track(server: http.Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  server.on('secureConnection', (s: Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  return sockets;
}

function wire(server: http.Server, api: ApiServer): void {
  server.requestTimeout = 0; // attach, logs -f, events stream for as long as they like
  server.on('request', api.handleRequest);
  server.on('upgrade', api.handleUpgrade);
}

function closer(server: http.Server, sockets: Set<Socket>, after?: () => void): () => Promise<void> {
  return () => new Promise<void>((resolve) => {
    server.close(() => { after?.(); resolve(); });
    for (const s of sockets) s.destroy();
  });
}

/**
 * Starts listening on `address` and serves `api` there. Unix sockets: the
 * parent directory is created, a stale socket file replaced, the socket made
 * 0660 and given to `group` when it exists. TCP: refused without TLS
 * (InvalidArgumentError), client certificates required with `tlsverify`.
 */
export async function listen(address: string, api: ApiServer, tls: TlsSettings, group: string, log?: Logger): Promise<Listener> {
  const host = parseHost(address);
  if (host.kind === 'unix') {
    fs.mkdirSync(path.dirname(host.path), { recursive: true, mode: 0o755 });
    try {
      if (fs.lstatSync(host.path).isSocket()) fs.unlinkSync(host.path);
      else throw new InvalidArgumentError(`cannot listen on ${address}: ${host.path} exists and is not a socket`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const server = http.createServer();
    const sockets = track(server);
    wire(server, api);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(host.path, () => { server.off('error', reject); resolve(); });
    });
    fs.chmodSync(host.path, 0o660);
    const gid = groupId(group);
    if (gid !== undefined) fs.chownSync(host.path, 0, gid);
    else log?.warn({ group, socket: host.path }, `group ${group} does not exist: ${host.path} stays root-only`);
    return {
      address,
      socketPath: host.path,
      close: closer(server, sockets, () => { fs.rmSync(host.path, { force: true }); }),
    };
  }

  if (!tls.tls && !tls.tlsverify) {
    throw new InvalidArgumentError(`refusing to listen on ${address} without TLS: set tlscert and tlskey (and tlsverify with tlscacert to authenticate clients)`);
  }
  const options: https.ServerOptions = {
    cert: readTlsFile('tlscert', tls.tlscert),
    key: readTlsFile('tlskey', tls.tlskey),
    minVersion: 'TLSv1.2',
  };
  if (tls.tlsverify) {
    options.ca = readTlsFile('tlscacert', tls.tlscacert);
    options.requestCert = true;
    options.rejectUnauthorized = true;
  }
  const server = https.createServer(options);
  const sockets = track(server);
  wire(server, api);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(host.port, host.host, () => { server.off('error', reject); resolve(); });
  });
  const addr = server.address();
  return {
    address,
    port: typeof addr === 'object' && addr ? addr.port : host.port,
    close: closer(server, sockets),
  };
}
