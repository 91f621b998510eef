/**
 * `docker cp`: the container.archive.* jobs. A path inside the container is
 * resolved against its root filesystem (symlinks kept inside it) or, under a
 * bind mount, against the bind's host directory, as dockerd does. The rootfs
 * of a stopped container is mounted for the duration of the job.
 *
 * - head: the stat Docker sends in `X-Docker-Container-Path-Stat`
 *   (`{ name, size, mode, mtime, linkTarget }`, mode in Go's os.FileMode bits).
 * - get: a tar whose top entry is the path's base name.
 * - put: extracts a tar into a directory, refusing entries that escape it.
 */
import { promises as fsp, type Stats } from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import type { Job } from '../engine/job';
import { ForbiddenError, InvalidArgumentError, NotFoundError } from '../errors';
import { extractLayer } from '../image/extract';
import { packTree, type PackItem } from '../image/tar-pack';
import { walkTree } from '../image/tree-walk';
import type { ContainerService } from './container-service';
import { resolveInRoot } from './root-path';
import { parseMounts } from './spec/mounts';
import type { Container } from './types';

/** Docker's container path stat. */
export interface PathStat { name: string; size: number; mode: number; mtime: string; linkTarget: string }

// Go os.FileMode type bits
const GO_DIR = 2 ** 31;
const GO_SYMLINK = 2 ** 27;
const GO_DEVICE = 2 ** 26;
const GO_PIPE = 2 ** 25;
const GO_SOCKET = 2 ** 24;
const GO_SETUID = 2 ** 23;
const GO_SETGID = 2 ** 22;
const GO_CHARDEV = 2 ** 21;
const GO_STICKY = 2 ** 20;

/** Go's os.FileMode for a Node stat (Docker's CLI decodes the header with it). */
export function goFileMode(st: Stats): number {
  let m = st.mode & 0o777;
  if (st.isDirectory()) m += GO_DIR;
  else if (st.isSymbolicLink()) m += GO_SYMLINK;
  else if (st.isFIFO()) m += GO_PIPE;
  else if (st.isSocket()) m += GO_SOCKET;
  else if (st.isCharacterDevice()) m += GO_DEVICE + GO_CHARDEV;
  else if (st.isBlockDevice()) m += GO_DEVICE;
  if (st.mode & 0o4000) m += GO_SETUID;
  if (st.mode & 0o2000) m += GO_SETGID;
  if (st.mode & 0o1000) m += GO_STICKY;
  return m;
}

/** Runs `fn` with the container's rootfs path, mounting it while the container is stopped. */
async function withRootfs<T>(svc: ContainerService, c: Container, fn: (rootfs: string) => Promise<T>): Promise<T> {
  const rt = svc.runtimeFor(c.record.ID);
  if (rt?.spec.rootfs) return fn(rt.spec.rootfs);
  const rootfs = await svc.images.mountContainerLayer(c.record.ID);
  try {
    return await fn(rootfs);
  } finally {
    await svc.images.unmountContainerLayer(c.record.ID).catch(() => undefined);
  }
}

/**
 * The host path of container path `p`: under the deepest bind mount that
 * covers it, or in the rootfs; symlinks resolved inside that root, the last
 * component kept as is (like `lstat`).
 */
async function hostPath(c: Container, rootfs: string, p: string): Promise<string> {
  if (!p.startsWith('/')) p = `/${p}`;
  const clean = path.posix.normalize(p);
  const binds = parseMounts(c.hostConfig).filter((m) => m.type === 'bind')
    .sort((a, b) => b.destination.length - a.destination.length);
  for (const m of binds) {
    if (clean === m.destination || clean.startsWith(`${m.destination}/`)) {
      const rest = clean.slice(m.destination.length);
      const dir = await resolveInRoot(m.source, path.posix.dirname(rest || '/'));
      return rest === '' || rest === '/' ? m.source : path.join(dir, path.posix.basename(rest));
    }
  }
  if (clean === '/') return rootfs;
  const dir = await resolveInRoot(rootfs, path.posix.dirname(clean));
  return path.join(dir, path.posix.basename(clean));
}

async function lstatOrNotFound(c: Container, host: string, p: string): Promise<Stats> {
  try {
    return await fsp.lstat(host);
  } catch {
    throw new NotFoundError(`Could not find the file ${p} in container ${c.record.Name.slice(1)}`);
  }
}

/** container.archive.head: Docker's PathStat of a path in the container. */
export async function archiveHead(svc: ContainerService, ref: string, p: string): Promise<PathStat> {
  const c = svc.store.get(ref);
  return withRootfs(svc, c, async (rootfs) => {
    const host = await hostPath(c, rootfs, p);
    const st = await lstatOrNotFound(c, host, p);
    const linkTarget = st.isSymbolicLink() ? await fsp.readlink(host) : '';
    return {
      name: path.posix.basename(path.posix.normalize(`/${p}`)) || '/',
      size: st.size, mode: goFileMode(st), mtime: st.mtime.toISOString(), linkTarget,
    };
  });
}

/** container.archive.get: a tar of the path (its base name on top) written to job.io.stdout. */
export async function archiveGet(svc: ContainerService, job: Job<{ id: string; path: string }>): Promise<void> {
  const c = svc.store.get(job.input.id);
  await withRootfs(svc, c, async (rootfs) => {
    const host = await hostPath(c, rootfs, job.input.path);
    const st = await lstatOrNotFound(c, host, job.input.path);
    const base = path.basename(host);
    const items: PackItem[] = [{ rel: base, kind: 'entry' }];
    if (st.isDirectory()) for (const e of await walkTree(host)) items.push({ rel: `${base}/${e.rel}`, kind: 'entry' });
    const tar = packTree(path.dirname(host), items);
    await pipeToJob(tar, job);
  });
}

function pipeToJob(tar: Readable, job: Job<unknown>): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => { tar.destroy(); resolve(); };
    job.signal.addEventListener('abort', onAbort, { once: true });
    tar.on('error', reject);
    tar.on('end', () => { job.signal.removeEventListener('abort', onAbort); resolve(); });
    tar.pipe(job.io.stdout, { end: false });
  });
}

/**
 * container.archive.put: extracts the tar read from job.io.stdin into the
 * directory `path`. NotFoundError when it does not exist;
 * InvalidArgumentError when it is not a directory.
 */
export async function archivePut(svc: ContainerService, job: Job<{ id: string; path: string; noOverwriteDirNonDir?: boolean; copyUIDGID?: boolean }>): Promise<void> {
  const c = svc.store.get(job.input.id);
  if (c.hostConfig.ReadonlyRootfs && !(await isUnderBind(c, job.input.path))) {
    throw new ForbiddenError('container rootfs is marked read-only');
  }
  await withRootfs(svc, c, async (rootfs) => {
    let host = await hostPath(c, rootfs, job.input.path);
    let st = await lstatOrNotFound(c, host, job.input.path);
    if (st.isSymbolicLink()) {
      host = await resolveInRoot(rootfs, path.posix.normalize(`/${job.input.path}`));
      st = await lstatOrNotFound(c, host, job.input.path);
    }
    if (!st.isDirectory()) throw new InvalidArgumentError('extraction point is not a directory');
    // like docker cp: owners from the tar only with copyUIDGID, else the container's root (0:0)
    await extractLayer(job.io.stdin, host, { whiteouts: 'delete', chown: !!job.input.copyUIDGID });
  });
  await svc.emit(c, 'extract-to-dir');
}

async function isUnderBind(c: Container, p: string): Promise<boolean> {
  const clean = path.posix.normalize(`/${p}`);
  return parseMounts(c.hostConfig).some((m) => m.type === 'bind' && !m.readOnly && (clean === m.destination || clean.startsWith(`${m.destination}/`)));
}
