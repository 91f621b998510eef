/**
 * NetworkService: the kernel's network domain. It owns networks, IPAM and
 * each container's attachment (sandbox + endpoints), and drives the network
 * driver (`networkdriver:<name>`) and the sandbox provider
 * (`network:sandboxes`) that a plugin provides. The container service calls
 * attach() before a container starts and detach() after it stops; the
 * network.* jobs call the rest.
 */
import { pruneMatcher } from '../filters';
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { promises as fsp, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { inject, injectable } from 'tsyringe';
import type { NetworkAttachRequest, NetworkModeRequest } from '../container/ports';
import type { Kernel } from '../daemon/kernel';
import { Tokens } from '../daemon/kernel';
import type { NetworkDriver, SandboxProvider } from '../drivers/networkdriver';
import {
  ConflictError, ForbiddenError, InvalidArgumentError, NotFoundError, NotImplementedError, isNotFound,
} from '../errors';
import { hostsFile, parseResolvConf, resolvConf, type ResolvConf } from './container-files';
import { EmbeddedDnsServer, parseUpstream, type Upstream } from './dns/embedded-dns';
import type { DockerFilters, DockerNetwork, NetworkCreateBody, NetworkSettings } from './docker-types';
import { DefaultIpam } from './ipam/default-ipam';
import { hostNetworks } from './ipam/host-networks';
import type { Ipam } from './ipam/ipam';
import { contains, parseCidr, parseIPv4 } from './ipam/ipv4';
import { defaultNetworkRequest } from './default-network';
import { lookupAddress, lookupName } from './dns/name-lookup';
import { matchesFilters, parseFilters } from './network-filters';
import { NetworkRecords, type Attachment, type EndpointRecord, type NetworkRecord } from './network-records';
import { toDockerNetwork, toNetworkSettings } from './network-views';
import { toPortBindings } from './port-bindings';
import { findRunningSandboxes } from './running-sandboxes';

/** A container's network mode (the container domain's port defines it). */
export type NetworkMode = NetworkModeRequest;

/** What the container service passes to attach(): the request of its NetworkPort. */
export type AttachRequest = NetworkAttachRequest;

export interface AttachResult {
  /** null = the host's network namespace. */
  netnsPath: string | null;
  hostsFile: string;
  resolvConf: string;
  settings: NetworkSettings;
}

/** Options beyond daemon.json, for embedders and tests. */
export interface NetworkServiceOptions {
  /** The IPAM to use; the default one persists under `<data-root>/network/ipam.json`. */
  ipam?: Ipam;
  /** The host resolv.conf to read (`/etc/resolv.conf`). */
  resolvConfPath?: string;
  /** The host hosts file (`/etc/hosts`), copied for `host` mode. */
  hostsPath?: string;
  /** Upstream resolvers for the embedded DNS (`ip` or `ip:port`); default: config `dns`, then the host's. */
  upstreamResolvers?: string[];
  /** Decides which attachments survive a daemon restart; default: sandboxes some process still uses. */
  isRunning?: (containerId: string, sandboxPath: string | null) => boolean;
}

/** See NetworkService.setOfflineConnector. */
export interface OfflineConnector {
  connect(containerRef: string, network: { id: string; name: string }, cfg: { aliases?: string[]; ipv4Address?: string }): Promise<boolean>;
  disconnect(containerRef: string, network: { id: string; name: string }): Promise<boolean>;
}

export const NetworkServiceOptionsToken = Symbol.for('berth.NetworkServiceOptions');

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const DEFAULT_NETWORK = 'bridge';

function newId(): string {
  return randomBytes(32).toString('hex');
}

@injectable()
export class NetworkService {
  private readonly records: NetworkRecords;
  private readonly ipam: Ipam;
  private readonly dns = new Map<string, EmbeddedDnsServer>();
  /** Per-container chains so attach/connect/detach of one container never interleave. */
  private readonly chains = new Map<string, Promise<unknown>>();
  /** Network names being created (their records land after awaits). */
  private readonly creating = new Set<string>();
  private readonly dir: string;
  private offline: OfflineConnector | undefined;

  constructor(
    @inject(Tokens.Kernel) private readonly kernel: Kernel,
    @inject(NetworkServiceOptionsToken) private readonly opts: NetworkServiceOptions,
  ) {
    this.dir = path.join(kernel.config['data-root'], 'network');
    this.records = new NetworkRecords(this.dir);
    this.ipam = opts.ipam ?? new DefaultIpam({
      file: path.join(this.dir, 'ipam.json'),
      defaultPools: kernel.config['default-address-pools'],
      hostNetworks,
    });
  }

  private driver(name = this.kernel.config['network-driver'] ?? 'bridge'): NetworkDriver {
    return this.kernel.plugins.resolve<NetworkDriver>(`networkdriver:${name}`);
  }

  private get sandboxes(): SandboxProvider {
    return this.kernel.plugins.resolve<SandboxProvider>('network:sandboxes');
  }

  /**
   * Loads the state, reconciles it with the kernel (attachments of containers
   * no longer running are released: sandboxes, veths, rules, addresses),
   * brings every network up again through the driver, and creates the
   * built-in networks (bridge, host, none) when missing.
   */
  async start(): Promise<void> {
    await fsp.mkdir(this.dir, { recursive: true, mode: 0o700 });
    await this.records.load();
    await this.ipam.load();
    const isRunning = this.opts.isRunning ?? defaultIsRunning();
    const dropped: Attachment[] = [];
    for (const att of [...this.records.attachments.values()]) {
      if (!isRunning(att.containerId, att.sandboxPath)) {
        dropped.push(att);
        this.records.attachments.delete(att.containerId);
      }
    }
    for (const att of dropped) {
      for (const ep of att.endpoints) await this.ipam.releaseAddress(ep.networkId, ep.info.ipv4Address);
    }
    // Addresses of kept endpoints stay taken even if the IPAM file lagged behind at the crash.
    for (const att of this.records.attachments.values()) {
      for (const ep of att.endpoints) this.ipam.claim(ep.networkId, ep.info.ipv4Address);
    }
    const bridgeNets = [...this.records.networks.values()].filter((n) => !n.builtin || n.name === DEFAULT_NETWORK).filter((n) => n.info);
    const keptEndpoints = [...this.records.attachments.values()].flatMap((a) => a.endpoints.map((e) => e.info));
    const driver = this.driver();
    if (driver.reconcile) {
      await driver.reconcile({ networks: bridgeNets.map((n) => n.info!), endpoints: keptEndpoints });
    } else {
      for (const n of bridgeNets) {
        await driver.createNetwork({
          id: n.id, name: n.name, options: n.options, ipam: n.info!.ipam, internal: n.internal, enableIPv6: false, labels: n.labels,
        }).catch(() => undefined);
      }
    }
    const keepSandboxes = new Set([...this.records.attachments.values()].filter((a) => a.ownsSandbox).map((a) => a.containerId));
    const sb = this.sandboxes;
    for (const id of (await sb.list?.()) ?? dropped.filter((a) => a.ownsSandbox).map((a) => a.containerId)) {
      if (!keepSandboxes.has(id)) await sb.destroy(id);
    }
    for (const att of this.records.attachments.values()) this.startDns(att);
    await this.ensureBuiltins();
    await Promise.all([this.records.saveAttachments(), this.records.saveNetworks(), this.ipam.flush()]);
  }

  /** Stops the embedded DNS servers. Kernel objects stay (containers keep running: live-restore). */
  async close(): Promise<void> {
    // detaches still finishing (see detach)
    await Promise.all([...this.chains.values()]);
    for (const s of this.dns.values()) s.close();
    this.dns.clear();
  }

  // ------------------------------------------------------------------ attach

  /**
   * Gives a container its network before it starts, by mode: `none` (a sandbox
   * with only lo), `host` (the host's namespace), `container:<name|id>` (that
   * container's sandbox), `bridge` or a network name (a sandbox with one
   * endpoint per network in `endpoints` plus the primary one). Returns the
   * sandbox path, the hosts and resolv.conf content, and NetworkSettings.
   * Everything made is undone when a step fails.
   */
  attach(req: AttachRequest): Promise<AttachResult> {
    return this.serial(req.containerId, () => this.doAttach(req));
  }

  private async doAttach(req: AttachRequest): Promise<AttachResult> {
    if (this.records.attachments.has(req.containerId)) {
      throw new ConflictError(`container ${req.containerId} is already attached to its networks`);
    }
    const mode = !req.mode || req.mode === 'default' ? 'bridge' : req.mode;
    const host = this.hostResolv();
    const base = {
      containerId: req.containerId, containerName: req.containerName, hostname: req.hostname,
      endpoints: [] as EndpointRecord[], exposedPorts: req.exposedPorts ?? [], dns: req.dns, extraHosts: req.extraHosts,
    };
    let att: Attachment;
    if (mode === 'host') {
      att = {
        ...base, mode, sandboxPath: null, ownsSandbox: false,
        hostsFile: this.hostHostsFile() + extraHostLines(req.extraHosts), resolvConf: this.hostResolvText(),
      };
    } else if (mode.startsWith('container:')) {
      const ref = mode.slice('container:'.length);
      const owner = this.records.findAttachment(ref);
      if (!owner) throw new NotFoundError(`No such container: ${ref}`);
      att = {
        ...base, mode: `container:${owner.containerId}`, sandboxPath: owner.sandboxPath, ownsSandbox: false,
        hostsFile: owner.hostsFile, resolvConf: owner.resolvConf,
      };
    } else {
      const primary = mode === 'none' ? undefined : this.mustFindNetwork(mode === 'bridge' ? DEFAULT_NETWORK : mode);
      if (primary && primary.builtin && primary.name !== DEFAULT_NETWORK) {
        return this.doAttach({ ...req, mode: primary.name });
      }
      const sandboxPath = await this.sandboxes.create(req.containerId);
      att = { ...base, mode: primary ? primary.name : 'none', sandboxPath, ownsSandbox: true, hostsFile: '', resolvConf: '' };
      try {
        if (primary) {
          const ports = toPortBindings(req.portBindings, req.publishAll, req.exposedPorts ?? []);
          const cfg = req.endpoints?.[primary.name] ?? req.endpoints?.[primary.id] ?? {};
          await this.connectEndpoint(att, primary, cfg, ports);
          for (const [ref, extra] of Object.entries(req.endpoints ?? {})) {
            const net = this.mustFindNetwork(ref);
            if (net.id === primary.id) continue;
            if (net.builtin && net.name !== DEFAULT_NETWORK) {
              throw new InvalidArgumentError(`container cannot be connected to network ${net.name} and ${primary.name} at once`);
            }
            await this.connectEndpoint(att, net, extra, []);
          }
        }
      } catch (err) {
        await this.release(att).catch((e) => this.kernel.log.warn({ err: e }, 'network rollback failed'));
        await this.ipam.flush().catch(() => undefined);
        throw err;
      }
      att.hostsFile = hostsFile(req.hostname, att.endpoints.slice(0, 1).map((e) => e.info.ipv4Address.split('/')[0]), req.extraHosts);
      const cfg = this.kernel.config;
      att.resolvConf = resolvConf(host, {
        embedded: this.usesEmbeddedDns(att), dns: req.dns ?? cfg.dns,
        search: req.dnsSearch ?? (cfg['dns-search']?.length ? cfg['dns-search'] : undefined),
        options: req.dnsOptions ?? (cfg['dns-opts']?.length ? cfg['dns-opts'] : undefined),
      });
    }
    this.records.attachments.set(att.containerId, att);
    this.startDns(att);
    await Promise.all([this.records.saveAttachments(), this.ipam.flush()]);
    return { netnsPath: att.sandboxPath, hostsFile: att.hostsFile, resolvConf: att.resolvConf, settings: toNetworkSettings(att, this.records) };
  }

  /**
   * Removes a container's endpoints (veths, port rules, addresses), its
   * embedded DNS and its sandbox. Idempotent: an unknown container is a no-op.
   * `finishLater` (a container that just stopped): when it published no
   * ports and is only on the default bridge (or none), resolves once it is
   * gone from the records, and the kernel objects and addresses are released
   * next in its queue (see below).
   */
  detach(containerId: string, opts: { finishLater?: boolean } = {}): Promise<void> {
    return this.serial(containerId, async () => {
      const att = this.records.attachments.get(containerId);
      if (!att) return;
      // published ports (the next container may want them) and user-defined networks (names, aliases, DNS) are released now
      if (!opts.finishLater || att.endpoints.some((e) => e.info.portBindings.length > 0 || !this.records.networks.get(e.networkId)?.builtin)) {
        await this.release(att);
        this.records.attachments.delete(containerId);
        await this.saveDetached();
        return;
      }
      this.records.attachments.delete(containerId);
      // the `disconnect` events now, in Docker's order (before the container's `destroy`)
      for (const ep of [...att.endpoints].reverse()) await this.kernel.hooks.network.disconnected.promise(ep.networkId, att.containerId);
      // Without published ports nothing the next container could want is
      // held: the container is gone from the records now, and deleting its
      // veths (slow in the kernel) and then freeing its addresses finishes
      // next in this container's queue (its next attach, and close(), wait).
      void this.serial(containerId, () => this.finishDetach(att))
        .catch((err: Error) => this.kernel.log.warn({ container: containerId, err: err.message }, 'network detach'));
    });
  }

  /** Releases a detached container's kernel objects and addresses, and records that. */
  private async finishDetach(att: Attachment): Promise<void> {
    await this.release(att, false);
    await this.saveDetached();
  }

  private async saveDetached(): Promise<void> {
    // not fsynced: a crash that loses it leaves the record of a stopped container, which start() drops
    await Promise.all([this.records.saveAttachments(false), this.ipam.flush()]);
  }

  /** NetworkSettings of an attached container; NotFoundError when it is not attached. */
  settingsOf(containerRef: string): NetworkSettings {
    const att = this.records.findAttachment(containerRef);
    if (!att) throw new NotFoundError(`container ${containerRef} has no network attachment`);
    return toNetworkSettings(att, this.records);
  }

  /** The sandbox path of an attached container (null for host mode); NotFoundError when not attached. */
  sandboxOf(containerRef: string): string | null {
    const att = this.records.findAttachment(containerRef);
    if (!att) throw new NotFoundError(`container ${containerRef} has no network attachment`);
    return att.sandboxPath;
  }

  /** Releases everything the attachment holds; `announce`: fire the `disconnected` hook per endpoint. */
  private async release(att: Attachment, announce = true): Promise<void> {
    this.dns.get(att.containerId)?.close();
    this.dns.delete(att.containerId);
    for (const ep of [...att.endpoints].reverse()) await this.disconnectEndpoint(att, ep, announce);
    if (att.ownsSandbox) await this.sandboxes.destroy(att.containerId);
  }

  private async connectEndpoint(
    att: Attachment, net: NetworkRecord, cfg: { aliases?: string[]; ipv4Address?: string },
    ports: ReturnType<typeof toPortBindings>,
  ): Promise<void> {
    if (!att.sandboxPath) throw new ConflictError(`container ${att.containerName} shares the host's network namespace`);
    if (att.endpoints.some((e) => e.networkId === net.id)) {
      throw new ConflictError(`endpoint with name ${att.containerName.replace(/^\//, '')} already exists in network ${net.name}`);
    }
    const aliases = (cfg.aliases ?? []).filter(Boolean);
    const staticIp = cfg.ipv4Address || undefined;
    if (net.name === DEFAULT_NETWORK) {
      if (staticIp) throw new InvalidArgumentError('user specified IP address is supported on user defined networks only');
      if (aliases.length) throw new InvalidArgumentError('network-scoped alias is supported only for containers in user defined networks');
    }
    const driver = this.driver(net.driver);
    const ip = await this.ipam.requestAddress(net.id, staticIp);
    const endpointId = newId();
    let created = false;
    try {
      const info = await driver.createEndpoint({
        networkId: net.id, endpointId, containerId: att.containerId, containerName: att.containerName,
        ipv4Address: ip, aliases, portBindings: ports,
      });
      created = true;
      await driver.join(net.id, endpointId, att.sandboxPath);
      att.endpoints.push({ endpointId, networkId: net.id, info, aliases, ...(staticIp ? { staticIp } : {}) });
    } catch (err) {
      if (created) await driver.deleteEndpoint(net.id, endpointId).catch(() => undefined);
      await this.ipam.releaseAddress(net.id, ip);
      throw err;
    }
    await this.kernel.hooks.network.connected.promise(net.id, att.containerId);
  }

  private async disconnectEndpoint(att: Attachment, ep: EndpointRecord, announce = true): Promise<void> {
    const net = this.records.networks.get(ep.networkId);
    const driver = this.driver(net?.driver === 'bridge' || !net ? undefined : net.driver);
    if (att.sandboxPath) await driver.leave(ep.networkId, ep.endpointId, att.sandboxPath);
    await driver.deleteEndpoint(ep.networkId, ep.endpointId);
    await this.ipam.releaseAddress(ep.networkId, ep.info.ipv4Address);
    att.endpoints = att.endpoints.filter((e) => e !== ep);
    if (announce) await this.kernel.hooks.network.disconnected.promise(ep.networkId, att.containerId);
  }

  // ------------------------------------------------------------------ DNS

  private usesEmbeddedDns(att: Attachment): boolean {
    return att.endpoints.some((e) => {
      const n = this.records.networks.get(e.networkId);
      return n !== undefined && !n.builtin;
    });
  }

  private startDns(att: Attachment): void {
    if (!att.sandboxPath || !att.ownsSandbox || this.dns.has(att.containerId) || !this.usesEmbeddedDns(att)) return;
    const sb = this.sandboxes;
    if (!sb.bindSocket) {
      this.kernel.log.warn({ container: att.containerId }, 'sandbox provider cannot bind sockets: no embedded DNS');
      return;
    }
    try {
      const udp = sb.bindSocket(att.sandboxPath, 'udp', '127.0.0.11', 53);
      let tcp: number | undefined;
      try {
        tcp = sb.bindSocket(att.sandboxPath, 'tcp', '127.0.0.11', 53);
      } catch (err) {
        this.kernel.log.warn({ err, container: att.containerId }, 'embedded DNS: no TCP listener');
      }
      const id = att.containerId;
      this.dns.set(id, new EmbeddedDnsServer(udp, tcp, {
        forward: (name) => lookupName(this.records, id, name),
        reverse: (ip) => lookupAddress(this.records, id, ip),
      }, () => this.upstreams(att), this.kernel.log));
    } catch (err) {
      this.kernel.log.warn({ err, container: att.containerId }, 'embedded DNS could not start');
    }
  }

  private upstreams(att: Attachment): Upstream[] {
    const list = att.dns?.length ? att.dns
      : this.opts.upstreamResolvers?.length ? this.opts.upstreamResolvers
        : this.kernel.config.dns?.length ? this.kernel.config.dns
          : this.hostResolv().nameservers;
    return list.map(parseUpstream);
  }

  private hostResolvText(): string {
    try { return readFileSync(this.opts.resolvConfPath ?? '/etc/resolv.conf', 'utf8'); } catch { return ''; }
  }

  private hostResolv(): ResolvConf {
    return parseResolvConf(this.hostResolvText());
  }

  private hostHostsFile(): string {
    try { return readFileSync(this.opts.hostsPath ?? '/etc/hosts', 'utf8'); } catch { return hostsFile('localhost', []); }
  }

  // ------------------------------------------------------------------ networks

  private mustFindNetwork(ref: string): NetworkRecord {
    const n = this.records.findNetwork(ref);
    if (!n) throw new NotFoundError(`network ${ref} not found`);
    return n;
  }

  /**
   * Creates a user-defined network (Docker's POST /networks/create body):
   * IPAM pool (subnet/ip-range/gateway or a free default pool), then the
   * driver's network. ConflictError for a duplicate name or overlapping subnet.
   */
  async createNetwork(body: NetworkCreateBody): Promise<{ Id: string; Warning: string }> {
    const name = body?.Name;
    if (typeof name !== 'string' || !NAME_RE.test(name)) {
      throw new InvalidArgumentError(`invalid network name ${JSON.stringify(name)}: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    }
    if (['bridge', 'host', 'none'].includes(name)) throw new ForbiddenError(`${name} is a pre-defined network and cannot be created`);
    if (this.records.findNetwork(name)?.name === name || this.creating.has(name)) {
      throw new ConflictError(`network with name ${name} already exists`);
    }
    const driverName = body.Driver || 'bridge';
    if (!this.kernel.plugins.has(`networkdriver:${driverName}`)) throw new NotFoundError(`plugin "${driverName}" not found`);
    if (body.EnableIPv6) throw new NotImplementedError('IPv6 networks are not supported by berth yet');
    const configs = body.IPAM?.Config ?? [];
    if (configs.length > 1) throw new InvalidArgumentError('IPAM.Config: only one IPv4 pool per network is supported');
    if (body.IPAM?.Driver && body.IPAM.Driver !== 'default') throw new NotFoundError(`IPAM driver "${body.IPAM.Driver}" not found`);
    const req = configs[0] ?? {};
    const id = newId();
    this.creating.add(name);
    try {
      const pool = await this.ipam.requestPool(id, { subnet: req.Subnet, ipRange: req.IPRange, gateway: req.Gateway });
      try {
        const subnet = parseCidr(pool.subnet);
        for (const [host, addr] of Object.entries(req.AuxiliaryAddresses ?? {})) {
          if (!contains(subnet, parseIPv4(addr, `auxiliary address ${host}`))) {
            throw new InvalidArgumentError(`auxiliary address ${host}=${addr} is not within subnet ${pool.subnet}`);
          }
          this.ipam.claim(id, addr);
        }
      } catch (err) {
        await this.ipam.releasePool(id);
        throw err;
      }
      const rec: NetworkRecord = {
        id, name, driver: driverName, created: new Date().toISOString(), internal: !!body.Internal,
        attachable: !!body.Attachable, enableIPv6: false,
        ipamRequest: req.Subnet ? [{ subnet: req.Subnet, ipRange: req.IPRange, gateway: req.Gateway }] : [],
        options: { ...(body.Options ?? {}) }, labels: { ...(body.Labels ?? {}) }, builtin: false,
      };
      try {
        rec.info = await this.driver(driverName).createNetwork({
          id, name, options: rec.options, ipam: [pool], internal: rec.internal, enableIPv6: false, labels: rec.labels,
        });
      } catch (err) {
        await this.ipam.releasePool(id);
        throw err;
      }
      this.records.networks.set(id, rec);
      await this.records.saveNetworks();
    } finally {
      this.creating.delete(name);
    }
    await this.kernel.hooks.network.created.promise(id);
    return { Id: id, Warning: '' };
  }

  /** Docker's network list, filtered (name, id, driver, label, type, scope, dangling, until). */
  listNetworks(filters?: DockerFilters): DockerNetwork[] {
    const f = parseFilters(filters);
    return [...this.records.networks.values()]
      .filter((n) => matchesFilters(toDockerNetwork(n, this.records), f, n.builtin))
      .map((n) => toDockerNetwork(n, this.records));
  }

  /** One network by id, name or id prefix; NotFoundError `network X not found`. */
  inspectNetwork(ref: string): DockerNetwork {
    return toDockerNetwork(this.mustFindNetwork(ref), this.records);
  }

  /** Removes a user-defined network: Forbidden for built-ins, ConflictError while containers are attached. */
  async removeNetwork(ref: string): Promise<void> {
    const n = this.mustFindNetwork(ref);
    if (n.builtin) throw new ForbiddenError(`${n.name} is a pre-defined network and cannot be removed`);
    const users = this.records.endpointsOn(n.id);
    if (users.length) {
      throw new ConflictError(`error while removing network: network ${n.name} id ${n.id} has active endpoints (${users.map((u) => u.att.containerName.replace(/^\//, '')).join(', ')})`);
    }
    // endpoints of stopped containers still being released (detach's finishLater) go first
    await Promise.all([...this.chains.values()]);
    await this.driver(n.driver).deleteNetwork(n.id);
    await this.ipam.releasePool(n.id);
    this.records.networks.delete(n.id);
    await this.records.saveNetworks();
    await this.kernel.hooks.network.removed.promise(n.id);
  }

  /**
   * Lets the container service take connect/disconnect requests for
   * containers that are not running (Docker records them in the container's
   * EndpointsConfig and applies them at the next start). The handler returns
   * false for a container it does not know either (→ NotFound).
   */
  setOfflineConnector(c: OfflineConnector): void {
    this.offline = c;
  }

  /** Connects a container to a network, with aliases and a static address (running: now; stopped: through the offline connector). */
  async connect(ref: string, containerRef: string, cfg: { aliases?: string[]; ipv4Address?: string }): Promise<void> {
    const net = this.mustFindNetwork(ref);
    const att = this.records.findAttachment(containerRef);
    if (!att) {
      if (net.builtin && net.name !== DEFAULT_NETWORK) throw new ForbiddenError('container cannot be disconnected from host network or connected to host network');
      if (await this.offline?.connect(containerRef, { id: net.id, name: net.name }, cfg)) return;
      throw new NotFoundError(`No such container: ${containerRef}`);
    }
    return this.serial(att.containerId, async () => {
      if (net.builtin && net.name !== DEFAULT_NETWORK) {
        throw new ForbiddenError(`container cannot be disconnected from host network or connected to host network`);
      }
      if (!att.ownsSandbox || att.mode === 'none') {
        throw new ForbiddenError('container sharing network namespace with another container or host cannot be connected to any other network');
      }
      await this.connectEndpoint(att, net, cfg, []);
      this.startDns(att);
      await Promise.all([this.records.saveAttachments(), this.ipam.flush()]);
    });
  }

  /** Disconnects a container from a network; NotFoundError when it is not connected. */
  async disconnect(ref: string, containerRef: string): Promise<void> {
    const net = this.mustFindNetwork(ref);
    const att = this.records.findAttachment(containerRef);
    if (!att) {
      if (await this.offline?.disconnect(containerRef, { id: net.id, name: net.name })) return;
      throw new NotFoundError(`No such container: ${containerRef}`);
    }
    return this.serial(att.containerId, async () => {
      const ep = att.endpoints.find((e) => e.networkId === net.id);
      if (!ep) throw new NotFoundError(`container ${att.containerName.replace(/^\//, '')} is not connected to network ${net.name}`);
      await this.disconnectEndpoint(att, ep);
      if (!this.usesEmbeddedDns(att)) {
        this.dns.get(att.containerId)?.close();
        this.dns.delete(att.containerId);
      }
      await Promise.all([this.records.saveAttachments(), this.ipam.flush()]);
    });
  }

  /** Removes every unused user-defined network passing the filters (label, until). */
  async pruneNetworks(filters?: DockerFilters): Promise<{ NetworksDeleted: string[] }> {
    // dockerd's network prune takes until, label and label! (others: Invalid filter)
    const match = pruneMatcher(parseFilters(filters));
    const deleted: string[] = [];
    for (const n of [...this.records.networks.values()]) {
      if (n.builtin || this.records.endpointsOn(n.id).length) continue;
      const d = toDockerNetwork(n, this.records);
      if (!match(Date.parse(d.Created), d.Labels)) continue;
      try {
        await this.removeNetwork(n.id);
        deleted.push(n.name);
      } catch (err) {
        if (!isNotFound(err)) this.kernel.log.warn({ err, network: n.name }, 'prune could not remove network');
      }
    }
    return { NetworksDeleted: deleted };
  }

  private async ensureBuiltins(): Promise<void> {
    const existing = this.records.findNetwork(DEFAULT_NETWORK);
    if (this.kernel.config.bridge === 'none') {
      // Docker's `--bridge none`: no default bridge network; a stale one from an earlier configuration goes
      if (existing?.name === DEFAULT_NETWORK && !this.records.endpointsOn(existing.id).length) {
        await this.driver().deleteNetwork(existing.id).catch((err: unknown) => this.kernel.log.warn({ err }, 'could not remove the default bridge network'));
        await this.ipam.releasePool(existing.id);
        this.records.networks.delete(existing.id);
      }
    } else if (!existing) {
      await this.createDefaultNetwork();
    }
    for (const [name, driver] of [['host', 'host'], ['none', 'null']] as const) {
      if (this.records.findNetwork(name)?.name === name) continue;
      const id = newId();
      this.records.networks.set(id, {
        id, name, driver, created: new Date().toISOString(), internal: false, attachable: false, enableIPv6: false,
        ipamRequest: [], options: {}, labels: {}, builtin: true,
      });
    }
  }

  /** The default bridge network, from `bip` / `fixed-cidr` / default pools (see default-network.ts). */
  private async createDefaultNetwork(): Promise<void> {
    const id = newId();
    const { pool: want, options } = defaultNetworkRequest(this.kernel.config);
    const pool = await this.ipam.requestPool(id, want);
    const rec: NetworkRecord = {
      id, name: DEFAULT_NETWORK, driver: 'bridge', created: new Date().toISOString(), internal: false, attachable: false,
      enableIPv6: false, ipamRequest: want.subnet ? [want] : [], options, labels: {}, builtin: true,
    };
    try {
      rec.info = await this.driver().createNetwork({ id, name: DEFAULT_NETWORK, options, ipam: [pool], internal: false, enableIPv6: false, labels: {} });
    } catch (err) {
      await this.ipam.releasePool(id);
      throw err;
    }
    rec.options = { ...rec.info.options };
    this.records.networks.set(id, rec);
  }

  private serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.chains.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.chains.set(key, tail);
    void tail.then(() => { if (this.chains.get(key) === tail) this.chains.delete(key); });
    return next;
  }
}

function extraHostLines(extra?: string[]): string {
  if (!extra?.length) return '';
  return hostsFile('', [], extra).split('\n').filter((l) => l && !/localhost|ip6-/.test(l)).join('\n') + '\n';
}

function defaultIsRunning(): (containerId: string, sandboxPath: string | null) => boolean {
  let running: Set<string> | undefined;
  return (_id, sandboxPath) => {
    if (!sandboxPath) return false;
    running ??= findRunningSandboxes();
    return running.has(sandboxPath);
  };
}
