/**
 * `--change` instructions for import and commit (Docker's subset of
 * Dockerfile: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER,
 * VOLUME, WORKDIR) applied to an image's run config.
 */
import { InvalidArgumentError } from '../errors';
import type { ImageRunConfig } from './image-config';

function jsonOrShell(arg: string): string[] {
  const t = arg.trim();
  if (t.startsWith('[')) {
    try {
      const v = JSON.parse(t) as unknown;
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
    } catch { /* shell form */ }
  }
  return ['/bin/sh', '-c', t];
}

function jsonOrWords(arg: string): string[] {
  const t = arg.trim();
  if (t.startsWith('[')) {
    try {
      const v = JSON.parse(t) as unknown;
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
    } catch { /* word list */ }
  }
  return t.split(/\s+/).filter(Boolean);
}

function unquote(s: string): string {
  return /^".*"$|^'.*'$/.test(s) ? s.slice(1, -1) : s;
}

/** `k=v k2="v 2"` or the legacy `k v` form → pairs. */
function keyValues(arg: string, what: string): Array<[string, string]> {
  const t = arg.trim();
  const m = /^([^\s=]+)\s+(.*)$/.exec(t);
  if (m && !m[1].includes('=')) return [[m[1], m[2]]];
  const out: Array<[string, string]> = [];
  const re = /([^\s=]+)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g;
  let hit: RegExpExecArray | null;
  while ((hit = re.exec(t))) out.push([hit[1], unquote(hit[2])]);
  if (!out.length) throw new InvalidArgumentError(`${what} needs key=value pairs: "${arg}"`);
  return out;
}

/**
 * Applies `changes` (one instruction each) to a copy of `base` and returns
 * it. An unknown instruction is an InvalidArgumentError naming it.
 */
export function applyChanges(base: ImageRunConfig, changes: string[]): ImageRunConfig {
  const cfg: ImageRunConfig = JSON.parse(JSON.stringify(base ?? {})) as ImageRunConfig;
  for (const line of changes) {
    const m = /^\s*(\w+)\s*(.*)$/s.exec(line);
    if (!m) continue;
    const instr = m[1].toUpperCase();
    const arg = m[2];
    switch (instr) {
      case 'CMD': cfg.Cmd = jsonOrShell(arg); break;
      case 'ENTRYPOINT': cfg.Entrypoint = jsonOrShell(arg); break;
      case 'ENV': {
        const env = [...(cfg.Env ?? [])];
        for (const [k, v] of keyValues(arg, 'ENV')) {
          const i = env.findIndex((e) => e.split('=')[0] === k);
          if (i >= 0) env[i] = `${k}=${v}`; else env.push(`${k}=${v}`);
        }
        cfg.Env = env;
        break;
      }
      case 'LABEL': {
        cfg.Labels = { ...(cfg.Labels ?? {}) };
        for (const [k, v] of keyValues(arg, 'LABEL')) cfg.Labels[k] = v;
        break;
      }
      case 'EXPOSE': {
        cfg.ExposedPorts = { ...(cfg.ExposedPorts ?? {}) };
        for (const p of arg.trim().split(/\s+/).filter(Boolean)) {
          if (!/^\d+(-\d+)?(\/(tcp|udp|sctp))?$/i.test(p)) throw new InvalidArgumentError(`EXPOSE: invalid port "${p}"`);
          cfg.ExposedPorts[p.includes('/') ? p.toLowerCase() : `${p}/tcp`] = {};
        }
        break;
      }
      case 'USER': cfg.User = arg.trim(); break;
      case 'WORKDIR': cfg.WorkingDir = arg.trim(); break;
      case 'STOPSIGNAL': cfg.StopSignal = arg.trim(); break;
      case 'VOLUME': {
        cfg.Volumes = { ...(cfg.Volumes ?? {}) };
        for (const v of jsonOrWords(arg)) cfg.Volumes[v] = {};
        break;
      }
      case 'ONBUILD': cfg.OnBuild = [...(cfg.OnBuild ?? []), arg.trim()]; break;
      default:
        throw new InvalidArgumentError(`${instr} is not a valid change command`);
    }
  }
  return cfg;
}
