/**
 * `--device`: HostConfig.Devices turned into the device nodes an exec driver
 * creates in the container and allows in its device cgroup, as dockerd does.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DeviceNode } from '../../drivers/execdriver';
import { InvalidArgumentError } from '../../errors';
import { devNumbers } from '../../fs/dev-numbers';

/** One entry of HostConfig.Devices (Docker's DeviceMapping). */
export interface DeviceMapping { PathOnHost?: string; PathInContainer?: string; CgroupPermissions?: string }

/** Checks the mappings at create, with dockerd's messages (the host paths are looked at when the container starts). */
export function validateDeviceMappings(devices: DeviceMapping[] | null | undefined): void {
  for (const d of devices ?? []) {
    if (!d.PathOnHost) throw new InvalidArgumentError('invalid device mapping: PathOnHost is empty');
    if (d.PathInContainer && !path.isAbsolute(d.PathInContainer)) {
      throw new InvalidArgumentError(`invalid device mapping: ${d.PathInContainer} is not an absolute path`);
    }
    if (d.CgroupPermissions !== undefined && d.CgroupPermissions !== '' && !/^(?!.*(.).*\1)[rwm]{1,3}$/.test(d.CgroupPermissions)) {
      throw new InvalidArgumentError(`invalid device cgroup permissions: ${JSON.stringify(d.CgroupPermissions)} (a combination of r, w and m)`);
    }
  }
}

/** The node `st` (of a host device file) describes, at `inContainer`; null when it is no device. */
function node(st: fs.Stats, inContainer: string, access: string): DeviceNode | null {
  const type = st.isCharacterDevice() ? 'c' : st.isBlockDevice() ? 'b' : null;
  if (!type) return null;
  const { major, minor } = devNumbers(st.rdev);
  return { path: inContainer, type, major, minor, fileMode: st.mode & 0o7777, uid: st.uid, gid: st.gid, access };
}

/**
 * The device nodes the mappings name, read from the host now: a device file,
 * or every device under a directory (dockerd's rule). An error naming the
 * device when the host path is missing or holds no device.
 */
export function resolveDevices(devices: DeviceMapping[] | null | undefined): DeviceNode[] {
  const out: DeviceNode[] = [];
  for (const d of devices ?? []) {
    const host = d.PathOnHost ?? '';
    const dest = d.PathInContainer || host;
    const access = d.CgroupPermissions || 'rwm';
    let st: fs.Stats;
    try { st = fs.statSync(host); } catch (err) {
      throw new InvalidArgumentError(`error gathering device information while adding custom device "${host}": ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`);
    }
    if (st.isDirectory()) {
      const walk = (dir: string): void => {
        for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
          const p = path.join(dir, e.name);
          if (e.isDirectory()) walk(p);
          else if (e.isCharacterDevice() || e.isBlockDevice()) {
            const n = node(fs.statSync(p), path.join(dest, path.relative(host, p)), access);
            if (n) out.push(n);
          }
        }
      };
      walk(host);
      continue;
    }
    const n = node(st, dest, access);
    if (!n) throw new InvalidArgumentError(`error gathering device information while adding custom device "${host}": not a device node`);
    out.push(n);
  }
  return out;
}
