/**
 * Docker-format seccomp profiles: validation (JSON Schema; errors name the JSON
 * pointer) and flattening into the shim's rule records for one process —
 * conditions on capabilities, architecture and kernel version are resolved
 * here, so the shim only compiles plain rules with libseccomp.
 */
import * as os from 'node:os';
import { compileSchema, InvalidArgumentError } from '../../core';
import { defaultSeccompProfile } from './seccomp-default-profile';

const ACTIONS = ['SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG'];
const OPS = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'];

const filterSchema = {
  type: 'object',
  properties: {
    caps: { type: 'array', items: { type: 'string' } },
    arches: { type: 'array', items: { type: 'string' } },
    minKernel: { type: 'string', pattern: '^[0-9]+\\.[0-9]+' },
  },
};

/** JSON Schema of a Docker seccomp profile (the parts berth understands). */
export const SECCOMP_PROFILE_SCHEMA = {
  type: 'object',
  required: ['defaultAction'],
  properties: {
    defaultAction: { enum: ACTIONS },
    defaultErrnoRet: { type: 'integer', minimum: 0 },
    architectures: { type: 'array', items: { type: 'string', pattern: '^SCMP_ARCH_' } },
    archMap: {
      type: 'array',
      items: {
        type: 'object', required: ['architecture'],
        properties: {
          architecture: { type: 'string', pattern: '^SCMP_ARCH_' },
          subArchitectures: { type: 'array', items: { type: 'string', pattern: '^SCMP_ARCH_' } },
        },
      },
    },
    syscalls: {
      type: 'array',
      items: {
        type: 'object',
        required: ['action'],
        anyOf: [{ required: ['names'] }, { required: ['name'] }],
        properties: {
          names: { type: 'array', items: { type: 'string', minLength: 1 } },
          name: { type: 'string', minLength: 1 },
          action: { enum: ACTIONS },
          errnoRet: { type: 'integer', minimum: 0 },
          args: {
            type: ['array', 'null'], maxItems: 6,
            items: {
              type: 'object', required: ['index', 'op'],
              properties: {
                index: { type: 'integer', minimum: 0, maximum: 5 },
                value: { type: 'integer', minimum: 0 },
                valueTwo: { type: 'integer', minimum: 0 },
                op: { enum: OPS },
              },
            },
          },
          includes: filterSchema,
          excludes: filterSchema,
          comment: { type: 'string' },
        },
      },
    },
  },
} as const;

const validateProfile = compileSchema(SECCOMP_PROFILE_SCHEMA, { allErrors: false });

interface ProfileArg { index: number; value?: number; valueTwo?: number; op: string }
interface ProfileFilter { caps?: string[]; arches?: string[]; minKernel?: string }
interface ProfileSyscall {
  names?: string[]; name?: string; action: string; errnoRet?: number; args?: ProfileArg[] | null;
  includes?: ProfileFilter; excludes?: ProfileFilter;
}
interface Profile {
  defaultAction: string; defaultErrnoRet?: number; architectures?: string[];
  archMap?: Array<{ architecture: string; subArchitectures?: string[] }>; syscalls?: ProfileSyscall[];
}

/**
 * Checks a profile against SECCOMP_PROFILE_SCHEMA. Throws InvalidArgumentError
 * `invalid seccomp profile at <JSON pointer>: <problem>`.
 */
export function validateSeccompProfile(profile: unknown): void {
  if (validateProfile(profile)) return;
  const e = validateProfile.errors?.[0];
  const where = e?.instancePath || '/';
  const extra = e?.params && 'allowedValues' in e.params ? ` (${(e.params.allowedValues as string[]).join(', ')})` : '';
  throw new InvalidArgumentError(`invalid seccomp profile at ${where}: ${e?.message ?? 'invalid'}${extra}`);
}

/** The SCMP_ARCH_ name of the machine Node runs on. */
export function nativeSeccompArch(): string {
  switch (process.arch) {
    case 'x64': return 'SCMP_ARCH_X86_64';
    case 'arm64': return 'SCMP_ARCH_AARCH64';
    case 'ia32': return 'SCMP_ARCH_X86';
    case 'arm': return 'SCMP_ARCH_ARM';
    default: return `SCMP_ARCH_${process.arch.toUpperCase()}`;
  }
}

function kernelAtLeast(min: string, release: string): boolean {
  const [a, b] = min.split('.').map((x) => parseInt(x, 10));
  const [c, d] = release.split('.').map((x) => parseInt(x, 10));
  return c > a || (c === a && d >= b);
}

/** Flat rules for the shim: default action, arches, unconditional rules. */
export interface FlatSeccomp {
  defaultAction: string;
  defaultErrno: number;
  arches: string[];
  rules: Array<{ name: string; action: string; errno: number; args: Array<{ index: number; op: string; value: bigint; valueTwo: bigint }> }>;
}

/**
 * Resolves a profile (validated first) for a process holding `capabilities`
 * on this machine: includes/excludes on caps, arches and minKernel decide
 * which entries apply, as in Docker's loader.
 */
export function flattenSeccompProfile(profile: unknown, capabilities: readonly string[],
  arch = nativeSeccompArch(), kernelRelease = os.release()): FlatSeccomp {
  validateSeccompProfile(profile);
  const p = profile as Profile;
  const caps = new Set(capabilities);
  let arches: string[] = [];
  const mapped = p.archMap?.find((m) => m.architecture === arch);
  if (mapped) arches = [mapped.architecture, ...(mapped.subArchitectures ?? [])];
  else if (p.architectures?.length) arches = [...p.architectures];
  const errnoOf = (action: string, ret: number | undefined, dflt: number): number =>
    action === 'SCMP_ACT_ERRNO' || action === 'SCMP_ACT_TRACE' ? (ret ?? dflt) : 0;
  const flat: FlatSeccomp = {
    defaultAction: p.defaultAction,
    defaultErrno: errnoOf(p.defaultAction, p.defaultErrnoRet, 1),
    arches,
    rules: [],
  };
  for (const s of p.syscalls ?? []) {
    const inc = s.includes ?? {};
    const exc = s.excludes ?? {};
    if (inc.caps?.length && !inc.caps.every((c) => caps.has(c))) continue;
    if (exc.caps?.length && exc.caps.some((c) => caps.has(c))) continue;
    if (inc.arches?.length && !inc.arches.some((a) => a === arch || arch.endsWith(`_${a.toUpperCase()}`))) continue;
    if (exc.arches?.length && exc.arches.some((a) => a === arch || arch.endsWith(`_${a.toUpperCase()}`))) continue;
    if (inc.minKernel && !kernelAtLeast(inc.minKernel, kernelRelease)) continue;
    const names = s.names ?? (s.name ? [s.name] : []);
    const args = (s.args ?? []).map((a) => ({
      index: a.index, op: a.op, value: BigInt(a.value ?? 0), valueTwo: BigInt(a.valueTwo ?? 0),
    }));
    for (const name of names) flat.rules.push({ name, action: s.action, errno: errnoOf(s.action, s.errnoRet, 1), args });
  }
  return flat;
}

/**
 * The flat rules for a process: `undefined` → berth's default profile,
 * `null` → none (unconfined), otherwise the given Docker-format profile.
 */
export function seccompFor(profile: Record<string, unknown> | null | undefined, capabilities: readonly string[]): FlatSeccomp | null {
  if (profile === null) return null;
  if (profile !== undefined) return flattenSeccompProfile(profile, capabilities);
  // the default profile only varies with the capability set: flatten it once per set
  const key = [...capabilities].sort().join(',');
  let flat = defaultFlatCache.get(key);
  if (!flat) {
    flat = flattenSeccompProfile(defaultSeccompProfile(), capabilities);
    if (defaultFlatCache.size > 64) defaultFlatCache.clear();
    defaultFlatCache.set(key, flat);
  }
  return flat;
}

const defaultFlatCache = new Map<string, FlatSeccomp>();
