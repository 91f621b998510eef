/**
 * LinkOps: the kernel operations the bridge driver needs on links and
 * sandboxes, behind one interface so the same driver runs on rtnetlink (the
 * berth_net addon, the default) or on forked `ip` commands (the fallback and
 * the benchmark's baseline).
 */
export interface VethJoinSpec {
  /** Host-side name (`berthv…`), enslaved to `bridge` and up. */
  hostName: string;
  bridge: string;
  mtu: number;
  /** Sandbox (netns) path the peer is created in. */
  netnsPath: string;
  /** Peer name inside the sandbox (`eth0`). */
  ifName: string;
  mac: string;
  address: string;
  prefixLen: number;
  /** Default route via this address; omitted for internal networks' secondary interfaces. */
  gateway?: string;
}

export interface LinkOps {
  readonly name: 'netlink' | 'ip';
  /** Creates the bridge if missing, adds `address/prefixLen`, sets MTU and up. */
  bridgeEnsure(name: string, mtu: number, address: string, prefixLen: number): Promise<void>;
  /** Deletes a link; resolves false when it did not exist. */
  linkDelete(name: string): Promise<boolean>;
  /** Whether a link of this name exists (in the sandbox when given). */
  linkExists(name: string, netnsPath?: string): Promise<boolean>;
  /** Creates the veth pair with the peer in the sandbox and configures the peer. */
  vethJoin(spec: VethJoinSpec): Promise<void>;
  /** Creates a sandbox at `path` with lo up. */
  netnsCreate(path: string): Promise<void>;
  /** Unmounts and removes a sandbox; no error when absent. */
  netnsDestroy(path: string): Promise<void>;
}
