/**
 * What the network service persists under `<data-root>/network/`:
 * `networks.json` (every network, built-ins included) and
 * `attachments.json` (each attached container's mode, sandbox and endpoints),
 * both written atomically after every change. IPAM keeps its own file.
 */
import * as path from 'node:path';
import { readJsonIfExists } from '../fs/atomic-write';
import type { EndpointInfo, IpamConfig, NetworkInfo } from '../drivers/networkdriver';
import { SerialJsonWriter } from './serial-json-writer';

export interface NetworkRecord {
  id: string;
  name: string;
  /** Driver name (`bridge`), or `host` / `null` for the built-ins. */
  driver: string;
  created: string;
  internal: boolean;
  attachable: boolean;
  enableIPv6: boolean;
  /** The IPAM request as the user made it (empty: IPAM picked). */
  ipamRequest: IpamConfig[];
  options: Record<string, string>;
  labels: Record<string, string>;
  /** Pre-defined: bridge, host, none. */
  builtin: boolean;
  /** What the driver made of it (bridge-type networks). */
  info?: NetworkInfo;
}

export interface EndpointRecord {
  endpointId: string;
  networkId: string;
  info: EndpointInfo;
  aliases: string[];
  /** `--ip` as asked (IPAMConfig.IPv4Address). */
  staticIp?: string;
}

export interface Attachment {
  containerId: string;
  containerName: string;
  hostname: string;
  /** `none`, `host`, `container:<id>` or `bridge` (any network). */
  mode: string;
  /** null = the host's namespace. */
  sandboxPath: string | null;
  /** Whether this attachment created (and must destroy) the sandbox. */
  ownsSandbox: boolean;
  endpoints: EndpointRecord[];
  /** Ports asked for (Docker key → bindings) and exposed, for NetworkSettings.Ports. */
  exposedPorts: string[];
  dns?: string[];
  extraHosts?: string[];
  hostsFile: string;
  resolvConf: string;
}

export class NetworkRecords {
  readonly networks = new Map<string, NetworkRecord>();
  readonly attachments = new Map<string, Attachment>();
  private readonly netWriter: SerialJsonWriter;
  private readonly attWriter: SerialJsonWriter;

  constructor(private readonly dir: string) {
    this.netWriter = new SerialJsonWriter(path.join(dir, 'networks.json'), () => [...this.networks.values()]);
    this.attWriter = new SerialJsonWriter(path.join(dir, 'attachments.json'), () => [...this.attachments.values()]);
  }

  /** Reads both files (missing files: empty state). */
  async load(): Promise<void> {
    this.networks.clear();
    this.attachments.clear();
    for (const n of (await readJsonIfExists<NetworkRecord[]>(path.join(this.dir, 'networks.json'))) ?? []) this.networks.set(n.id, n);
    for (const a of (await readJsonIfExists<Attachment[]>(path.join(this.dir, 'attachments.json'))) ?? []) this.attachments.set(a.containerId, a);
  }

  /** Persists networks.json. */
  saveNetworks(): Promise<void> {
    return this.netWriter.save();
  }

  /** Persists attachments.json (fsynced unless `sync` is false: see SerialJsonWriter.save). */
  saveAttachments(sync = true): Promise<void> {
    return this.attWriter.save(sync);
  }

  /** A network by exact id, exact name, or unique id prefix. */
  findNetwork(ref: string): NetworkRecord | undefined {
    const byId = this.networks.get(ref);
    if (byId) return byId;
    for (const n of this.networks.values()) if (n.name === ref) return n;
    const pre = [...this.networks.values()].filter((n) => n.id.startsWith(ref));
    return ref.length > 0 && pre.length === 1 ? pre[0] : undefined;
  }

  /** An attached container by id, unique id prefix or name (a leading `/` ignored). */
  findAttachment(ref: string): Attachment | undefined {
    const r = ref.replace(/^\//, '');
    const byId = this.attachments.get(r);
    if (byId) return byId;
    for (const a of this.attachments.values()) if (a.containerName.replace(/^\//, '') === r) return a;
    const pre = [...this.attachments.values()].filter((a) => a.containerId.startsWith(r));
    return r.length > 0 && pre.length === 1 ? pre[0] : undefined;
  }

  /** Endpoints on a network, with their containers. */
  endpointsOn(networkId: string): Array<{ att: Attachment; ep: EndpointRecord }> {
    const out: Array<{ att: Attachment; ep: EndpointRecord }> = [];
    for (const att of this.attachments.values()) {
      for (const ep of att.endpoints) if (ep.networkId === networkId) out.push({ att, ep });
    }
    return out;
  }
}
