/**
 * The bridge NetworkDriver: a Linux bridge per network (`berth0` for the
 * default one, `br-<12 hex of the id>` for user networks, or the
 * `com.docker.network.bridge.name` option), a veth pair per endpoint whose
 * peer is created directly inside the sandbox as `eth0`, `eth1`, …, with a MAC
 * derived from its IPv4 address (02:42:…), the address, the MTU and — for the
 * sandbox's first interface — the default route via the gateway. Published
 * ports and NAT go through the Firewall; host ports through PortAllocator.
 *
 * Addresses come from the kernel's IPAM: createNetwork gets subnet and
 * gateway filled in, createEndpoint gets `ipv4Address`.
 */
import { existsSync, promises as fsp, readdirSync } from 'node:fs';
import * as path from 'node:path';
import {
  ConflictError, FailedPreconditionError, InvalidArgumentError, NotFoundError, atomicWriteJson, readJsonIfExists,
  type EndpointCreateRequest, type EndpointInfo, type NetworkCreateRequest, type NetworkDriver, type NetworkInfo,
  type PortBinding,
} from '../../core';
import type { Firewall, FirewallNetwork, FirewallPort } from './firewall';
import type { LinkOps } from './link-ops';
import { macFromIPv4 } from './mac';
import type { PortAllocator } from './port-allocator';
import { runCommand } from './run-command';
import { setSysctl } from './sysctl';

export const OPT_BRIDGE_NAME = 'com.docker.network.bridge.name';
export const OPT_DEFAULT_BRIDGE = 'com.docker.network.bridge.default_bridge';
export const OPT_ICC = 'com.docker.network.bridge.enable_icc';
export const OPT_MASQ = 'com.docker.network.bridge.enable_ip_masquerade';
export const OPT_MTU = 'com.docker.network.driver.mtu';

export interface BridgeDriverOptions {
  links: LinkOps;
  firewall: Firewall;
  ports: PortAllocator;
  /** Directory for the driver's own bookkeeping (bridges it created). */
  stateDir: string;
  /** Name of the default bridge (`berth0`). */
  defaultBridge: string;
  /** Prefix of host-side veth names (≤ 6 characters). */
  vethPrefix: string;
  mtu: number;
  /** Daemon `icc`: default for networks that do not say. */
  icc: boolean;
  /** Daemon `ip-forward`: set net.ipv4.ip_forward=1 when a network is created. */
  ipForward: boolean;
}

interface NetState {
  info: NetworkInfo;
  fw: FirewallNetwork;
  gateway: string;
  prefixLen: number;
  mtu: number;
}

interface EpState {
  info: EndpointInfo;
  hostName: string;
  sandbox?: string;
  ifName?: string;
  fwPorts: FirewallPort[];
}

const IFNAME_RE = /^[A-Za-z0-9_.-]{1,15}$/;

export class BridgeDriver implements NetworkDriver {
  readonly name = 'bridge';
  private readonly nets = new Map<string, NetState>();
  private readonly eps = new Map<string, EpState>();
  /** Interface names in use per sandbox path. */
  private readonly sandboxIfs = new Map<string, Set<string>>();
  private ipForwardDone = false;
  private saving: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: BridgeDriverOptions) {
    if (o.vethPrefix.length > 6) throw new InvalidArgumentError(`vethPrefix ${o.vethPrefix} is longer than 6 characters`);
  }

  /** `local` scope, like Docker's bridge driver. */
  capabilities(): { scope: 'local' | 'global' } {
    return { scope: 'local' };
  }

  /** The bridge name a network uses. */
  bridgeOf(networkId: string): string {
    return this.net(networkId).fw.bridge;
  }

  /**
   * Creates the bridge with the gateway address, its sysctls (route_localnet
   * for 127.0.0.1 publishing, ip_forward) and its firewall rules.
   * ConflictError when the bridge name or subnet is used by another network.
   */
  async createNetwork(req: NetworkCreateRequest): Promise<NetworkInfo> {
    if (this.nets.has(req.id)) throw new ConflictError(`network ${req.id} already exists`);
    const st = this.describe(req);
    for (const other of this.nets.values()) {
      if (other.fw.bridge === st.fw.bridge) throw new ConflictError(`bridge ${st.fw.bridge} is already used by network ${other.info.name}`);
    }
    await this.bringUp(st);
    this.nets.set(req.id, st);
    await this.saveBridges();
    return st.info;
  }

  /** Removes the firewall rules and the bridge. ConflictError while endpoints remain. */
  async deleteNetwork(networkId: string): Promise<void> {
    const st = this.nets.get(networkId);
    if (!st) return;
    const inUse = [...this.eps.values()].filter((e) => e.info.networkId === networkId);
    if (inUse.length > 0) throw new ConflictError(`network ${st.info.name} has active endpoints`);
    await this.o.firewall.removeNetwork(st.fw);
    await this.o.links.linkDelete(st.fw.bridge);
    this.nets.delete(networkId);
    await this.saveBridges();
  }

  /** Reserves host ports and records the endpoint; nothing is plumbed until join. */
  async createEndpoint(req: EndpointCreateRequest): Promise<EndpointInfo> {
    const net = this.net(req.networkId);
    if (this.eps.has(req.endpointId)) throw new ConflictError(`endpoint ${req.endpointId} already exists`);
    if (!req.ipv4Address) throw new InvalidArgumentError(`endpoint ${req.endpointId}: ipv4Address is required (IPAM assigns it)`);
    const ip = req.ipv4Address.split('/')[0];
    const owner = req.endpointId;
    const bound: PortBinding[] = [];
    try {
      for (const b of req.portBindings) {
        const hostPort = await this.o.ports.reserve(owner, b.protocol, b.hostIp, b.hostPort, b.hostPortEnd);
        bound.push({ containerPort: b.containerPort, protocol: b.protocol, hostIp: b.hostIp || '0.0.0.0', hostPort });
      }
    } catch (err) {
      this.o.ports.release(owner);
      throw err;
    }
    const info: EndpointInfo = {
      endpointId: req.endpointId,
      networkId: req.networkId,
      containerId: req.containerId,
      macAddress: req.macAddress ?? macFromIPv4(ip),
      ipv4Address: `${ip}/${net.prefixLen}`,
      gateway: net.gateway,
      portBindings: bound,
      aliases: req.aliases,
      hostInterface: this.vethName(req.endpointId),
    };
    this.eps.set(req.endpointId, { info, hostName: info.hostInterface!, fwPorts: [] });
    return info;
  }

  /** Releases the endpoint's host ports and removes its veth if still there. Idempotent. */
  async deleteEndpoint(networkId: string, endpointId: string): Promise<void> {
    const ep = this.eps.get(endpointId);
    if (!ep) return;
    if (ep.sandbox) await this.leave(networkId, endpointId, ep.sandbox);
    this.o.ports.release(endpointId);
    this.eps.delete(endpointId);
  }

  /**
   * Creates the veth pair with its peer inside the sandbox as the next free
   * `eth<n>`, configured (MAC, address, MTU, up; default route for the
   * sandbox's first interface unless the network is internal), and adds the
   * endpoint's published-port rules.
   */
  async join(networkId: string, endpointId: string, sandboxPath: string): Promise<void> {
    const net = this.net(networkId);
    const ep = this.ep(endpointId);
    if (ep.sandbox) throw new ConflictError(`endpoint ${endpointId} is already joined to ${ep.sandbox}`);
    const used = this.sandboxIfs.get(sandboxPath) ?? new Set<string>();
    // After a daemon restart the sandbox may hold interfaces this process did not make: ask the kernel too.
    let n = 0;
    while (used.has(`eth${n}`) || (used.size === 0 && n < 16 && await this.o.links.linkExists(`eth${n}`, sandboxPath))) n++;
    const ifName = `eth${n}`;
    const first = n === 0;
    used.add(ifName);
    this.sandboxIfs.set(sandboxPath, used);
    const [address] = ep.info.ipv4Address.split('/');
    try {
      await this.o.links.vethJoin({
        hostName: ep.hostName, bridge: net.fw.bridge, mtu: net.mtu, netnsPath: sandboxPath, ifName,
        mac: ep.info.macAddress, address, prefixLen: net.prefixLen,
        gateway: first && !net.fw.internal ? net.gateway : undefined,
      });
      ep.fwPorts = ep.info.portBindings.map((b) => ({
        bridge: net.fw.bridge, containerIp: address, containerPort: b.containerPort, protocol: b.protocol,
        hostIp: b.hostIp, hostPort: b.hostPort,
      }));
      await this.o.firewall.addPorts(ep.fwPorts);
    } catch (err) {
      used.delete(ifName);
      await this.o.links.linkDelete(ep.hostName).catch(() => undefined);
      ep.fwPorts = [];
      throw err;
    }
    ep.sandbox = sandboxPath;
    ep.ifName = ifName;
    ep.info.interfaceName = ifName;
  }

  /** Removes the endpoint's port rules and its veth pair (both ends go with the host end). Idempotent. */
  async leave(_networkId: string, endpointId: string, sandboxPath: string): Promise<void> {
    const ep = this.eps.get(endpointId);
    if (!ep) return;
    await this.o.firewall.removePorts(ep.fwPorts);
    ep.fwPorts = [];
    await this.o.links.linkDelete(ep.hostName);
    const used = this.sandboxIfs.get(sandboxPath);
    if (used && ep.ifName) {
      used.delete(ep.ifName);
      if (used.size === 0) this.sandboxIfs.delete(sandboxPath);
    }
    ep.sandbox = undefined;
    ep.ifName = undefined;
  }

  /**
   * Daemon start: resets berth's chains, brings every kept network up again
   * (bridge, sysctls, rules), re-takes the host ports and rules of kept
   * endpoints (their veths live on in running containers), deletes veths with
   * berth's prefix that belong to no kept endpoint, and bridges this driver
   * created for networks that are gone.
   */
  async reconcile(keep: { networks: NetworkInfo[]; endpoints: EndpointInfo[] }): Promise<void> {
    await this.o.firewall.reset();
    this.nets.clear();
    this.eps.clear();
    this.sandboxIfs.clear();
    for (const info of keep.networks) {
      const st = this.describe({
        id: info.id, name: info.name, options: info.options, internal: info.internal, enableIPv6: false,
        labels: info.labels, ipam: info.ipam,
      });
      await this.bringUp(st);
      this.nets.set(info.id, st);
    }
    const keptVeths = new Set<string>();
    for (const info of keep.endpoints) {
      const net = this.nets.get(info.networkId);
      if (!net) continue;
      const hostName = info.hostInterface ?? this.vethName(info.endpointId);
      keptVeths.add(hostName);
      for (const b of info.portBindings) this.o.ports.restore(info.endpointId, b.protocol, b.hostIp, b.hostPort);
      const address = info.ipv4Address.split('/')[0];
      const fwPorts = info.portBindings.map((b) => ({
        bridge: net.fw.bridge, containerIp: address, containerPort: b.containerPort, protocol: b.protocol,
        hostIp: b.hostIp, hostPort: b.hostPort,
      }));
      await this.o.firewall.addPorts(fwPorts);
      this.eps.set(info.endpointId, { info: { ...info }, hostName, fwPorts, ifName: info.interfaceName });
    }
    for (const name of listLinks()) {
      if (name.startsWith(this.o.vethPrefix) && !keptVeths.has(name)) await this.o.links.linkDelete(name);
    }
    const known = (await readJsonIfExists<string[]>(this.bridgesFile())) ?? [];
    const live = new Set([...this.nets.values()].map((n) => n.fw.bridge));
    for (const b of known) if (!live.has(b)) await this.o.links.linkDelete(b);
    await this.saveBridges();
  }

  /** Marks an endpoint as joined to a sandbox after a restart (reconcile keeps no sandbox paths). */
  adoptSandbox(endpointId: string, sandboxPath: string): void {
    const ep = this.eps.get(endpointId);
    if (!ep) return;
    ep.sandbox = sandboxPath;
    if (ep.ifName) {
      const used = this.sandboxIfs.get(sandboxPath) ?? new Set<string>();
      used.add(ep.ifName);
      this.sandboxIfs.set(sandboxPath, used);
    }
  }

  private describe(req: NetworkCreateRequest): NetState {
    const pool = req.ipam[0];
    if (!pool?.subnet || !pool.gateway) throw new InvalidArgumentError(`network ${req.name}: IPAM gave no subnet/gateway`);
    const prefixLen = Number(pool.subnet.split('/')[1]);
    const isDefault = req.options[OPT_DEFAULT_BRIDGE] === 'true';
    const bridge = req.options[OPT_BRIDGE_NAME] || (isDefault ? this.o.defaultBridge : `br-${req.id.slice(0, 12)}`);
    if (!IFNAME_RE.test(bridge)) throw new InvalidArgumentError(`option ${OPT_BRIDGE_NAME}: invalid interface name ${JSON.stringify(bridge)}`);
    const mtu = req.options[OPT_MTU] ? Number(req.options[OPT_MTU]) : this.o.mtu;
    if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) throw new InvalidArgumentError(`option ${OPT_MTU}: invalid MTU ${req.options[OPT_MTU]}`);
    const icc = req.options[OPT_ICC] !== undefined ? req.options[OPT_ICC] === 'true' : this.o.icc;
    const masquerade = req.options[OPT_MASQ] !== 'false';
    const info: NetworkInfo = {
      id: req.id, name: req.name, driver: 'bridge',
      ipam: [{ subnet: pool.subnet, gateway: pool.gateway, ...(pool.ipRange ? { ipRange: pool.ipRange } : {}) }],
      options: { ...req.options, ...(isDefault ? { [OPT_BRIDGE_NAME]: bridge } : {}) }, internal: req.internal, labels: { ...req.labels },
    };
    return {
      info, gateway: pool.gateway, prefixLen, mtu,
      fw: { bridge, subnet: pool.subnet, internal: req.internal, icc, masquerade },
    };
  }

  private async bringUp(st: NetState): Promise<void> {
    await this.o.links.bridgeEnsure(st.fw.bridge, st.mtu, st.gateway, st.prefixLen);
    try {
      if (this.o.firewall.enabled) {
        // 127.0.0.1-published ports are DNATed into the bridge (see docs/networking.md).
        await setSysctl(['net', 'ipv4', 'conf', st.fw.bridge, 'route_localnet'], '1');
      }
      if (this.o.ipForward && !this.ipForwardDone) {
        await setSysctl(['net', 'ipv4', 'ip_forward'], '1');
        this.ipForwardDone = true;
      }
      if (this.o.firewall.enabled && !st.fw.icc) await ensureBridgeNetfilter();
      await this.o.firewall.addNetwork(st.fw);
    } catch (err) {
      await this.o.links.linkDelete(st.fw.bridge).catch(() => undefined);
      throw err;
    }
  }

  private vethName(endpointId: string): string {
    return this.o.vethPrefix + endpointId.replace(/[^0-9a-f]/g, '').slice(0, 15 - this.o.vethPrefix.length);
  }

  private net(id: string): NetState {
    const n = this.nets.get(id);
    if (!n) throw new NotFoundError(`network ${id} not found`);
    return n;
  }

  private ep(id: string): EpState {
    const e = this.eps.get(id);
    if (!e) throw new NotFoundError(`endpoint ${id} not found`);
    return e;
  }

  private bridgesFile(): string {
    return path.join(this.o.stateDir, 'bridges.json');
  }

  /** Writes the bridges this driver owns; writes are chained so the last state always lands last. */
  private saveBridges(): Promise<void> {
    const write = async (): Promise<void> => {
      await fsp.mkdir(this.o.stateDir, { recursive: true });
      await atomicWriteJson(this.bridgesFile(), [...this.nets.values()].map((n) => n.fw.bridge));
    };
    const next = this.saving.then(write, write);
    this.saving = next.catch(() => undefined);
    return next;
  }
}

/**
 * icc off needs bridged traffic to pass through iptables (br_netfilter with
 * net.bridge.bridge-nf-call-iptables=1), as Docker arranges it.
 * FailedPreconditionError naming the module when the kernel lacks it.
 */
async function ensureBridgeNetfilter(): Promise<void> {
  if (!existsSync('/proc/sys/net/bridge/bridge-nf-call-iptables')) {
    await runCommand('modprobe', ['br_netfilter']).catch(() => undefined);
  }
  if (!existsSync('/proc/sys/net/bridge/bridge-nf-call-iptables')) {
    throw new FailedPreconditionError('icc=false needs the br_netfilter kernel module (net.bridge.bridge-nf-call-iptables), which is not available');
  }
  await setSysctl(['net', 'bridge', 'bridge-nf-call-iptables'], '1');
}

function listLinks(): string[] {
  try { return readdirSync('/sys/class/net'); } catch { return []; }
}
