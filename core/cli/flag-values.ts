/**
 * Parsers for the values of `berth run`/`create` flags, with Docker's
 * syntaxes and Docker's error wording: port specs, volume specs, `--mount`
 * CSV, sizes, CPUs, restart policies, capabilities, key=value lists.
 * Every bad value is an InvalidArgumentError naming the flag value.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { InvalidArgumentError } from '../errors';

/** One host binding of a published port (Docker's PortBinding). */
export interface PortBinding { HostIp: string; HostPort: string }

/** What one `-p` value publishes: `80/tcp` keys with their host bindings. */
export type PortMap = Record<string, PortBinding[]>;

function parsePortRange(s: string, what: string, spec: string): [number, number] {
  const m = /^([0-9]+)(?:-([0-9]+))?$/.exec(s);
  if (!m) throw new InvalidArgumentError(`invalid ${what}: ${s} (in ${JSON.stringify(spec)})`);
  const start = Number(m[1]);
  const end = m[2] === undefined ? start : Number(m[2]);
  if (start > 65535 || end > 65535) throw new InvalidArgumentError(`invalid ${what}: ${s}: port numbers go up to 65535`);
  if (end < start) throw new InvalidArgumentError(`invalid range specified for ${what}: ${s}`);
  return [start, end];
}

/**
 * Parses one `-p` value, `[ip:][hostPort:]containerPort[/proto]` with
 * optional ranges (`8000-8001:80-81`) and bracketed IPv6 addresses, as
 * Docker's nat.ParsePortSpec does.
 */
export function parsePortSpec(spec: string): PortMap {
  const parts = spec.split(':');
  const n = parts.length;
  let rawIp = '';
  let hostPort = '';
  const containerSpec = parts[n - 1];
  if (n === 2) hostPort = parts[0];
  else if (n >= 3) { rawIp = parts.slice(0, n - 2).join(':'); hostPort = parts[n - 2]; }
  let ip = rawIp;
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  if (ip !== '' && net.isIP(ip) === 0) throw new InvalidArgumentError(`invalid IP address: ${rawIp} (in ${JSON.stringify(spec)})`);
  if (containerSpec === '') throw new InvalidArgumentError(`no port specified: ${spec}<empty>`);
  const slash = containerSpec.indexOf('/');
  const portPart = slash < 0 ? containerSpec : containerSpec.slice(0, slash);
  const proto = slash < 0 ? 'tcp' : containerSpec.slice(slash + 1).toLowerCase();
  if (!['tcp', 'udp', 'sctp'].includes(proto)) throw new InvalidArgumentError(`invalid proto: ${proto} (in ${JSON.stringify(spec)})`);
  const [start, end] = parsePortRange(portPart, 'containerPort', spec);
  let hStart = 0;
  let hEnd = 0;
  if (hostPort !== '') [hStart, hEnd] = parsePortRange(hostPort, 'hostPort', spec);
  if (hostPort !== '' && end - start !== hEnd - hStart && end !== start) {
    throw new InvalidArgumentError(`invalid ranges specified for container and host Ports: ${portPart} and ${hostPort}`);
  }
  const out: PortMap = {};
  for (let i = 0; i <= end - start; i++) {
    let hp = hostPort === '' ? '' : String(hStart + i);
    if (start === end && hStart !== hEnd) hp = `${hStart}-${hEnd}`;
    const key = `${start + i}/${proto}`;
    (out[key] ??= []).push({ HostIp: ip, HostPort: hp });
  }
  return out;
}

/** Parses `--expose 80[-90][/proto]` into port keys. */
export function parseExpose(spec: string): string[] {
  const slash = spec.indexOf('/');
  const portPart = slash < 0 ? spec : spec.slice(0, slash);
  const proto = slash < 0 ? 'tcp' : spec.slice(slash + 1).toLowerCase();
  if (!['tcp', 'udp', 'sctp'].includes(proto)) throw new InvalidArgumentError(`invalid proto: ${proto} (in --expose ${spec})`);
  const [start, end] = parsePortRange(portPart, 'port', spec);
  const out: string[] = [];
  for (let p = start; p <= end; p++) out.push(`${p}/${proto}`);
  return out;
}

const MOUNT_MODES = new Set(['rw', 'ro', 'z', 'Z', 'nocopy', 'shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate',
  'consistent', 'cached', 'delegated']);
const PROPAGATIONS = new Set(['shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate']);

function validateMode(mode: string, spec: string): void {
  const opts = mode.split(',');
  let rw = 0; let prop = 0; let label = 0;
  for (const o of opts) {
    if (!MOUNT_MODES.has(o)) throw new InvalidArgumentError(`invalid mode: ${o} (in volume spec ${JSON.stringify(spec)})`);
    if (o === 'rw' || o === 'ro') rw++;
    if (PROPAGATIONS.has(o)) prop++;
    if (o === 'z' || o === 'Z') label++;
  }
  if (rw > 1 || prop > 1 || label > 1) throw new InvalidArgumentError(`invalid mode: ${mode} (conflicting options in volume spec ${JSON.stringify(spec)})`);
}

/** What one `-v` value becomes: a bind/named-volume string for HostConfig.Binds, or an anonymous volume's destination (Config.Volumes). */
export type VolumeSpec = { bind: string } | { anonymous: string };

/**
 * Parses one `-v` value: `/dst`, `/dst:mode`, `src:/dst[:mode]` where src is
 * an absolute path, a `./relative` path (made absolute against `cwd`), or a
 * volume name.
 */
export function parseVolumeSpec(spec: string, cwd = process.cwd()): VolumeSpec {
  const arr = spec.split(':');
  let src = '';
  let dst: string;
  let mode = '';
  if (arr.length === 1) {
    dst = arr[0];
  } else if (arr.length === 2) {
    if (arr[1].split(',').every((o) => MOUNT_MODES.has(o))) { dst = arr[0]; mode = arr[1]; }
    else { src = arr[0]; dst = arr[1]; }
  } else if (arr.length === 3) {
    [src, dst, mode] = arr;
  } else {
    throw new InvalidArgumentError(`invalid volume specification: '${spec}'`);
  }
  if (dst === '') throw new InvalidArgumentError(`invalid volume specification: '${spec}': empty destination`);
  if (!dst.startsWith('/')) throw new InvalidArgumentError(`invalid volume specification: '${spec}': mount path must be absolute`);
  if (path.posix.normalize(dst) === '/') throw new InvalidArgumentError(`invalid volume specification: '${spec}': destination can't be '/'`);
  if (mode !== '') validateMode(mode, spec);
  if (arr.length === 1 || src === '') {
    if (src === '' && arr.length === 3) throw new InvalidArgumentError(`invalid volume specification: '${spec}': empty source`);
    return { anonymous: dst };
  }
  if (src.startsWith('.')) src = path.resolve(cwd, src);
  else if (!src.startsWith('/') && !/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(src)) {
    throw new InvalidArgumentError(`"${src}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`);
  }
  return { bind: [src, dst, ...(mode === '' ? [] : [mode])].join(':') };
}

/** Docker's Mount object (HostConfig.Mounts items). */
export interface MountSpec {
  Type: 'bind' | 'volume' | 'tmpfs';
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: { Propagation?: string; NonRecursive?: boolean };
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string>; DriverConfig?: { Name?: string; Options?: Record<string, string> } };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

function parseBool(v: string, key: string, spec: string): boolean {
  if (['', 'true', '1'].includes(v.toLowerCase())) return true;
  if (['false', '0'].includes(v.toLowerCase())) return false;
  throw new InvalidArgumentError(`invalid value for ${key}: ${v} (in --mount ${spec})`);
}

/** Splits a CSV field list, honouring double quotes around a field (as Go's csv reader does). */
function splitCsv(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of s) {
    if (ch === '"') quoted = !quoted;
    else if (ch === ',' && !quoted) { out.push(cur); cur = ''; }
    else cur += ch;
  }
  out.push(cur);
  return out;
}

/** Parses one `--mount` value (`type=bind,source=/a,target=/b,readonly`), as Docker's opts.MountOpt. */
export function parseMountSpec(spec: string): MountSpec {
  const m: Partial<MountSpec> & { Type: MountSpec['Type'] } = { Type: 'volume' };
  const bind: NonNullable<MountSpec['BindOptions']> = {};
  const vol: NonNullable<MountSpec['VolumeOptions']> = {};
  const tmpfs: NonNullable<MountSpec['TmpfsOptions']> = {};
  let sawBind = false; let sawVol = false; let sawTmpfs = false;
  for (const field of splitCsv(spec)) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? '' : field.slice(eq + 1).trim();
    if (eq < 0 && !['readonly', 'ro', 'volume-nocopy', 'bind-nonrecursive'].includes(key)) {
      throw new InvalidArgumentError(`invalid field '${field}' must be a key=value pair (in --mount ${spec})`);
    }
    switch (key) {
      case 'type':
        if (!['bind', 'volume', 'tmpfs'].includes(value)) throw new InvalidArgumentError(`invalid mount type '${value}' (in --mount ${spec}): expected bind, volume or tmpfs`);
        m.Type = value as MountSpec['Type']; break;
      case 'source': case 'src': m.Source = value; break;
      case 'target': case 'dst': case 'destination': m.Target = value; break;
      case 'readonly': case 'ro': m.ReadOnly = parseBool(value, key, spec); break;
      case 'consistency': m.Consistency = value; break;
      case 'bind-propagation':
        if (!PROPAGATIONS.has(value)) throw new InvalidArgumentError(`invalid bind-propagation '${value}' (in --mount ${spec})`);
        bind.Propagation = value; sawBind = true; break;
      case 'bind-nonrecursive': bind.NonRecursive = parseBool(value, key, spec); sawBind = true; break;
      case 'volume-nocopy': vol.NoCopy = parseBool(value, key, spec); sawVol = true; break;
      case 'volume-label': {
        const [k, v = ''] = splitKeyValue(value);
        (vol.Labels ??= {})[k] = v; sawVol = true; break;
      }
      case 'volume-driver': (vol.DriverConfig ??= {}).Name = value; sawVol = true; break;
      case 'volume-opt': {
        const [k, v = ''] = splitKeyValue(value);
        ((vol.DriverConfig ??= {}).Options ??= {})[k] = v; sawVol = true; break;
      }
      case 'tmpfs-size': tmpfs.SizeBytes = parseSize(value); sawTmpfs = true; break;
      case 'tmpfs-mode': {
        if (!/^[0-7]+$/.test(value)) throw new InvalidArgumentError(`invalid tmpfs-mode '${value}': expected an octal mode (in --mount ${spec})`);
        tmpfs.Mode = parseInt(value, 8); sawTmpfs = true; break;
      }
      default:
        throw new InvalidArgumentError(`unexpected key '${key}' in '${field}' (in --mount ${spec})`);
    }
  }
  if (!m.Target) throw new InvalidArgumentError(`target is required (in --mount ${spec})`);
  if (sawBind && m.Type !== 'bind') throw new InvalidArgumentError(`cannot mix 'bind-*' options with mount type '${m.Type}'`);
  if (sawVol && m.Type !== 'volume') throw new InvalidArgumentError(`cannot mix 'volume-*' options with mount type '${m.Type}'`);
  if (sawTmpfs && m.Type !== 'tmpfs') throw new InvalidArgumentError(`cannot mix 'tmpfs-*' options with mount type '${m.Type}'`);
  if (m.Type === 'bind' && !m.Source) throw new InvalidArgumentError(`source is required when specifying bind mounts (in --mount ${spec})`);
  if (m.Type === 'tmpfs' && m.Source) throw new InvalidArgumentError(`source is not allowed for tmpfs mounts (in --mount ${spec})`);
  if (sawBind) m.BindOptions = bind;
  if (sawVol) m.VolumeOptions = vol;
  if (sawTmpfs) m.TmpfsOptions = tmpfs;
  return m as MountSpec;
}

const SIZE_RE = /^([0-9]+(?:\.[0-9]+)?) ?([kKmMgGtTpP])?[iI]?[bB]?$/;
const UNIT: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** Parses a memory size like Docker's RAMInBytes (`512m`, `1g`, `1.5GiB`, `100`): binary units. */
export function parseSize(s: string): number {
  const m = SIZE_RE.exec(s.trim());
  if (!m) throw new InvalidArgumentError(`invalid size: '${s}'`);
  return Math.floor(Number(m[1]) * UNIT[(m[2] ?? '').toLowerCase()]);
}

/** Parses `--cpus 1.5` into NanoCpus (1.5e9), refusing more than nine decimals. */
export function parseCpus(s: string): number {
  if (!/^[0-9]*\.?[0-9]+$/.test(s.trim())) throw new InvalidArgumentError(`invalid argument "${s}" for "--cpus" flag: failed to parse ${s} as a rational number`);
  const [int, frac = ''] = s.trim().split('.');
  if (frac.length > 9) throw new InvalidArgumentError(`invalid argument "${s}" for "--cpus" flag: value is too precise`);
  return Number(int || '0') * 1e9 + Number(frac.padEnd(9, '0'));
}

/** Parses `--restart`: `no`, `always`, `unless-stopped`, `on-failure[:max-retries]`. */
export function parseRestart(s: string): { Name: string; MaximumRetryCount: number } {
  const colon = s.indexOf(':');
  const name = colon < 0 ? s : s.slice(0, colon);
  const count = colon < 0 ? '' : s.slice(colon + 1);
  if (colon >= 0 && name === '') throw new InvalidArgumentError('invalid restart policy format: no policy provided before colon');
  if (!['no', 'always', 'unless-stopped', 'on-failure', ''].includes(name)) {
    throw new InvalidArgumentError(`invalid restart policy '${name}': expected no, always, unless-stopped or on-failure[:max-retries]`);
  }
  let max = 0;
  if (count !== '') {
    if (!/^-?[0-9]+$/.test(count)) throw new InvalidArgumentError('invalid restart policy format: maximum retry count must be an integer');
    max = Number(count);
    if (name !== 'on-failure') throw new InvalidArgumentError(`invalid restart policy: maximum retry count can only be used with 'on-failure', not '${name}'`);
    if (max < 0) throw new InvalidArgumentError('invalid restart policy: maximum retry count cannot be negative');
  }
  return { Name: name === '' ? 'no' : name, MaximumRetryCount: max };
}

/** Normalises capability names as Docker does: upper case, `CAP_` prefix, `ALL` kept, duplicates dropped. */
export function normalizeCaps(caps: string[]): string[] {
  const out: string[] = [];
  for (const c of caps) {
    const u = c.trim().toUpperCase();
    if (u === '') continue;
    const n = u === 'ALL' || u.startsWith('CAP_') ? u : `CAP_${u}`;
    if (!/^(ALL|CAP_[A-Z0-9_]+)$/.test(n)) throw new InvalidArgumentError(`invalid capability: ${c}`);
    if (!out.includes(n)) out.push(n);
  }
  return out;
}

/** Splits `k=v` at the first `=`: `[k, v]`, or `[k]` when there is none. */
export function splitKeyValue(s: string): [string, string?] {
  const i = s.indexOf('=');
  return i < 0 ? [s] : [s.slice(0, i), s.slice(i + 1)];
}

/**
 * One `-e` value: `KEY=VALUE` as is; a bare `KEY` takes the client's value
 * when set, else is kept bare (Docker's ValidateEnv).
 */
export function parseEnv(s: string, env: NodeJS.ProcessEnv): string {
  const [k, v] = splitKeyValue(s);
  if (k === '') throw new InvalidArgumentError(`invalid environment variable: ${s}`);
  if (v !== undefined) return s;
  return env[k] !== undefined ? `${k}=${env[k]}` : k;
}

/** Reads an `--env-file`: one variable a line, `#` comments and blank lines skipped. */
export function readEnvFile(file: string, env: NodeJS.ProcessEnv): string[] {
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch (err) {
    throw new InvalidArgumentError(`cannot read env file ${file}: ${(err as Error).message}`);
  }
  return text.split('\n').map((l) => l.replace(/^\s+/, '')).filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => parseEnv(l.replace(/\r$/, ''), env));
}

/** `--tmpfs /run:rw,size=64m` → `['/run', 'rw,size=64m']`. */
export function parseTmpfs(s: string): [string, string] {
  const i = s.indexOf(':');
  const dst = i < 0 ? s : s.slice(0, i);
  if (!dst.startsWith('/')) throw new InvalidArgumentError(`invalid tmpfs ${JSON.stringify(s)}: mount path must be absolute`);
  return [dst, i < 0 ? '' : s.slice(i + 1)];
}

/**
 * `--security-opt`: values pass as given, except `seccomp=<file>` whose file
 * is read and sent inline (compact JSON), as the docker CLI does.
 */
export function parseSecurityOpt(s: string, cwd = process.cwd()): string {
  const m = /^seccomp[=:](.*)$/.exec(s);
  if (!m || m[1] === 'unconfined' || m[1].trimStart().startsWith('{')) return s;
  const file = path.resolve(cwd, m[1]);
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch (err) {
    throw new InvalidArgumentError(`opening seccomp profile (${m[1]}) failed: ${(err as Error).message}`);
  }
  try { return `seccomp=${JSON.stringify(JSON.parse(text))}`; } catch (err) {
    throw new InvalidArgumentError(`compacting json for seccomp profile (${m[1]}) failed: ${(err as Error).message}`);
  }
}
