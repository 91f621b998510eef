/**
 * Manifest media types and their handling: Docker schema 2 and OCI image
 * manifests, Docker manifest lists and OCI indexes (with platform
 * selection); Docker schema 1 is refused.
 */
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from '../../core';

export const MediaTypes = Object.freeze({
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayer: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
});

/** What a pull asks for, most preferred first. */
export const ACCEPT = [
  MediaTypes.ociIndex, MediaTypes.dockerList, MediaTypes.ociManifest, MediaTypes.dockerManifest,
  MediaTypes.dockerSchema1Signed, MediaTypes.dockerSchema1,
].join(', ');

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  'os.version'?: string;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType: string;
  manifests: Descriptor[];
}

export type ParsedManifest = { kind: 'image'; manifest: ImageManifest } | { kind: 'index'; index: ImageIndex };

/**
 * Classifies a fetched manifest by its Content-Type (or its own mediaType).
 * Schema 1 → FailedPreconditionError saying so; anything else unknown →
 * InvalidArgumentError naming the type.
 */
export function parseManifest(body: Buffer, contentType: string | undefined, ref: string): ParsedManifest {
  let j: Record<string, unknown>;
  try { j = JSON.parse(body.toString('utf8')) as Record<string, unknown>; } catch {
    throw new InvalidArgumentError(`manifest for ${ref} is not valid JSON`);
  }
  const ct = (contentType ?? '').split(';')[0].trim();
  const mt = typeof j.mediaType === 'string' ? j.mediaType
    : [MediaTypes.ociIndex, MediaTypes.ociManifest, MediaTypes.dockerList, MediaTypes.dockerManifest, MediaTypes.dockerSchema1Signed, MediaTypes.dockerSchema1].includes(ct as never) ? ct
      : Array.isArray(j.manifests) ? MediaTypes.ociIndex
        : j.schemaVersion === 1 ? MediaTypes.dockerSchema1 : MediaTypes.ociManifest;
  if (mt === MediaTypes.dockerSchema1 || mt === MediaTypes.dockerSchema1Signed || j.schemaVersion === 1) {
    throw new FailedPreconditionError(
      `${ref}: Docker Image manifest schema 1 (${mt}) is not supported; it was deprecated in Docker 1.10 and removed in Docker 20.10 — push the image again with a current client to convert it to schema 2 or OCI`);
  }
  if (mt === MediaTypes.ociIndex || mt === MediaTypes.dockerList) {
    if (!Array.isArray(j.manifests)) throw new InvalidArgumentError(`manifest list for ${ref} has no "manifests"`);
    return { kind: 'index', index: { ...(j as unknown as ImageIndex), mediaType: mt } };
  }
  if (mt === MediaTypes.ociManifest || mt === MediaTypes.dockerManifest) {
    const m = j as unknown as ImageManifest;
    if (!m.config?.digest || !Array.isArray(m.layers)) throw new InvalidArgumentError(`image manifest for ${ref} lacks config or layers`);
    return { kind: 'image', manifest: { ...m, mediaType: mt } };
  }
  throw new InvalidArgumentError(`${ref}: unsupported manifest media type "${mt}"`);
}

const ARCH_ALIASES: Record<string, string> = { x86_64: 'amd64', 'x86-64': 'amd64', aarch64: 'arm64', armhf: 'arm', armel: 'arm', i386: '386', i686: '386' };

/** The host's platform in OCI terms (`linux/amd64`, `linux/arm64/v8`, `linux/arm/v7`). */
export function hostPlatform(): Platform {
  const arch = ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' } as Record<string, string>)[process.arch] ?? process.arch;
  const p: Platform = { os: process.platform === 'win32' ? 'windows' : process.platform, architecture: arch };
  if (arch === 'arm64') p.variant = 'v8';
  if (arch === 'arm') p.variant = `v${(process.config.variables as unknown as Record<string, unknown>).arm_version ?? '7'}`;
  return p;
}

/** Parses `os/arch[/variant]` (the `--platform` flag); InvalidArgumentError when malformed. */
export function parsePlatform(s: string): Platform {
  const parts = s.trim().toLowerCase().split('/');
  if (parts.length < 1 || parts.length > 3 || parts.some((p) => p === '')) {
    throw new InvalidArgumentError(`invalid platform "${s}": expected os/arch[/variant]`);
  }
  if (parts.length === 1) return { ...hostPlatform(), os: parts[0], variant: undefined };
  const p: Platform = { os: parts[0], architecture: ARCH_ALIASES[parts[1]] ?? parts[1] };
  if (parts[2]) p.variant = parts[2];
  if (p.architecture === 'arm64' && !p.variant) p.variant = 'v8';
  return p;
}

/** `linux/arm64/v8` */
export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

function variantMatches(want: Platform, have: Platform): boolean {
  if (!want.variant) return true;
  const hv = have.variant ?? (have.architecture === 'arm64' ? 'v8' : undefined);
  if (hv === want.variant) return true;
  // Like containerd: an armv7 host runs v6 and v5 images, a v8 one runs v7 too (arm only).
  if (want.architecture === 'arm' && hv && /^v\d$/.test(hv)) return Number(hv.slice(1)) <= Number(want.variant.slice(1));
  return false;
}

/**
 * Picks the index entry for `want`: exact os/arch, then variant (exact
 * before compatible). Entries without a platform (attestations) are skipped.
 * NotFoundError listing the platforms the index does have when none matches.
 */
export function selectPlatform(index: ImageIndex, want: Platform, ref: string): Descriptor {
  const candidates = index.manifests.filter((d) => d.platform
    && d.platform.os === want.os && (ARCH_ALIASES[d.platform.architecture] ?? d.platform.architecture) === want.architecture
    && variantMatches(want, d.platform));
  const exact = candidates.find((d) => (d.platform!.variant ?? '') === (want.variant ?? ''));
  const pick = exact ?? candidates.sort((a, b) => (b.platform!.variant ?? '').localeCompare(a.platform!.variant ?? ''))[0];
  if (!pick) {
    const have = index.manifests.filter((d) => d.platform && d.platform.architecture !== 'unknown')
      .map((d) => formatPlatform(d.platform!));
    throw new NotFoundError(`no matching manifest for ${formatPlatform(want)} in the manifest list entries of ${ref} (available: ${have.join(', ') || 'none'})`);
  }
  return pick;
}

/** Whether a layer media type is one berth can apply (gzip, zstd or plain tar). */
export function layerCompression(mediaType: string): 'gzip' | 'zstd' | 'none' {
  if (mediaType.endsWith('+zstd') || mediaType.endsWith('.zstd')) return 'zstd';
  if (mediaType.endsWith('gzip')) return 'gzip';
  if (mediaType === MediaTypes.ociLayer || mediaType.endsWith('.tar')) return 'none';
  throw new InvalidArgumentError(`unsupported layer media type "${mediaType}"`);
}
