/**
 * Merging a container's Config with its image's config, exactly as Docker's
 * `daemon.merge` does, and deriving Path/Args (`getEntrypointAndArgs`).
 */
import { InvalidArgumentError } from '../errors';
import type { ContainerConfig } from './types';

/** The parts of an OCI image config (`config` of the image config file) that matter here. */
export interface ImageRunConfig {
  User?: string;
  ExposedPorts?: Record<string, object> | null;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Entrypoint?: string[] | null;
  WorkingDir?: string;
  Volumes?: Record<string, object> | null;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  ArgsEscaped?: boolean;
  Healthcheck?: Record<string, unknown>;
  Shell?: string[];
}

const envKey = (e: string): string => e.split('=')[0];

/**
 * Fills `user` in place from the image, with Docker's rules: user values win;
 * image Env entries are appended unless the user set the same key; image
 * Labels and ExposedPorts and Volumes are added; the image's Cmd is used only
 * when the user gave neither Entrypoint nor Cmd, and the image's Entrypoint
 * only when the user gave none at all (an explicit empty Entrypoint, as from
 * `--entrypoint ""`, clears it).
 */
export function mergeImageConfig(user: ContainerConfig, image: ImageRunConfig): ContainerConfig {
  if (user.User === '') user.User = image.User ?? '';
  if (!user.ExposedPorts || Object.keys(user.ExposedPorts).length === 0) {
    user.ExposedPorts = image.ExposedPorts ? { ...(image.ExposedPorts as Record<string, Record<string, never>>) } : user.ExposedPorts;
  } else {
    for (const p of Object.keys(image.ExposedPorts ?? {})) if (!(p in user.ExposedPorts)) user.ExposedPorts[p] = {};
  }
  if (user.Env === null || user.Env.length === 0) {
    // dockerd takes the image's Env as it is: null when the image has none
    user.Env = image.Env ? [...image.Env] : null;
  } else {
    for (const ie of image.Env ?? []) {
      if (!user.Env.some((ue) => envKey(ue) === envKey(ie))) user.Env.push(ie);
    }
  }
  for (const [k, v] of Object.entries(image.Labels ?? {})) if (!(k in user.Labels)) user.Labels[k] = v;
  if (user.Entrypoint === null || user.Entrypoint.length === 0) {
    if (user.Cmd === null || user.Cmd.length === 0) {
      user.Cmd = image.Cmd ? [...image.Cmd] : user.Cmd;
      if (image.ArgsEscaped) user.ArgsEscaped = true;
    }
    if (user.Entrypoint === null) user.Entrypoint = image.Entrypoint ? [...image.Entrypoint] : null;
  }
  if (!user.Healthcheck && image.Healthcheck) user.Healthcheck = image.Healthcheck;
  if (user.WorkingDir === '') user.WorkingDir = image.WorkingDir ?? '';
  if (!user.Volumes || Object.keys(user.Volumes).length === 0) {
    user.Volumes = image.Volumes ? { ...(image.Volumes as Record<string, Record<string, never>>) } : null;
  } else {
    for (const v of Object.keys(image.Volumes ?? {})) user.Volumes[v] = {};
  }
  if (!user.StopSignal && image.StopSignal) user.StopSignal = image.StopSignal;
  if (!user.Shell && image.Shell) user.Shell = image.Shell;
  return user;
}

/**
 * Path and Args of PID 1: the entrypoint's first word and the rest followed
 * by Cmd, or Cmd alone. InvalidArgumentError `No command specified` when
 * there is nothing to run, like Docker.
 */
export function entrypointAndArgs(config: Pick<ContainerConfig, 'Entrypoint' | 'Cmd'>): { path: string; args: string[] } {
  const ep = config.Entrypoint ?? [];
  const cmd = config.Cmd ?? [];
  if (ep.length === 0 && cmd.length === 0) throw new InvalidArgumentError('No command specified');
  if (ep.length === 0) return { path: cmd[0], args: cmd.slice(1) };
  return { path: ep[0], args: [...ep.slice(1), ...cmd] };
}

/**
 * Docker's process environment: PATH and HOSTNAME first, TERM=xterm with a
 * tty, then the container's Env replacing or appending by key; `KEY`
 * without `=` removes KEY.
 */
export function processEnv(config: Pick<ContainerConfig, 'Env' | 'Hostname' | 'Tty'>, defaultPath: string): string[] {
  const env = [defaultPath, `HOSTNAME=${config.Hostname}`];
  if (config.Tty) env.push('TERM=xterm');
  for (const e of config.Env ?? []) {
    const i = env.findIndex((x) => envKey(x) === envKey(e));
    // an entry without `=` unsets the variable (Docker's ReplaceOrAppendEnvValues)
    if (!e.includes('=')) { if (i >= 0) env.splice(i, 1); continue; }
    if (i >= 0) env[i] = e; else env.push(e);
  }
  return env;
}
