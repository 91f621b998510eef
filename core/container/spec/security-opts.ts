/**
 * `--security-opt` parsing, Docker's syntax (moby `daemon.parseSecurityOpt`):
 * `no-new-privileges[=bool]`, `seccomp=unconfined|<profile JSON>`,
 * `apparmor=NAME`, `label=...` / `label:disable` (accepted, no SELinux here).
 * The legacy `:` separator is still understood.
 */
import { InvalidArgumentError } from '../../errors';
import type { SeccompProfile } from '../../drivers/execdriver';

export interface SecurityOptions {
  noNewPrivileges?: boolean;
  /** undefined → the driver's default; null → unconfined; object → custom profile. */
  seccomp?: SeccompProfile;
  apparmorProfile?: string;
  labels: string[];
}

function parseBool(v: string): boolean | undefined {
  const s = v.toLowerCase();
  if (['1', 't', 'true'].includes(s)) return true;
  if (['0', 'f', 'false'].includes(s)) return false;
  return undefined;
}

/**
 * Parses the SecurityOpt list. Throws InvalidArgumentError quoting the bad
 * option (unknown key, bad boolean, seccomp profile that is not JSON).
 */
export function parseSecurityOpts(opts: readonly string[] | null | undefined): SecurityOptions {
  const out: SecurityOptions = { labels: [] };
  for (const opt of opts ?? []) {
    if (opt === 'no-new-privileges') { out.noNewPrivileges = true; continue; }
    if (opt === 'disable') { out.labels.push('disable'); continue; }
    const sep = opt.includes('=') ? '=' : opt.includes(':') ? ':' : '';
    if (sep === '') throw new InvalidArgumentError(`invalid --security-opt: "${opt}"`);
    const i = opt.indexOf(sep);
    const key = opt.slice(0, i);
    const value = opt.slice(i + 1);
    switch (key) {
      case 'label': out.labels.push(value); break;
      case 'apparmor': out.apparmorProfile = value; break;
      case 'no-new-privileges': {
        const b = parseBool(value);
        if (b === undefined) throw new InvalidArgumentError(`invalid --security-opt: "${opt}": no-new-privileges takes a boolean`);
        out.noNewPrivileges = b;
        break;
      }
      case 'seccomp': {
        if (value === 'unconfined') { out.seccomp = null; break; }
        let profile: unknown;
        try { profile = JSON.parse(value); } catch (err) {
          throw new InvalidArgumentError(`invalid --security-opt: seccomp profile is not valid JSON: ${(err as Error).message}`);
        }
        if (typeof profile !== 'object' || profile === null || Array.isArray(profile)) {
          throw new InvalidArgumentError('invalid --security-opt: seccomp profile must be a JSON object');
        }
        out.seccomp = profile as Record<string, unknown>;
        break;
      }
      default:
        throw new InvalidArgumentError(`invalid --security-opt: "${opt}": unknown option ${key}`);
    }
  }
  return out;
}
