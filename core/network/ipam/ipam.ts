/**
 * IPAM — IP address management, its own pluggable piece (libnetwork's split):
 * the network service asks it for a pool when a network is created and for an
 * address when an endpoint is, and hands the results to the network driver.
 * Another implementation (DHCP, a central allocator) only needs this
 * interface; pass it to setupNetworks through NetworkServiceOptions.ipam.
 */

/** What a network asks for; everything optional (then the IPAM picks). */
export interface PoolRequest {
  subnet?: string;
  ipRange?: string;
  gateway?: string;
}

/** A pool as granted: CIDR subnet, gateway address, optional allocation range. */
export interface Pool {
  subnet: string;
  gateway: string;
  ipRange?: string;
}

export interface Ipam {
  /** Loads persisted state; called once before anything else. */
  load(): Promise<void>;
  /**
   * Grants a pool to `networkId` (idempotent for the same id). Without a
   * subnet, the first default pool free of other pools and host routes.
   * ConflictError when the subnet overlaps another pool; InvalidArgumentError
   * for a malformed or inconsistent request (naming the field).
   */
  requestPool(networkId: string, req: PoolRequest): Promise<Pool>;
  /** Releases a network's pool and its addresses. */
  releasePool(networkId: string): Promise<void>;
  /** The pool of a network, if any. */
  poolOf(networkId: string): Pool | undefined;
  /**
   * Hands out an address of the network's pool (within ipRange when set),
   * never one already handed out. `preferred` (`--ip`) must be in the subnet
   * and free: ConflictError `Address already in use` otherwise. The change is
   * durable once `flush()` resolves (callers batch it with their own write).
   */
  requestAddress(networkId: string, preferred?: string): Promise<string>;
  /** Returns an address to the pool; unknown addresses are ignored. Durable after `flush()`. */
  releaseAddress(networkId: string, address: string): Promise<void>;
  /** Marks an address as handed out whether or not it was (restoring state after a crash). */
  claim(networkId: string, address: string): void;
  /** Resolves when every change so far is on disk. */
  flush(): Promise<void>;
}
