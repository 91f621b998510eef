/**
 * Finds out-of-process Docker plugins by name, as dockerd does: a socket
 * `<name>.sock` in the socket directories (`/run/docker/plugins`), or a spec
 * file `<name>.spec` (a URL: `unix:///path` or `tcp://host:port`) or
 * `<name>.json` (`{"Name", "Addr"}`) in the spec directories
 * (`/etc/docker/plugins`, `/usr/lib/docker/plugins`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError, NotFoundError } from '../../core';
import type { PluginAddress } from './plugin-client';

export interface DiscoveryDirs {
  socketDirs: string[];
  specDirs: string[];
}

/** Parses a plugin address URL. */
export function parseAddress(url: string, where: string): PluginAddress {
  const u = url.trim();
  if (u.startsWith('unix://')) return { socketPath: u.slice('unix://'.length) };
  const m = /^tcp:\/\/([^:/]+):([0-9]+)\/?$/.exec(u);
  if (m) return { host: m[1], port: Number(m[2]) };
  throw new InvalidArgumentError(`${where}: unsupported plugin address "${u}" (want unix:///path or tcp://host:port)`);
}

/** Where plugin `name` listens; NotFoundError `plugin "name" not found` when nothing names it. */
export function discover(name: string, dirs: DiscoveryDirs): PluginAddress {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) throw new InvalidArgumentError(`invalid plugin name "${name}"`);
  for (const d of dirs.socketDirs) {
    for (const p of [path.join(d, `${name}.sock`), path.join(d, name, `${name}.sock`)]) {
      try {
        if (fs.statSync(p).isSocket()) return { socketPath: p };
      } catch { /* not here */ }
    }
  }
  for (const d of dirs.specDirs) {
    const spec = path.join(d, `${name}.spec`);
    if (fs.existsSync(spec)) return parseAddress(fs.readFileSync(spec, 'utf8'), spec);
    const json = path.join(d, `${name}.json`);
    if (fs.existsSync(json)) {
      let obj: { Addr?: string };
      try { obj = JSON.parse(fs.readFileSync(json, 'utf8')) as { Addr?: string }; } catch (err) {
        throw new InvalidArgumentError(`${json}: invalid JSON: ${(err as Error).message}`);
      }
      if (typeof obj.Addr !== 'string') throw new InvalidArgumentError(`${json}: /Addr: must be a string`);
      return parseAddress(obj.Addr, json);
    }
  }
  throw new NotFoundError(`error looking up volume plugin ${name}: plugin "${name}" not found`);
}
