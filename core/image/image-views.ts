/** Docker-shaped views of images: list items, inspect, history. */
import { checkFilterKeys, invalidFilter } from '../filters';
import { NotFoundError } from '../errors';
import type { ImageService } from './image-service';
import type { HistoryResponseItem, ImageInspect, ImageSummary } from './image-types';
import { parseReference, familiarName } from './reference';

const secs = (iso: string | undefined): number => (iso ? Math.floor(Date.parse(iso) / 1000) || 0 : 0);

/** Glob match of Docker's `reference` filter (`busybox`, `busy*:lat*`). */
function refMatches(pattern: string, familiar: string): boolean {
  const re = new RegExp('^' + pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*') + '$');
  const [name] = familiar.split(/[:@]/);
  return re.test(familiar) || re.test(name);
}

/** Filters of `GET /images/json` (`dangling`, `reference`, `label`), Docker's map form. */
export type ImageFilters = Record<string, string[] | Record<string, boolean>>;

/** One filter's values, from either of Docker's forms (`["x"]` or `{"x": true}`). */
export function filterValues(f: ImageFilters | undefined, key: string): string[] {
  const v = f?.[key];
  if (!v) return [];
  return Array.isArray(v) ? v : Object.keys(v).filter((k) => (v as Record<string, boolean>)[k]);
}

/** dockerd's image inspect shows every field of a container config, empty ones included. */
const EMPTY_RUN_CONFIG = {
  Hostname: '', Domainname: '', User: '', AttachStdin: false, AttachStdout: false, AttachStderr: false, Tty: false,
  OpenStdin: false, StdinOnce: false, Env: null, Cmd: null, Image: '', Volumes: null, WorkingDir: '', Entrypoint: null,
  OnBuild: null, Labels: null,
};

/** The `dangling` filter as a boolean (undefined when absent); dockerd's `Invalid filter 'dangling=[x]'` otherwise. */
export function danglingFilter(f: ImageFilters | undefined): boolean | undefined {
  const d = filterValues(f, 'dangling');
  if (d.length === 0) return undefined;
  if (d.length === 1 && ['true', '1'].includes(d[0])) return true;
  if (d.length === 1 && ['false', '0'].includes(d[0])) return false;
  throw invalidFilter('dangling', `[${d.join(' ')}]`);
}

/** `GET /images/json`: every image (untagged parents of other images only with `all`), newest first. */
export function listImages(svc: ImageService, opts: { all?: boolean; filters?: ImageFilters } = {}): ImageSummary[] {
  checkFilterKeys(opts.filters ?? {}, ['dangling', 'label', 'before', 'since', 'reference']);
  const dangling = danglingFilter(opts.filters);
  const refs = filterValues(opts.filters, 'reference');
  const labels = filterValues(opts.filters, 'label');
  // before/since: images created before (after) the named image, as dockerd
  const createdOf = (ref: string): number => {
    const id = svc.lookupId(ref);
    if (!id) throw new NotFoundError(`No such image: ${ref}`);
    return Date.parse(svc.images.get(id)?.config.created ?? '');
  };
  const before = filterValues(opts.filters, 'before').map(createdOf);
  const since = filterValues(opts.filters, 'since').map(createdOf);
  const out: ImageSummary[] = [];
  for (const img of svc.images.list()) {
    const { tags, digests } = svc.namesOf(img.id);
    if (!opts.all && tags.length === 0 && svc.images.children(img.id).length > 0) continue;
    if (dangling !== undefined && dangling !== (tags.length === 0)) continue;
    const created = Date.parse(img.config.created ?? '');
    if (before.some((t) => !(created < t)) || since.some((t) => !(created > t))) continue;
    if (refs.length && !refs.some((p) => tags.some((t) => refMatches(p, t)) || digests.some((t) => refMatches(p, t)))) continue;
    const lbl = img.config.config?.Labels ?? {};
    if (labels.length && !labels.every((l) => { const [k, v] = l.split('='); return v === undefined ? k in lbl : lbl[k] === v; })) continue;
    const size = svc.layers.chainSize(img.topChain);
    out.push({
      Id: img.id,
      ParentId: svc.images.parent(img.id) ?? '',
      RepoTags: tags,
      RepoDigests: digests,
      Created: secs(img.config.created),
      Size: size,
      SharedSize: -1,
      VirtualSize: size,
      Labels: { ...lbl },
      Containers: -1,
    });
  }
  return out.sort((a, b) => b.Created - a.Created || a.Id.localeCompare(b.Id));
}

/** `GET /images/{name}/json`. */
export async function inspectImage(svc: ImageService, ref: string): Promise<ImageInspect> {
  const rec = await svc.resolve(ref);
  const c = rec.config;
  const inspect: ImageInspect = {
    Id: rec.id,
    RepoTags: rec.repoTags,
    RepoDigests: rec.repoDigests,
    Parent: svc.images.parent(rec.id) ?? '',
    Comment: c.comment ?? '',
    Created: c.created ?? new Date(0).toISOString(),
    Container: c.container ?? '',
    ContainerConfig: { ...EMPTY_RUN_CONFIG, ...(c.container_config ?? {}) },
    DockerVersion: c.docker_version ?? '',
    Author: c.author ?? '',
    Config: c.config ? { ...EMPTY_RUN_CONFIG, ...c.config } : null,
    Architecture: c.architecture,
    Os: c.os,
    Size: rec.size,
    VirtualSize: rec.size,
    GraphDriver: { Name: svc.driverName, Data: await svc.graphDriverData(rec.id) },
    RootFS: { Type: 'layers', Layers: [...c.rootfs.diff_ids] },
    Metadata: { LastTagTime: svc.images.lastUpdated(rec.id) ?? '0001-01-01T00:00:00Z' },
  };
  if (c.variant) inspect.Variant = c.variant;
  return inspect;
}

/** `GET /images/{name}/history`: newest first; layer sizes on non-empty entries. */
export async function imageHistory(svc: ImageService, ref: string): Promise<HistoryResponseItem[]> {
  const rec = await svc.resolve(ref);
  const img = svc.images.get(rec.id);
  const chain: string[] = [];
  for (let c = img?.topChain ?? null; c; c = svc.layers.get(c)?.parent ?? null) chain.unshift(c);
  const hist = rec.config.history?.length
    ? rec.config.history
    : chain.map(() => ({ created: rec.config.created, created_by: '', comment: '', empty_layer: false }));
  let layer = 0;
  const items: HistoryResponseItem[] = hist.map((h) => {
    let size = 0;
    if (!h.empty_layer) { size = svc.layers.get(chain[layer] ?? '')?.size ?? 0; layer++; }
    return { Id: '<missing>', Created: secs(h.created), CreatedBy: h.created_by ?? '', Tags: null, Size: size, Comment: h.comment ?? '' };
  }).reverse();
  // Entries that end a local ancestor (the image a commit started from) carry its id and tags, as in Docker.
  for (let anc = svc.images.parent(rec.id); anc; anc = svc.images.parent(anc)) {
    const a = svc.images.get(anc);
    if (!a) break;
    const n = a.config.history?.length ?? 0;
    const at = items.length - n;
    if (n > 0 && at >= 0 && at < items.length) {
      const tags = svc.namesOf(anc).tags;
      items[at].Id = anc;
      items[at].Tags = tags.length ? tags : null;
    }
  }
  if (items.length) { items[0].Id = rec.id; items[0].Tags = rec.repoTags.length ? rec.repoTags : null; }
  return items;
}

/** The familiar repository name of a tag string (`busybox` of `busybox:latest`). */
export function repoOf(tag: string): string {
  return familiarName(parseReference(tag).name);
}
