/**
 * The ordered list of filesystem operations that turns `spec.rootfs` into the
 * container's root: computed here, executed verbatim by the shim's child
 * (native/src/shim/container-child.c explains why the order matters).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError } from '../../core';
import type { ContainerSpec, ExecMount } from '../../core';

export const MS = Object.freeze({
  RDONLY: 1, NOSUID: 2, NODEV: 4, NOEXEC: 8, SYNCHRONOUS: 16, REMOUNT: 32, MANDLOCK: 64, DIRSYNC: 128,
  NOATIME: 1024, NODIRATIME: 2048, BIND: 4096, MOVE: 8192, REC: 16384, UNBINDABLE: 1 << 17,
  PRIVATE: 1 << 18, SLAVE: 1 << 19, SHARED: 1 << 20, RELATIME: 1 << 21, STRICTATIME: 1 << 24,
});

export type MountOp =
  | { op: 'mount'; source: string; target: string; fstype: string; flags: number; data: string; mk: 'd' | 'f' | '-' }
  | { op: 'mknod'; path: string; mode: number; major: number; minor: number; uid?: number; gid?: number }
  | { op: 'symlink'; target: string; link: string }
  | { op: 'mkdir'; path: string; mode: number }
  /** Writes `data` to `path` (a sysctl under the container's /proc/sys). */
  | { op: 'write'; path: string; data: string }
  | { op: 'pivot' }
  | { op: 'mask'; path: string }
  | { op: 'readonly'; path: string }
  | { op: 'rootro' };

const FLAG_OPTIONS: Record<string, [number, boolean]> = {
  ro: [MS.RDONLY, true], rw: [MS.RDONLY, false], nosuid: [MS.NOSUID, true], suid: [MS.NOSUID, false],
  nodev: [MS.NODEV, true], dev: [MS.NODEV, false], noexec: [MS.NOEXEC, true], exec: [MS.NOEXEC, false],
  sync: [MS.SYNCHRONOUS, true], async: [MS.SYNCHRONOUS, false], dirsync: [MS.DIRSYNC, true],
  noatime: [MS.NOATIME, true], atime: [MS.NOATIME, false], nodiratime: [MS.NODIRATIME, true],
  relatime: [MS.RELATIME, true], strictatime: [MS.STRICTATIME, true],
  bind: [MS.BIND, true], rbind: [MS.BIND | MS.REC, true],
};
const PROPAGATION: Record<string, number> = {
  private: MS.PRIVATE, rprivate: MS.PRIVATE | MS.REC, shared: MS.SHARED, rshared: MS.SHARED | MS.REC,
  slave: MS.SLAVE, rslave: MS.SLAVE | MS.REC, unbindable: MS.UNBINDABLE, runbindable: MS.UNBINDABLE | MS.REC,
};

/** Splits mount(8) options into mount(2) flags, propagation flags and the data string. */
export function parseMountOptions(options: readonly string[]): { flags: number; propagation: number; data: string } {
  let flags = 0;
  let propagation = 0;
  const data: string[] = [];
  for (const o of options) {
    if (o in FLAG_OPTIONS) {
      const [f, set] = FLAG_OPTIONS[o];
      flags = set ? flags | f : flags & ~f;
    } else if (o in PROPAGATION) propagation = PROPAGATION[o];
    else if (o === 'z' || o === 'Z' || o === 'copy' || o === 'nocopy') continue; // Docker-only hints
    else data.push(o);
  }
  return { flags, propagation, data: data.join(',') };
}

/**
 * Resolves `inside` (an absolute container path) to a host path under `root`,
 * following symlinks as the container would see them, so a symlink in the
 * image cannot redirect a mount outside the rootfs.
 */
export function resolveInRoot(root: string, inside: string): string {
  if (!path.isAbsolute(inside)) throw new InvalidArgumentError(`mount destination must be absolute: ${inside}`);
  const parts = inside.split('/').filter((p) => p && p !== '.');
  const done: string[] = [];
  const base = path.resolve(root).replace(/\/$/, ''); // '/' as ''
  let links = 0;
  while (parts.length) {
    const part = parts.shift()!;
    if (part === '..') { done.pop(); continue; }
    // clean components under a resolved root: concatenation is path.join, without its cost in the interpreter
    const host = `${base}/${done.length ? `${done.join('/')}/` : ''}${part}`;
    let st: fs.Stats | undefined;
    try { st = fs.lstatSync(host, { throwIfNoEntry: false }); } catch { st = undefined; /* ENOTDIR & co */ }
    if (st?.isSymbolicLink()) {
      if (++links > 40) throw new InvalidArgumentError(`too many symlinks resolving ${inside}`);
      const target = fs.readlinkSync(host);
      if (target.startsWith('/')) done.length = 0;
      parts.unshift(...target.split('/').filter((p) => p && p !== '.'));
      continue;
    }
    done.push(part);
  }
  return path.join(root, ...done);
}

function depth(p: string): number {
  return p.split('/').filter(Boolean).length;
}

const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const DEVICES: Array<[string, number, number]> = [
  ['null', 1, 3], ['zero', 1, 5], ['full', 1, 7], ['random', 1, 8], ['urandom', 1, 9], ['tty', 5, 0],
];

/** Where the --init binary appears inside the container. */
export const INIT_PATH = '/dev/init';

let kcore: boolean | undefined;
/** Whether this kernel has /proc/kcore (checked once). */
function hostHasKcore(): boolean {
  if (kcore === undefined) kcore = fs.existsSync('/proc/kcore');
  return kcore;
}

/**
 * All ops for PID 1 of `spec`, in order. `initBinary` is the host path of
 * berth-init when spec.init is set.
 */
export function buildMountPlan(spec: ContainerSpec, initBinary?: string, cgroupMounts: CgroupMounts = 'none'): MountOp[] {
  const R = spec.rootfs;
  const at = (p: string): string => resolveInRoot(R, p);
  const ops: MountOp[] = [];
  const m = (source: string, target: string, fstype: string, flags: number, data = '', mk: 'd' | 'f' | '-' = 'd'): void => {
    ops.push({ op: 'mount', source, target, fstype, flags, data, mk });
  };
  m('', '/', '', MS.REC | MS.PRIVATE, '', '-');
  m(R, R, '', MS.BIND | MS.REC, '', '-');
  m('proc', at('/proc'), 'proc', MS.NOSUID | MS.NODEV | MS.NOEXEC);
  m('sysfs', at('/sys'), 'sysfs', MS.NOSUID | MS.NODEV | MS.NOEXEC | (spec.privileged ? 0 : MS.RDONLY));
  addCgroupMounts(ops, path.join(at('/sys'), 'fs', 'cgroup'), cgroupMounts, spec.privileged);
  const dev = at('/dev');
  if (spec.privileged) {
    m('/dev', dev, '', MS.BIND | MS.REC);
  } else {
    m('tmpfs', dev, 'tmpfs', MS.NOSUID | MS.STRICTATIME, 'mode=755,size=65536k');
    for (const [name, major, minor] of DEVICES) ops.push({ op: 'mknod', path: path.join(dev, name), mode: S_IFCHR | 0o666, major, minor });
    ops.push({ op: 'symlink', target: '/proc/self/fd', link: path.join(dev, 'fd') });
    ops.push({ op: 'symlink', target: '/proc/self/fd/0', link: path.join(dev, 'stdin') });
    ops.push({ op: 'symlink', target: '/proc/self/fd/1', link: path.join(dev, 'stdout') });
    ops.push({ op: 'symlink', target: '/proc/self/fd/2', link: path.join(dev, 'stderr') });
    // runc's rule: /dev/core only where the kernel has /proc/kcore
    if (hostHasKcore()) ops.push({ op: 'symlink', target: '/proc/kcore', link: path.join(dev, 'core') });
  }
  m('devpts', path.join(dev, 'pts'), 'devpts', MS.NOSUID | MS.NOEXEC, 'newinstance,ptmxmode=0666,mode=0620,gid=5');
  if (!spec.privileged) ops.push({ op: 'symlink', target: 'pts/ptmx', link: path.join(dev, 'ptmx') });
  m('shm', path.join(dev, 'shm'), 'tmpfs', MS.NOSUID | MS.NODEV | MS.NOEXEC, `mode=1777,size=${spec.shmSize > 0 ? spec.shmSize : 64 * 1024 * 1024}`);
  m('mqueue', path.join(dev, 'mqueue'), 'mqueue', MS.NOSUID | MS.NODEV | MS.NOEXEC);
  if (spec.init && initBinary) {
    m(initBinary, path.join(dev, 'init'), '', MS.BIND, '', 'f');
    m('', path.join(dev, 'init'), '', MS.BIND | MS.REMOUNT | MS.RDONLY, '', '-');
  }
  const mounts = [...spec.mounts].map((x, i) => ({ x, i }))
    .sort((a, b) => depth(a.x.destination) - depth(b.x.destination) || a.i - b.i).map((e) => e.x);
  for (const mnt of mounts) addSpecMount(ops, R, mnt);
  const etc = spec.etcFiles ?? {};
  for (const [file, src] of [['/etc/hostname', etc.hostname], ['/etc/hosts', etc.hosts], ['/etc/resolv.conf', etc.resolvConf]] as const) {
    if (src) m(src, at(file), '', MS.BIND, '', 'f');
  }
  // `--device` nodes, after the mounts as runc makes them (the privileged get the host's /dev)
  if (!spec.privileged) {
    for (const d of spec.devices ?? []) {
      if (!path.isAbsolute(d.path)) throw new InvalidArgumentError(`device path must be absolute: ${JSON.stringify(d.path)}`);
      const p = at(d.path);
      ops.push({ op: 'mkdir', path: path.dirname(p), mode: 0o755 });
      ops.push({ op: 'mknod', path: p, mode: (d.type === 'b' ? S_IFBLK : S_IFCHR) | (d.fileMode & 0o7777), major: d.major, minor: d.minor, uid: d.uid, gid: d.gid });
    }
  }
  // `--sysctl`: written through the container's /proc, so in its own network / IPC namespaces
  for (const [key, value] of Object.entries(spec.sysctls ?? {})) {
    if (!/^[a-z0-9_]+([./][a-z0-9_-]+)+$/i.test(key)) throw new InvalidArgumentError(`invalid sysctl name: ${JSON.stringify(key)}`);
    ops.push({ op: 'write', path: path.join(at('/proc'), 'sys', ...key.split(/[./]/)), data: value });
  }
  ops.push({ op: 'pivot' });
  if (!spec.privileged) {
    for (const p of spec.maskedPaths) ops.push({ op: 'mask', path: p });
    for (const p of spec.readonlyPaths) ops.push({ op: 'readonly', path: p });
  }
  if (spec.readonlyRootfs) ops.push({ op: 'rootro' });
  return ops;
}

/**
 * What the container sees at /sys/fs/cgroup: nothing; the cgroup2 hierarchy
 * (private cgroup namespace); v1 controllers mounted by name (private
 * namespace: each shows the container's cgroup as its root); or, with the
 * host's cgroup namespace on v1 (dockerd's default there), `bind`: each
 * controller's host directory of this container bound read-only at its name,
 * as runc does, so `memory/memory.limit_in_bytes` is the container's limit.
 */
export type CgroupMounts = 'none' | 'v2' | string[] | { bind: Record<string, string> };

function addCgroupMounts(ops: MountOp[], dir: string, how: CgroupMounts, privileged: boolean): void {
  if (how === 'none') return;
  const ro = privileged ? 0 : MS.RDONLY;
  const f = MS.NOSUID | MS.NODEV | MS.NOEXEC;
  if (how === 'v2') {
    ops.push({ op: 'mount', source: 'cgroup', target: dir, fstype: 'cgroup2', flags: f | ro, data: '', mk: '-' });
    return;
  }
  ops.push({ op: 'mount', source: 'tmpfs', target: dir, fstype: 'tmpfs', flags: f, data: 'mode=755,size=64k', mk: '-' });
  if (!Array.isArray(how)) {
    for (const [name, hostDir] of Object.entries(how.bind)) {
      const target = path.join(dir, name);
      ops.push({ op: 'mount', source: hostDir, target, fstype: '', flags: MS.BIND, data: '', mk: 'd' });
      ops.push({ op: 'mount', source: '', target, fstype: '', flags: MS.BIND | MS.REMOUNT | f | ro, data: '', mk: '-' });
    }
  } else {
    for (const c of how) {
      ops.push({ op: 'mount', source: 'cgroup', target: path.join(dir, c), fstype: 'cgroup', flags: f | ro, data: c, mk: 'd' });
    }
  }
  if (ro) ops.push({ op: 'mount', source: '', target: dir, fstype: '', flags: MS.BIND | MS.REMOUNT | MS.RDONLY, data: '', mk: '-' });
}

function addSpecMount(ops: MountOp[], root: string, mnt: ExecMount): void {
  if (!mnt.destination || !path.isAbsolute(mnt.destination)) {
    throw new InvalidArgumentError(`mount destination must be an absolute path: ${JSON.stringify(mnt.destination)}`);
  }
  const target = resolveInRoot(root, mnt.destination);
  const { flags, propagation, data } = parseMountOptions(mnt.options);
  if (mnt.type === 'bind') {
    let st: fs.Stats;
    try { st = fs.statSync(mnt.source); } catch {
      throw new InvalidArgumentError(`bind source path does not exist: ${mnt.source}`);
    }
    const bindFlags = (flags & MS.BIND) ? flags & (MS.BIND | MS.REC) : MS.BIND | MS.REC;
    ops.push({ op: 'mount', source: mnt.source, target, fstype: '', flags: bindFlags, data: '', mk: st.isDirectory() ? 'd' : 'f' });
    const extra = flags & ~(MS.BIND | MS.REC);
    if (extra) ops.push({ op: 'mount', source: '', target, fstype: '', flags: MS.BIND | MS.REMOUNT | extra, data: '', mk: '-' });
  } else {
    ops.push({ op: 'mount', source: mnt.source || mnt.type, target, fstype: mnt.type, flags: flags & ~(MS.BIND | MS.REC), data, mk: 'd' });
  }
  if (propagation) ops.push({ op: 'mount', source: '', target, fstype: '', flags: propagation, data: '', mk: '-' });
}
