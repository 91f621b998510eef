/**
 * Encodes what the shim needs into its bootstrap record stream
 * (NUL-separated strings; the record table is in native/src/shim/bootstrap.c).
 * All decisions (capability masks, seccomp rules, mount order, cgroup paths)
 * are made here so the C side only executes them.
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { InvalidArgumentError } from '../../core';
import type { ContainerSpec, NamespaceMode, ProcessSpec } from '../../core';
import { capabilityMask } from './capabilities';
import type { MountOp } from './mount-plan';
import type { FlatSeccomp } from './seccomp-profile';
import type { DevicePolicy } from './cgroups';

const RLIMITS: Record<string, number> = {
  CPU: 0, FSIZE: 1, DATA: 2, STACK: 3, CORE: 4, RSS: 5, NPROC: 6, NOFILE: 7, MEMLOCK: 8, AS: 9,
  LOCKS: 10, SIGPENDING: 11, MSGQUEUE: 12, NICE: 13, RTPRIO: 14, RTTIME: 15,
};

/** `RLIMIT_NOFILE` or `nofile` → 7. */
export function rlimitNumber(type: string): number {
  const key = type.toUpperCase().replace(/^RLIMIT_/, '');
  const n = RLIMITS[key];
  if (n === undefined) throw new InvalidArgumentError(`unknown rlimit type: ${type}`);
  return n;
}

/** Accumulates records; `toBuffer()` gives the bytes for the shim. */
export class BootstrapWriter {
  private readonly parts: Array<string | Buffer> = [];

  /** Adds one record; InvalidArgumentError if a field holds a NUL byte (it would split the record). */
  record(key: string, ...fields: Array<string | number | bigint>): this {
    let rec = `${key}\0`;
    for (const f of fields) {
      const v = String(f);
      if (v.includes('\0')) throw new InvalidArgumentError(`NUL byte in ${key}: ${JSON.stringify(v)}`);
      rec += `${v}\0`;
    }
    this.parts.push(rec);
    return this;
  }

  /** Appends already encoded records (see toBuffer). */
  appendEncoded(buf: Buffer): this {
    this.parts.push(buf);
    return this;
  }

  /** The records as the shim reads them: every string NUL-terminated, UTF-8. */
  toBuffer(): Buffer {
    return Buffer.concat(this.parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p)));
  }
}

/** Records of the process itself (PID 1 or an exec). */
export function writeProcess(w: BootstrapWriter, p: ProcessSpec, args: string[] = p.args): void {
  if (!args.length) throw new InvalidArgumentError('process.args: no command given');
  if (!p.cwd.startsWith('/')) throw new InvalidArgumentError(`process.cwd must be absolute: ${p.cwd}`);
  for (const a of args) w.record('arg', a);
  for (const e of p.env) w.record('env', e);
  const pathEnv = [...p.env].reverse().find((e) => e.startsWith('PATH='));
  if (pathEnv) w.record('path', pathEnv.slice(5));
  w.record('cwd', p.cwd);
  w.record('user', p.user.uid, p.user.gid);
  for (const g of p.user.additionalGids) w.record('group', g);
  w.record('caps', capabilityMask(p.capabilities).toString(16));
  if (p.noNewPrivileges) w.record('nnp');
  if (p.terminal) w.record('terminal');
  if (p.openStdin) w.record('openstdin');
  if (p.consoleSize) w.record('size', p.consoleSize.rows, p.consoleSize.cols);
  for (const r of p.rlimits) w.record('rlimit', rlimitNumber(r.type), r.soft < 0 ? -1 : r.soft, r.hard < 0 ? -1 : r.hard);
  if (p.apparmorProfile && p.apparmorProfile !== 'unconfined') w.record('apparmor', p.apparmorProfile);
}

/**
 * The seccomp records. With `cache` (a private directory and a salt naming the
 * shim build), the shim keeps the compiled program in `<dir>/<sha256>.bpf`
 * and reuses it for the same rules (compiling takes ~10 ms; loading ~0.1 ms).
 */
export function writeSeccomp(w: BootstrapWriter, s: FlatSeccomp | null, cache?: { dir: string; salt: string }): void {
  if (!s) return;
  // flattened profiles are reused (see seccompFor): encode and hash each once
  const key = cache ? `${cache.dir}\0${cache.salt}` : '';
  let perFlat = encodedSeccomp.get(s);
  if (!perFlat) { perFlat = new Map(); encodedSeccomp.set(s, perFlat); }
  let enc = perFlat.get(key);
  if (!enc) {
    const rules = new BootstrapWriter();
    rules.record('scmp_default', s.defaultAction, s.defaultErrno);
    for (const a of s.arches) rules.record('scmp_arch', a.replace(/^SCMP_ARCH_/, '').toLowerCase());
    for (const r of s.rules) {
      rules.record('scmp_rule', r.name, r.action, r.errno, r.args.length);
      for (const a of r.args) rules.record(String(a.index), a.op, a.value, a.valueTwo);
    }
    const body = rules.toBuffer();
    if (cache) {
      const hash = createHash('sha256').update(cache.salt).update(body).digest('hex');
      enc = Buffer.concat([body, new BootstrapWriter().record('scmp_cache', path.join(cache.dir, `${hash}.bpf`)).toBuffer()]);
    } else enc = body;
    perFlat.set(key, enc);
  }
  w.appendEncoded(enc);
}

const encodedSeccomp = new WeakMap<FlatSeccomp, Map<string, Buffer>>();

/**
 * PID 1 only: the device allow-list and where the shim enforces it (see
 * cgroups.ts devicePolicy). `progFd`: the fd under which the shim inherits
 * the rules' program, already loaded by the daemon (attached instead of a new load).
 */
export function writeDevicePolicy(w: BootstrapWriter, p: DevicePolicy | undefined, progFd?: number): void {
  if (!p) return;
  if (p.bpfDir) w.record('devfilter', p.bpfDir, p.required ? '1' : '0');
  if (p.bpfDir && progFd !== undefined) w.record('devprog', String(progFd));
  if (p.v1Dir) w.record('devices_v1', p.v1Dir);
  for (const r of p.rules) w.record('devrule', r.type, String(r.major), String(r.minor), r.access);
}

/** The cgroup.procs files the process joins before execve, and the file the shim reads OOM kills from. */
export function writeCgroups(w: BootstrapWriter, procsFiles: string[], oomFile?: string): void {
  for (const f of procsFiles) w.record('cgroup', f);
  if (oomFile) w.record('oomfile', oomFile);
}

function writeNamespace(w: BootstrapWriter, type: string, mode: NamespaceMode): void {
  if (mode.mode === 'private') w.record('ns', type, '-');
  else if (mode.mode === 'path') w.record('ns', type, mode.path);
}

/** Records of the container: rootfs, namespaces, hostname and the mount ops. */
export function writeContainer(w: BootstrapWriter, spec: ContainerSpec, ops: MountOp[]): void {
  w.record('rootfs', spec.rootfs);
  w.record('ns', 'mnt', '-');
  const ns = spec.namespaces;
  writeNamespace(w, 'pid', ns.pid);
  writeNamespace(w, 'ipc', ns.ipc);
  writeNamespace(w, 'uts', ns.uts);
  writeNamespace(w, 'net', ns.net);
  writeNamespace(w, 'cgroup', ns.cgroup);
  if (ns.uts.mode === 'private') {
    if (spec.hostname) w.record('hostname', spec.hostname);
    if (spec.domainname) w.record('domainname', spec.domainname);
  }
  for (const o of ops) {
    switch (o.op) {
      case 'mount': w.record('mount', o.source, o.target, o.fstype, o.flags, o.data, o.mk); break;
      case 'mknod': w.record('mknod', o.path, o.mode, o.major, o.minor, o.uid ?? 0, o.gid ?? 0); break;
      case 'symlink': w.record('symlink', o.target, o.link); break;
      case 'write': w.record('write', o.path, o.data); break;
      case 'mkdir': w.record('mkdir', o.path, o.mode); break;
      case 'pivot': w.record('pivot'); break;
      case 'mask': w.record('mask', o.path); break;
      case 'readonly': w.record('readonly', o.path); break;
      case 'rootro': w.record('rootro'); break;
    }
  }
}
