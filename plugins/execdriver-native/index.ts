/**
 * execdriver.native: berth's libcontainer. Provides `execdriver:native`, an
 * ExecDriver that isolates processes with namespaces, cgroups (v1 and v2),
 * capabilities, seccomp and (where the kernel has it) AppArmor, each
 * container under its own berth-shim.
 */
import { definePlugin } from '../../core';
import { NativeExecDriver } from './native-exec-driver';

export interface NativeExecOptions {
  /** Override of the berth-shim executable (default: native/build/Release/berth-shim). */
  shimPath?: string;
  /** Override of the berth-init executable used for `--init`. */
  initPath?: string;
}

export default definePlugin<NativeExecOptions>({
  kind: 'execdriver',
  id: 'native',
  version: '1.0.0',
  apiVersion: '^1.0.0',
  description: 'namespaces, cgroups, capabilities, seccomp and AppArmor through berth-shim',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { shimPath: { type: 'string', minLength: 1 }, initPath: { type: 'string', minLength: 1 } },
  },
  defaults: {},
  init(ctx) {
    ctx.provide('execdriver:native', new NativeExecDriver({
      shimPath: ctx.options.shimPath,
      initPath: ctx.options.initPath,
      seccompCacheDir: `${ctx.stateDir}/seccomp-cache`,
    }));
  },
});

export { NativeExecDriver, shimZygotes, stopShimZygotes } from './native-exec-driver';
export type { NativeExecDriverOptions } from './native-exec-driver';
export * from './defaults';
export { stopContainer } from './stop';
export type { StopOptions } from './stop';
export { defaultSeccompProfile } from './seccomp-default-profile';
export { validateSeccompProfile, flattenSeccompProfile } from './seccomp-profile';
export { applyCapabilityChanges, privilegedCapabilities, CAPABILITY_NAMES } from './capabilities';
export { decideApparmor, generateApparmorProfile, apparmorAvailable, DEFAULT_APPARMOR_PROFILE } from './apparmor';
export { resolveUser } from './user';
