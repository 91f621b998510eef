/**
 * The SandboxProvider of the bridge plugin: one network namespace per
 * container, bind-mounted at `<exec-root>/netns/<containerId>` with `lo` up,
 * which the exec driver joins by path.
 */
import { existsSync, mkdirSync, promises as fsp, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError, type SandboxProvider } from '../../core';
import type { LinkOps } from './link-ops';
import { berthNet } from './link-ops-netlink';

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export class NetnsSandboxes implements SandboxProvider {
  constructor(private readonly dir: string, private readonly links: LinkOps) {}

  /** The sandbox path of a container (exists only between create and destroy). */
  pathOf(containerId: string): string {
    if (!ID_RE.test(containerId)) throw new InvalidArgumentError(`invalid container id for a sandbox: ${JSON.stringify(containerId)}`);
    return path.join(this.dir, containerId);
  }

  /** Creates the namespace (lo up) and returns its path; AlreadyExists-safe: an existing mounted sandbox is reused. */
  async create(containerId: string): Promise<string> {
    const p = this.pathOf(containerId);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    // the mount table is read only when something is in the way (a sandbox kept, or a stale file)
    if (existsSync(p)) {
      if (isMounted(p)) return p;
      await fsp.rm(p, { force: true });
    }
    await this.links.netnsCreate(p);
    return p;
  }

  /** Unmounts and removes the sandbox; a no-op for an unknown one. */
  async destroy(containerId: string): Promise<void> {
    await this.links.netnsDestroy(this.pathOf(containerId));
  }

  /** Container ids whose sandbox files are mounted namespaces now. */
  async list(): Promise<string[]> {
    let names: string[];
    try { names = await fsp.readdir(this.dir); } catch { return []; }
    return names.filter((n) => isMounted(path.join(this.dir, n)));
  }

  /** A socket bound inside the sandbox (see SandboxProvider.bindSocket). */
  bindSocket(sandboxPath: string, type: 'udp' | 'tcp', address: string, port: number): number {
    return berthNet().bindInNetns(sandboxPath, type, address, port);
  }
}

/** Whether `p` is a mount point in this mount namespace (a live sandbox). */
export function isMounted(p: string): boolean {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
  const esc = p.replace(/[ \t\n\\]/g, (c) => '\\' + c.charCodeAt(0).toString(8).padStart(3, '0'));
  return mounts.split('\n').some((l) => l.split(' ')[4] === esc);
}
