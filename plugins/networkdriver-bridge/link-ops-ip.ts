/**
 * LinkOps by forking iproute2's `ip` (and util-linux `unshare`/`nsenter`) once
 * per step: the fallback where the addon is not built, and the baseline the
 * benchmark compares rtnetlink against.
 */
import { promises as fsp } from 'node:fs';
import type { LinkOps, VethJoinSpec } from './link-ops';
import { runCommand } from './run-command';

export class IpCommandLinkOps implements LinkOps {
  readonly name = 'ip' as const;

  /** See LinkOps.bridgeEnsure. */
  async bridgeEnsure(name: string, mtu: number, address: string, prefixLen: number): Promise<void> {
    if (!(await this.linkExists(name))) {
      await runCommand('ip', ['link', 'add', name, 'mtu', String(mtu), 'type', 'bridge']);
    }
    await runCommand('ip', ['addr', 'replace', `${address}/${prefixLen}`, 'dev', name]);
    await runCommand('ip', ['link', 'set', name, 'mtu', String(mtu), 'up']);
  }
  /** See LinkOps.linkDelete. */
  async linkDelete(name: string): Promise<boolean> {
    if (!(await this.linkExists(name))) return false;
    await runCommand('ip', ['link', 'del', name]);
    return true;
  }
  /** See LinkOps.linkExists. */
  async linkExists(name: string, netnsPath?: string): Promise<boolean> {
    const args = ['link', 'show', 'dev', name];
    try {
      if (netnsPath) await runCommand('nsenter', [`--net=${netnsPath}`, 'ip', ...args]);
      else await runCommand('ip', args);
      return true;
    } catch {
      return false;
    }
  }
  /** See LinkOps.vethJoin: one `ip` per step, the steps rtnetlink does in one call. */
  async vethJoin(s: VethJoinSpec): Promise<void> {
    await runCommand('ip', ['link', 'add', s.hostName, 'mtu', String(s.mtu), 'master', s.bridge, 'up', 'type', 'veth',
      'peer', 'name', s.ifName, 'mtu', String(s.mtu), 'address', s.mac, 'netns', s.netnsPath]);
    const inNs = (args: string[]): Promise<unknown> => runCommand('nsenter', [`--net=${s.netnsPath}`, 'ip', ...args]);
    try {
      await inNs(['addr', 'add', `${s.address}/${s.prefixLen}`, 'dev', s.ifName]);
      await inNs(['link', 'set', s.ifName, 'up']);
      if (s.gateway) {
        await inNs(['route', 'add', 'default', 'via', s.gateway]).catch((err: Error) => {
          if (!/File exists/.test(err.message)) throw err; // already routed through another network
        });
      }
    } catch (err) {
      await this.linkDelete(s.hostName).catch(() => undefined);
      throw err;
    }
  }
  /** See LinkOps.netnsCreate. */
  async netnsCreate(path: string): Promise<void> {
    await fsp.writeFile(path, '', { flag: 'wx', mode: 0o444 });
    try {
      await runCommand('unshare', [`--net=${path}`, 'true']);
      await runCommand('nsenter', [`--net=${path}`, 'ip', 'link', 'set', 'lo', 'up']);
    } catch (err) {
      await this.netnsDestroy(path).catch(() => undefined);
      throw err;
    }
  }
  /** See LinkOps.netnsDestroy. */
  async netnsDestroy(path: string): Promise<void> {
    await runCommand('umount', ['-l', path]).catch(() => undefined);
    await fsp.rm(path, { force: true });
  }
}
