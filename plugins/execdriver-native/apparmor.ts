/**
 * AppArmor for containers: whether the kernel has it, berth's default
 * profile text (modelled on Docker's docker-default), the decision which
 * profile a container runs under, and loading a profile with apparmor_parser.
 * Where the kernel has no AppArmor, nothing is pretended: the decision says
 * so and `securityOptions()` reports it unavailable.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { FailedPreconditionError, InvalidArgumentError } from '../../core';

export const APPARMOR_FS = '/sys/kernel/security/apparmor';
export const DEFAULT_APPARMOR_PROFILE = 'berth-default';

/** Whether the running kernel has AppArmor enabled (its securityfs directory exists). */
export function apparmorAvailable(fsRoot = APPARMOR_FS): boolean {
  return fs.existsSync(fsRoot);
}

/** Names of profiles the kernel has loaded (`<fsRoot>/profiles`), empty without AppArmor. */
export function loadedApparmorProfiles(fsRoot = APPARMOR_FS): string[] {
  try {
    return fs.readFileSync(`${fsRoot}/profiles`, 'utf8').split('\n').filter(Boolean).map((l) => l.replace(/ \(.*\)$/, ''));
  } catch { return []; }
}

/** berth's default confinement for containers, as AppArmor policy text. */
export function generateApparmorProfile(name = DEFAULT_APPARMOR_PROFILE): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) throw new InvalidArgumentError(`invalid AppArmor profile name: ${name}`);
  return `#include <tunables/global>

profile ${name} flags=(attach_disconnected,mediate_deleted) {
  #include <abstractions/base>

  network,
  capability,
  file,
  umount,
  signal (receive) peer=unconfined,
  signal (send,receive) peer=${name},

  deny @{PROC}/* w,   # deny write for all files directly in /proc (not in a subdir)
  # deny write to files not in /proc/<number>/** or /proc/sys/**
  deny @{PROC}/{[^1-9],[^1-9][^0-9],[^1-9s][^0-9y][^0-9s],[^1-9][^0-9][^0-9][^0-9/]*}/** w,
  deny @{PROC}/sys/[^k]** w,  # deny /proc/sys except /proc/sys/k* (effectively /proc/sys/kernel)
  deny @{PROC}/sys/kernel/{?,??,[^s][^h][^m]**} w,  # deny everything except shm* in /proc/sys/kernel/
  deny @{PROC}/sysrq-trigger rwklx,
  deny @{PROC}/kcore rwklx,

  deny mount,

  deny /sys/[^f]*/** wklx,
  deny /sys/f[^s]*/** wklx,
  deny /sys/fs/[^c]*/** wklx,
  deny /sys/fs/c[^g]*/** wklx,
  deny /sys/fs/cg[^r]*/** wklx,
  deny /sys/firmware/** rwklx,
  deny /sys/devices/virtual/powercap/** rwklx,
  deny /sys/kernel/security/** rwklx,

  # suppress ptrace denials when using 'ps' inside a container
  ptrace (trace,read,tracedby,readby) peer=${name},
}
`;
}

/** Which profile a container runs under, and why. */
export interface ApparmorDecision {
  /** Profile to exec under, or null for none. */
  profile: string | null;
  /** Whether berth must load `profile` (its own default) before use. */
  load: boolean;
  reason: string;
}

/**
 * Decides the AppArmor profile: `requested` is `--security-opt apparmor=X`
 * (`unconfined` or a profile name). Without kernel support a named profile is
 * refused (InvalidArgumentError) rather than silently ignored; the default is
 * simply not applied, and the reason says so.
 */
export function decideApparmor(opts: { available: boolean; privileged: boolean; requested?: string }): ApparmorDecision {
  const { available, privileged, requested } = opts;
  if (requested === 'unconfined') return { profile: null, load: false, reason: 'apparmor=unconfined requested' };
  if (!available) {
    if (requested) throw new InvalidArgumentError(`apparmor=${requested}: this kernel has no AppArmor (${APPARMOR_FS} missing)`);
    return { profile: null, load: false, reason: `this kernel has no AppArmor (${APPARMOR_FS} missing): started without a profile` };
  }
  if (requested) return { profile: requested, load: false, reason: `apparmor=${requested} requested` };
  if (privileged) return { profile: null, load: false, reason: 'privileged containers run unconfined' };
  return { profile: DEFAULT_APPARMOR_PROFILE, load: true, reason: 'default profile' };
}

/** Loads (or replaces) a profile with `apparmor_parser -Kr`. FailedPreconditionError with its stderr on failure. */
export function loadApparmorProfile(text: string, parser = 'apparmor_parser'): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(parser, ['-Kr'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.once('error', (e) => reject(new FailedPreconditionError(`cannot run ${parser}: ${e.message}`, { cause: e })));
    child.once('exit', (code) => code === 0 ? resolve() : reject(new FailedPreconditionError(`${parser} failed: ${err.trim()}`)));
    child.stdin.end(text);
  });
}

/** Makes sure the profile a decision names is usable: loads berth's default when needed. */
export async function ensureApparmorProfile(d: ApparmorDecision, fsRoot = APPARMOR_FS): Promise<void> {
  if (!d.profile) return;
  if (d.load && !loadedApparmorProfiles(fsRoot).includes(d.profile)) await loadApparmorProfile(generateApparmorProfile(d.profile));
  else if (!d.load && !loadedApparmorProfiles(fsRoot).includes(d.profile)) {
    throw new InvalidArgumentError(`AppArmor profile ${d.profile} is not loaded`);
  }
}

/**
 * Makes sure an AppArmor profile named in a process spec can be applied:
 * refuses (InvalidArgumentError) where the kernel has no AppArmor, loads
 * berth's default profile when it is the one named and not loaded yet.
 */
export async function prepareApparmor(profile: string | undefined, privileged: boolean): Promise<void> {
  if (!profile || profile === 'unconfined') return;
  const d = decideApparmor({ available: apparmorAvailable(), privileged, requested: profile });
  await ensureApparmorProfile({ ...d, load: d.profile === DEFAULT_APPARMOR_PROFILE });
}
