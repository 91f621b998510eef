/**
 * Mounts of a container from `Binds` (`-v src:dst[:opts]`), `Mounts`
 * (`--mount`), and `Tmpfs` (`--tmpfs dst[:opts]`), with Docker's syntax,
 * defaults (rprivate propagation; tmpfs noexec,nosuid,nodev) and errors.
 * Named and anonymous volumes (`-v name:/dst`, `-v /dst`, `--mount
 * type=volume`) are parsed here; the service mounts them through the volume
 * service and passes their host paths to the spec builder.
 */
import * as path from 'node:path';
import { InvalidArgumentError } from '../../errors';
import type { ExecMount } from '../../drivers/execdriver';
import type { HostConfig, MountPoint } from '../types';

const PROPAGATIONS = ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'];

/** A mount after parsing: what start turns into an ExecMount and inspect shows. */
/** What a volume mount asks of the volume service. */
export interface VolumeRequest {
  /** Absent for an anonymous volume (named at create). */
  name?: string;
  driver?: string;
  driverOpts?: Record<string, string>;
  labels?: Record<string, string>;
  nocopy: boolean;
}

export interface ParsedMount {
  type: 'bind' | 'tmpfs' | 'volume';
  source: string;
  destination: string;
  readOnly: boolean;
  propagation: string;
  /** Mode string as inspect shows it (`ro,Z`, `""`). */
  mode: string;
  /** bind: non-recursive; tmpfs: data options (`size=…`, `mode=…`). */
  nonRecursive?: boolean;
  data?: string[];
  /** `-v` binds create a missing source directory; `--mount` refuses it. */
  createSource: boolean;
  volume?: VolumeRequest;
  /** `--tmpfs` entries are not listed in inspect's Mounts (Docker). */
  fromTmpfsFlag?: boolean;
}

function checkDestination(dst: string, what: string): string {
  if (!path.isAbsolute(dst)) {
    throw new InvalidArgumentError(`invalid mount config for type "${what}": invalid mount path: '${dst}' mount path must be absolute`);
  }
  const clean = path.posix.normalize(dst);
  if (clean === '/') throw new InvalidArgumentError(`invalid mount config for type "${what}": invalid specification: destination can't be '/'`);
  return clean.replace(/\/+$/, '');
}

/** Parses one `-v` entry. */
export function parseBind(spec: string): ParsedMount {
  const parts = spec.split(':');
  if (parts.length < 1 || parts.length > 3 || parts.some((p) => p === '')) {
    throw new InvalidArgumentError(`invalid volume specification: '${spec}'`);
  }
  if (parts.length === 1) {
    return { type: 'volume', source: '', destination: checkDestination(parts[0], 'volume'), readOnly: false, propagation: '', mode: '', createSource: false, volume: { nocopy: false } };
  }
  const [src, dstRaw, modeStr = ''] = parts;
  const isVolume = !path.isAbsolute(src);
  const destination = checkDestination(dstRaw, isVolume ? 'volume' : 'bind');
  let readOnly = false;
  let propagation = 'rprivate';
  let rwSeen = false;
  let propSeen = false;
  let nocopy = false;
  for (const m of modeStr === '' ? [] : modeStr.split(',')) {
    if (m === 'ro' || m === 'rw') {
      if (rwSeen) throw new InvalidArgumentError(`invalid mode: ${modeStr}`);
      rwSeen = true; readOnly = m === 'ro';
    } else if (PROPAGATIONS.includes(m)) {
      if (propSeen) throw new InvalidArgumentError(`invalid mode: ${modeStr}`);
      propSeen = true; propagation = m;
    } else if (m === 'nocopy') {
      nocopy = true;
    } else if (m === 'z' || m === 'Z' || m === 'consistent' || m === 'cached' || m === 'delegated') {
      // SELinux relabel and volume copy flags: accepted, no effect for binds here
    } else {
      throw new InvalidArgumentError(`invalid mode: ${modeStr}`);
    }
  }
  if (isVolume) {
    if (propSeen) throw new InvalidArgumentError(`invalid mode: ${modeStr}: propagation is for bind mounts`);
    return { type: 'volume', source: '', destination, readOnly, propagation: '', mode: modeStr, createSource: false, volume: { name: src, nocopy } };
  }
  return { type: 'bind', source: path.posix.normalize(src), destination, readOnly, propagation, mode: modeStr, createSource: true };
}

/** Parses one `--mount` entry (HostConfig.Mounts). */
export function parseMountSpec(m: NonNullable<HostConfig['Mounts']>[number]): ParsedMount {
  switch (m.Type) {
    case 'bind': {
      if (!m.Source) throw new InvalidArgumentError('invalid mount config for type "bind": field Source must not be empty');
      if (!path.isAbsolute(m.Source)) {
        throw new InvalidArgumentError(`invalid mount config for type "bind": invalid mount path: '${m.Source}' mount path must be absolute`);
      }
      if (m.TmpfsOptions) throw new InvalidArgumentError('invalid mount config for type "bind": field TmpfsOptions must not be specified');
      return {
        type: 'bind', source: path.posix.normalize(m.Source), destination: checkDestination(m.Target, 'bind'),
        readOnly: !!m.ReadOnly, propagation: m.BindOptions?.Propagation || 'rprivate', mode: '',
        nonRecursive: !!m.BindOptions?.NonRecursive, createSource: false,
      };
    }
    case 'tmpfs': {
      if (m.Source) throw new InvalidArgumentError('invalid mount config for type "tmpfs": field Source must not be specified');
      if (m.BindOptions) throw new InvalidArgumentError('invalid mount config for type "tmpfs": field BindOptions must not be specified');
      const data: string[] = [];
      const size = m.TmpfsOptions?.SizeBytes;
      if (size !== undefined && size !== null) {
        if (size < 0) throw new InvalidArgumentError('invalid mount config for type "tmpfs": invalid tmpfs size');
        if (size > 0) data.push(`size=${size}`);
      }
      const mode = m.TmpfsOptions?.Mode;
      if (mode) data.push(`mode=${mode.toString(8)}`);
      return {
        type: 'tmpfs', source: 'tmpfs', destination: checkDestination(m.Target, 'tmpfs'), readOnly: !!m.ReadOnly,
        propagation: '', mode: '', data, createSource: false,
      };
    }
    case 'volume': {
      if (m.BindOptions) throw new InvalidArgumentError('invalid mount config for type "volume": field BindOptions must not be specified');
      if (m.TmpfsOptions) throw new InvalidArgumentError('invalid mount config for type "volume": field TmpfsOptions must not be specified');
      const vo = (m.VolumeOptions ?? {}) as { NoCopy?: boolean; Labels?: Record<string, string>; DriverConfig?: { Name?: string; Options?: Record<string, string> } };
      return {
        type: 'volume', source: '', destination: checkDestination(m.Target, 'volume'), readOnly: !!m.ReadOnly, propagation: '',
        mode: '', createSource: false,
        volume: {
          name: m.Source || undefined, nocopy: !!vo.NoCopy, labels: vo.Labels ?? undefined,
          driver: vo.DriverConfig?.Name || undefined, driverOpts: vo.DriverConfig?.Options ?? undefined,
        },
      };
    }
    default:
      throw new InvalidArgumentError(`mount type unknown: "${String(m.Type)}"`);
  }
}

/** Parses one `--tmpfs` entry: destination and its option string. */
export function parseTmpfs(destination: string, options: string): ParsedMount {
  const dst = checkDestination(destination, 'tmpfs');
  const opts = options === '' ? [] : options.split(',');
  const flags = opts.filter((o) => !o.includes('='));
  for (const f of flags) {
    if (!TMPFS_FLAGS.has(f)) throw new InvalidArgumentError(`invalid tmpfs option ["${f}"] for ${destination}`);
  }
  return {
    type: 'tmpfs', source: 'tmpfs', destination: dst, readOnly: flags.includes('ro'), propagation: '',
    mode: options, data: opts, createSource: false, fromTmpfsFlag: true,
  };
}

const TMPFS_FLAGS = new Set([
  'ro', 'rw', 'exec', 'noexec', 'suid', 'nosuid', 'dev', 'nodev', 'sync', 'async', 'dirsync', 'remount',
  'mand', 'nomand', 'atime', 'noatime', 'diratime', 'nodiratime', 'relatime', 'norelatime', 'strictatime',
  'nostrictatime', 'private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave',
]);

/** Opposites: a later flag overrides an earlier one of the same pair. */
const FLAG_PAIRS: ReadonlyArray<[string, string]> = [
  ['ro', 'rw'], ['exec', 'noexec'], ['suid', 'nosuid'], ['dev', 'nodev'], ['sync', 'async'],
  ['atime', 'noatime'], ['diratime', 'nodiratime'], ['relatime', 'norelatime'], ['mand', 'nomand'],
];

/**
 * Docker's MergeTmpfsOptions: defaults first, then the user's; for each
 * flag pair and each `key=value` the last one wins; order is kept.
 */
export function mergeTmpfsOptions(options: readonly string[]): string[] {
  const out: string[] = [];
  for (const o of options) {
    const eq = o.indexOf('=');
    if (eq > 0) {
      const key = o.slice(0, eq + 1);
      const i = out.findIndex((x) => x.startsWith(key));
      if (i >= 0) out.splice(i, 1);
    } else {
      const pair = FLAG_PAIRS.find(([a, b]) => a === o || b === o);
      for (const f of pair ?? [o]) {
        const i = out.indexOf(f);
        if (i >= 0) out.splice(i, 1);
      }
    }
    out.push(o);
  }
  return out;
}

/**
 * Every mount of a HostConfig, validated; duplicate destinations are an
 * InvalidArgumentError `Duplicate mount point: /x`, as in Docker.
 */
export function parseMounts(hc: Pick<HostConfig, 'Binds' | 'Mounts' | 'Tmpfs'>): ParsedMount[] {
  const out: ParsedMount[] = [];
  for (const b of hc.Binds ?? []) out.push(parseBind(b));
  for (const m of hc.Mounts ?? []) out.push(parseMountSpec(m));
  for (const [dst, opts] of Object.entries(hc.Tmpfs ?? {})) out.push(parseTmpfs(dst, opts));
  const seen = new Set<string>();
  for (const m of out) {
    if (seen.has(m.destination)) throw new InvalidArgumentError(`Duplicate mount point: ${m.destination}`);
    seen.add(m.destination);
  }
  return out;
}

/**
 * Anonymous volumes for the image's (and Config's) `Volumes` destinations no
 * other mount covers, as Docker creates them.
 */
export function imageVolumeMounts(volumes: Record<string, unknown> | null | undefined, taken: readonly ParsedMount[]): ParsedMount[] {
  const out: ParsedMount[] = [];
  for (const dst of Object.keys(volumes ?? {})) {
    const d = checkDestination(dst, 'volume');
    if (taken.some((m) => m.destination === d) || out.some((m) => m.destination === d)) continue;
    out.push({ type: 'volume', source: '', destination: d, readOnly: false, propagation: '', mode: '', createSource: false, volume: { nocopy: false } });
  }
  return out;
}

/** The ExecMount for a parsed mount, with Docker's default options (volumes: `source` is the volume's host path). */
export function toExecMount(m: ParsedMount): ExecMount {
  if (m.type === 'volume') {
    return { type: 'bind', source: m.source, destination: m.destination, options: ['rbind', m.readOnly ? 'ro' : 'rw', 'rprivate'] };
  }
  if (m.type === 'bind') {
    return {
      type: 'bind', source: m.source, destination: m.destination,
      options: [m.nonRecursive ? 'bind' : 'rbind', m.readOnly ? 'ro' : 'rw', m.propagation || 'rprivate'],
    };
  }
  const opts = mergeTmpfsOptions(['noexec', 'nosuid', 'nodev', ...(m.data ?? []), ...(m.readOnly ? ['ro'] : [])]);
  return { type: 'tmpfs', source: 'tmpfs', destination: m.destination, options: opts };
}

/** The inspect `Mounts` entry for a parsed mount. */
export function toMountPoint(m: ParsedMount): MountPoint {
  const mp: MountPoint = {
    Type: m.type, Source: m.type === 'tmpfs' ? '' : m.source, Destination: m.destination, Mode: m.mode,
    RW: !m.readOnly, Propagation: m.propagation,
  };
  if (m.type === 'volume') { mp.Name = m.volume?.name ?? ''; mp.Driver = m.volume?.driver ?? 'local'; }
  return mp;
}
