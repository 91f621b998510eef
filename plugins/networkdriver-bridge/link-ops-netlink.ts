/** LinkOps over rtnetlink through the berth_net addon: no process is forked per step. */
import { BerthError, InternalError, loadAddon } from '../../core';
import type { LinkOps, VethJoinSpec } from './link-ops';

/** The berth_net addon's surface (native/src/net/addon.cc). */
export interface BerthNetAddon {
  bridgeEnsure(o: { name: string; mtu: number; address: string; prefixLen: number }): number;
  linkDelete(name: string): boolean;
  /** Same, on a libuv pool thread (the kernel's veth teardown takes tens of ms). */
  linkDeleteAsync(name: string): Promise<boolean>;
  linkIndex(name: string, netnsPath?: string): number;
  vethJoin(o: VethJoinSpec): number;
  netnsCreate(path: string): void;
  /** Same, on a libuv pool thread (the unshare costs ~0.5 ms in the kernel). */
  netnsCreateAsync(path: string): Promise<void>;
  netnsDestroy(path: string): void;
  bindInNetns(path: string, type: 'udp' | 'tcp', address: string, port: number): number;
}

/** Loads berth_net (FailedPreconditionError when it is not built). */
export function berthNet(): BerthNetAddon {
  return loadAddon<BerthNetAddon>('berth_net');
}

function wrap<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof BerthError) throw err;
    throw new InternalError((err as Error).message, { cause: err });
  }
}

export class NetlinkLinkOps implements LinkOps {
  readonly name = 'netlink' as const;
  private readonly nl = berthNet();

  /** See LinkOps.bridgeEnsure. */
  async bridgeEnsure(name: string, mtu: number, address: string, prefixLen: number): Promise<void> {
    wrap(() => this.nl.bridgeEnsure({ name, mtu, address, prefixLen }));
  }
  /** See LinkOps.linkDelete. */
  async linkDelete(name: string): Promise<boolean> {
    try {
      return await this.nl.linkDeleteAsync(name);
    } catch (err) {
      throw new InternalError((err as Error).message, { cause: err });
    }
  }
  /** See LinkOps.linkExists. */
  async linkExists(name: string, netnsPath?: string): Promise<boolean> {
    return wrap(() => this.nl.linkIndex(name, netnsPath)) > 0;
  }
  /** See LinkOps.vethJoin. */
  async vethJoin(spec: VethJoinSpec): Promise<void> {
    wrap(() => this.nl.vethJoin(spec));
  }
  /** See LinkOps.netnsCreate. */
  async netnsCreate(path: string): Promise<void> {
    try {
      await this.nl.netnsCreateAsync(path);
    } catch (err) {
      throw new InternalError((err as Error).message, { cause: err });
    }
  }
  /** See LinkOps.netnsDestroy. */
  async netnsDestroy(path: string): Promise<void> {
    wrap(() => this.nl.netnsDestroy(path));
  }
}
