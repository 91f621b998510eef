/**
 * NetworkDriver — how berth connects containers.
 *
 * Vocabulary. A *network* is a named broadcast domain (a Linux bridge for the
 * bridge driver) with one or more subnets managed by *IPAM*. An *endpoint* is
 * one container's attachment to one network: an interface (veth pair), a MAC,
 * addresses and aliases. A *sandbox* is a container's network namespace,
 * created by the kernel's network service before the container starts and
 * bind-mounted at a path; the exec driver joins it by that path. *join* moves
 * the endpoint's interface into the sandbox and configures it there; *leave*
 * undoes that.
 *
 * Lifecycle: createNetwork → createEndpoint → join(sandbox) → … → leave →
 * deleteEndpoint → deleteNetwork.
 *
 * Errors: ConflictError for overlapping subnets, `port is already allocated`,
 * or deleting a network in use; NotFoundError for unknown ids; InvalidArgument
 * for bad options (naming the option).
 */

export interface IpamConfig {
  subnet?: string;
  ipRange?: string;
  gateway?: string;
}

export interface NetworkCreateRequest {
  id: string;
  name: string;
  /** Driver options (`com.docker.network.bridge.name`, ...). */
  options: Record<string, string>;
  ipam: IpamConfig[];
  internal: boolean;
  enableIPv6: boolean;
  labels: Record<string, string>;
}

/** What the driver made of a network, persisted by the kernel. */
export interface NetworkInfo {
  id: string;
  name: string;
  driver: string;
  ipam: Array<Required<Pick<IpamConfig, 'subnet' | 'gateway'>> & { ipRange?: string }>;
  options: Record<string, string>;
  internal: boolean;
  labels: Record<string, string>;
}

export interface PortBinding {
  containerPort: number;
  protocol: 'tcp' | 'udp';
  hostIp: string;
  /** 0 means "pick a free one from the ephemeral range". */
  hostPort: number;
  /** With hostPort, a range `hostPort-hostPortEnd` to pick the first free port from (`-p 8000-8010:80`). */
  hostPortEnd?: number;
}

export interface EndpointCreateRequest {
  networkId: string;
  endpointId: string;
  containerId: string;
  containerName: string;
  /** Static address (`--ip`), else IPAM picks one. */
  ipv4Address?: string;
  aliases: string[];
  portBindings: PortBinding[];
  macAddress?: string;
}

export interface EndpointInfo {
  endpointId: string;
  networkId: string;
  macAddress: string;
  /** CIDR form, `172.18.0.2/16`. */
  ipv4Address: string;
  gateway: string;
  /** Ports as really bound (host ports filled in). */
  portBindings: PortBinding[];
  aliases: string[];
  interfaceName?: string;
  /** Container the endpoint belongs to (optional for older drivers). */
  containerId?: string;
  /** Host-side interface name (veth), when the driver has one. */
  hostInterface?: string;
}

export interface NetworkDriver {
  readonly name: string;
  createNetwork(req: NetworkCreateRequest): Promise<NetworkInfo>;
  deleteNetwork(networkId: string): Promise<void>;
  createEndpoint(req: EndpointCreateRequest): Promise<EndpointInfo>;
  deleteEndpoint(networkId: string, endpointId: string): Promise<void>;
  /** Moves the endpoint's interface into the sandbox (netns path) as `eth<n>` and configures it. */
  join(networkId: string, endpointId: string, sandboxPath: string): Promise<void>;
  leave(networkId: string, endpointId: string, sandboxPath: string): Promise<void>;
  /** `local` or `global` scope, as Docker reports it. */
  capabilities(): { scope: 'local' | 'global' };
  /**
   * Optional. Called once on daemon start with what must survive: the
   * networks that exist and the endpoints of containers still running. The
   * driver (re)creates what is missing for them (bridges, firewall rules,
   * port reservations) and removes everything else it left behind before a
   * crash (veths, rules, bridges of networks that are gone).
   */
  reconcile?(keep: { networks: NetworkInfo[]; endpoints: EndpointInfo[] }): Promise<void>;
}

/**
 * Sandboxes: network namespaces bind-mounted at a path so the exec driver can
 * join them. Provided by the network plugin under `network:sandboxes`.
 */
export interface SandboxProvider {
  /** Creates a new network namespace with `lo` up; returns its path. */
  create(containerId: string): Promise<string>;
  /** Unmounts and removes a sandbox; a no-op for an unknown one. */
  destroy(containerId: string): Promise<void>;
  /** Optional. The path a sandbox of this container has (or would have). */
  pathOf?(containerId: string): string;
  /** Optional. Container ids whose sandboxes exist (mounted) now. */
  list?(): Promise<string[]>;
  /**
   * Optional. A socket bound to `address:port` inside the sandbox at
   * `sandboxPath` (listening, for tcp); returns its file descriptor, which the
   * caller owns. Used by the embedded DNS server (127.0.0.11:53).
   */
  bindSocket?(sandboxPath: string, type: 'udp' | 'tcp', address: string, port: number): number;
}
