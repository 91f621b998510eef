/**
 * Test images for the registry tests, built from the host's static busybox:
 * gzip layer tarballs and OCI image layouts that `skopeo copy` pushes to the
 * test registry. Also the TLS material (openssl) and helpers around skopeo.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { makeBusyboxRootfs } from '../../helpers/busybox-rootfs';

export interface Layer {
  tgz: Buffer;
  tar: Buffer;
  digest: string;
  diffId: string;
}

export const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A gzip layer from a directory tree (`tar -C dir -cf - .`, numeric owners). */
export function layerFromDir(dir: string): Layer {
  const tar = execFileSync('tar', ['--numeric-owner', '--sort=name', '-C', dir, '-cf', '-', '.'], { maxBuffer: 512 * 1024 * 1024 });
  const tgz = zlib.gzipSync(tar, { level: 1 });
  return { tar, tgz, digest: sha256(tgz), diffId: sha256(tar) };
}

/** A layer holding files given as path → content (directories made as needed). */
export function layerFromFiles(tmp: string, files: Record<string, string | Buffer>): Layer {
  const dir = fs.mkdtempSync(path.join(tmp, 'layer-'));
  for (const [p, c] of Object.entries(files)) {
    fs.mkdirSync(path.join(dir, path.dirname(p)), { recursive: true });
    fs.writeFileSync(path.join(dir, p), c);
  }
  const l = layerFromDir(dir);
  fs.rmSync(dir, { recursive: true, force: true });
  return l;
}

/** The busybox root as one layer. */
export function busyboxLayer(tmp: string): Layer {
  const dir = makeBusyboxRootfs(fs.mkdtempSync(path.join(tmp, 'bb-')));
  const l = layerFromDir(dir);
  fs.rmSync(dir, { recursive: true, force: true });
  return l;
}

/** A layer of incompressible bytes (for resume and the bench). */
export function randomLayer(tmp: string, name: string, size: number): Layer {
  return layerFromFiles(tmp, { [name]: randomBytes(size) });
}

export interface ImageSpec {
  layers: Layer[];
  os?: string;
  architecture?: string;
  variant?: string;
  cmd?: string[];
}

function writeBlob(layout: string, data: Buffer): { digest: string; size: number } {
  const digest = sha256(data);
  const p = path.join(layout, 'blobs', 'sha256', digest.slice(7));
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, data);
  return { digest, size: data.length };
}

/** Writes the config + manifest of one image into an OCI layout; returns the manifest descriptor. */
function writeImage(layout: string, spec: ImageSpec): { mediaType: string; digest: string; size: number; platform: Record<string, string> } {
  const platform: Record<string, string> = { os: spec.os ?? 'linux', architecture: spec.architecture ?? 'amd64' };
  if (spec.variant) platform.variant = spec.variant;
  const config = {
    created: '2026-01-01T00:00:00Z',
    ...platform,
    config: { Cmd: spec.cmd ?? ['/bin/sh'], Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
    rootfs: { type: 'layers', diff_ids: spec.layers.map((l) => l.diffId) },
    history: spec.layers.map((_, i) => ({ created: '2026-01-01T00:00:00Z', created_by: `berth test layer ${i}` })),
  };
  const c = writeBlob(layout, Buffer.from(JSON.stringify(config)));
  for (const l of spec.layers) writeBlob(layout, l.tgz);
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...c },
    layers: spec.layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: l.digest, size: l.tgz.length })),
  };
  const m = writeBlob(layout, Buffer.from(JSON.stringify(manifest)));
  return { mediaType: manifest.mediaType, ...m, platform };
}

/**
 * An OCI image layout at `layout` holding `images` under `tag`: one image
 * directly, or an OCI index of several (one per platform).
 */
export function writeOciLayout(layout: string, tag: string, images: ImageSpec[]): void {
  fs.mkdirSync(layout, { recursive: true });
  fs.writeFileSync(path.join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const descs = images.map((s) => writeImage(layout, s));
  let top: Record<string, unknown>;
  if (images.length === 1) {
    const { platform: _p, ...d } = descs[0];
    top = d;
  } else {
    const index = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: descs };
    top = { mediaType: index.mediaType, ...writeBlob(layout, Buffer.from(JSON.stringify(index))) };
  }
  fs.writeFileSync(path.join(layout, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ ...top, annotations: { 'org.opencontainers.image.ref.name': tag } }],
  }));
}

/**
 * skopeo with test-friendly defaults; resolves with stdout. Asynchronous on
 * purpose: servers of the test (the token issuer) live in this process.
 */
export async function skopeo(args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)('skopeo', ['--insecure-policy', ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 120_000 });
  return stdout;
}

/** Pushes an OCI layout to `docker://<dest>`; `format` v2s2 converts to Docker schema 2. */
export async function skopeoPush(layout: string, tag: string, dest: string, opts: { format?: 'oci' | 'v2s2' | 'v2s1'; all?: boolean; creds?: string; certDir?: string } = {}): Promise<void> {
  const args = ['copy', '--quiet'];
  if (opts.all) args.push('--all');
  if (opts.format) args.push('--format', opts.format);
  if (opts.creds) args.push('--dest-creds', opts.creds);
  if (opts.certDir) args.push('--dest-cert-dir', opts.certDir); else args.push('--dest-tls-verify=false');
  args.push(`oci:${layout}:${tag}`, `docker://${dest}`);
  await skopeo(args);
}

export interface TestCa {
  dir: string;
  caCert: string;
  caKey: string;
  /** Server cert for 127.0.0.1 signed by the CA. */
  serverCert: string;
  serverKey: string;
  /** Client cert signed by the CA. */
  clientCert: string;
  clientKey: string;
}

/** A self-signed CA (RSA 2048), a server cert for 127.0.0.1 and a client cert, made by openssl. */
export function makeTestCa(dir: string): TestCa {
  fs.mkdirSync(dir, { recursive: true });
  const f = (n: string): string => path.join(dir, n);
  const ossl = (args: string[]): void => { execFileSync('openssl', args, { stdio: 'ignore' }); };
  ossl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=berth test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
    '-keyout', f('ca.key'), '-out', f('ca.crt')]);
  fs.writeFileSync(f('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  ossl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', f('server.key'), '-out', f('server.csr')]);
  ossl(['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial',
    '-days', '2', '-extfile', f('server.ext'), '-out', f('server.crt')]);
  fs.writeFileSync(f('client.ext'), 'extendedKeyUsage=clientAuth\n');
  ossl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=berth test client', '-keyout', f('client.key'), '-out', f('client.csr')]);
  ossl(['x509', '-req', '-in', f('client.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial',
    '-days', '2', '-extfile', f('client.ext'), '-out', f('client.crt')]);
  return { dir, caCert: f('ca.crt'), caKey: f('ca.key'), serverCert: f('server.crt'), serverKey: f('server.key'),
    clientCert: f('client.crt'), clientKey: f('client.key') };
}
