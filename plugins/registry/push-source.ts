/**
 * Builds the PushSource of a local image from the image service: its config
 * bytes and, for each layer, a gzip blob in the content store — the blob it
 * was pulled as when the graph kept it, else one compressed now (and
 * remembered in the layer metadata so the next push reuses it).
 */
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { PassThrough } from 'node:stream';
import * as zlib from 'node:zlib';
import { NotFoundError } from '../../core';
import type { ImagesPort } from './images-port';
import type { LayerMetadata } from './layer-metadata';
import { MediaTypes } from './manifest';
import type { PushBlob, PushSource } from './pusher';

/** OCI chain ids: chain[0] = diff[0]; chain[i] = sha256(chain[i-1] + " " + diff[i]). */
export function chainIdsOf(diffIds: string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) {
    out.push(out.length === 0 ? d : `sha256:${createHash('sha256').update(`${out[out.length - 1]} ${d}`).digest('hex')}`);
  }
  return out;
}

async function isGzip(images: ImagesPort, digest: string): Promise<boolean> {
  const s = await images.content.stream(digest);
  for await (const c of s) {
    s.destroy();
    const b = c as Buffer;
    return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
  }
  return false;
}

/**
 * The PushSource of image `imageId`. `registry` scopes mount candidates to
 * repositories of the same registry. NotFoundError when a layer is missing.
 */
export async function pushSourceFor(images: ImagesPort, meta: LayerMetadata, imageId: string, registry: string): Promise<PushSource> {
  const img = images.images.get(imageId);
  if (!img) throw new NotFoundError(`No such image: ${imageId}`);
  const config = JSON.parse(img.raw.toString('utf8')) as { rootfs?: { diff_ids?: string[] } };
  const diffIds = config.rootfs?.diff_ids ?? [];
  const chain = chainIdsOf(diffIds);
  const layers: PushBlob[] = [];
  for (const [i, diffId] of diffIds.entries()) {
    // Berth pushes Docker schema 2 manifests, whose layers are gzip tars: a
    // blob pulled as gzip (Docker or OCI type, same bytes) is reused as is;
    // anything else (zstd, plain tar, no blob) is compressed once and remembered.
    let digest: string | undefined;
    const mediaType: string = MediaTypes.dockerLayer;
    const known = meta.get(diffId);
    if (known && /gzip$/.test(known.mediaType) && await images.content.has(known.digest)) {
      digest = known.digest;
    } else {
      const info = images.layers.get(chain[i]);
      if (!info) throw new NotFoundError(`layer ${chain[i]} of image ${imageId} is missing`);
      if (info.blob && await images.content.has(info.blob) && await isGzip(images, info.blob)) {
        digest = info.blob;
      } else {
        const gz = new PassThrough();
        const stored = images.content.put(gz);
        await pipeline(await images.layers.layerTar(chain[i]), zlib.createGzip({ level: 6 }), gz);
        digest = await stored;
      }
      await meta.note(diffId, { digest, size: await images.content.size(digest), mediaType });
    }
    const d = digest;
    layers.push({ digest: d, size: await images.content.size(d), mediaType, open: () => images.content.stream(d) });
  }
  return {
    config: img.raw,
    layers,
    mountSources: (digest) => {
      const i = layers.findIndex((l) => l.digest === digest);
      const repos = i >= 0 ? meta.get(diffIds[i])?.repos ?? [] : [];
      return repos.filter((r) => r.startsWith(`${registry}/`)).map((r) => r.slice(registry.length + 1));
    },
  };
}
