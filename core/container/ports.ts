/**
 * What the container service needs from the other domains, as narrow
 * structural interfaces (the contract in notes INTEGRATION.md). The image and
 * network services satisfy them as they are; tests may pass small stand-ins
 * only where no real service exists.
 */
import type { Readable } from 'node:stream';
import type { Change } from '../drivers/graphdriver';
import type { NetworkSettings } from './types';
import type { ImageRunConfig } from './merge-config';

/** An image as the image service resolves it. */
export interface ImageRecordLike {
  /** `sha256:…` */
  id: string;
  config: { architecture?: string; os?: string; config?: ImageRunConfig | null };
  repoTags: string[];
  repoDigests: string[];
}

/** The image service, as far as containers use it (`kernel:images`). */
export interface ImagePort {
  resolve(ref: string): Promise<ImageRecordLike>;
  createContainerLayer(containerId: string, imageId: string): Promise<void>;
  mountContainerLayer(containerId: string): Promise<string>;
  unmountContainerLayer(containerId: string): Promise<void>;
  removeContainerLayer(containerId: string): Promise<void>;
  /** Forgets the layer at once (crash-safe); `deleted` settles when its files are gone. */
  detachContainerLayer?(containerId: string): Promise<{ deleted: Promise<void> }>;
  containerChanges(containerId: string): Promise<Change[]>;
  exportContainer(containerId: string): Promise<Readable>;
  containerLayerSize(containerId: string): Promise<number>;
  setUsageCheck?(fn: (imageId: string) => string[]): void;
  /** How `image.commit` turns a container name or short id into the full id. */
  setContainerResolver?(fn: (nameOrId: string) => string): void;
  /** Where `image.commit` reads a container's config (Env, Cmd, Labels, … as it runs), the new image's config before the changes. */
  setContainerConfigSource?(fn: (containerId: string) => Record<string, unknown> | undefined): void;
  /** Inspect's `GraphDriver` for a container's layer. */
  containerGraphDriver?(containerId: string): Promise<{ Name: string; Data: Record<string, string> | null }>;
}

export type NetworkModeRequest = 'bridge' | 'none' | 'host' | `container:${string}` | string;

export interface NetworkAttachRequest {
  containerId: string;
  containerName: string;
  hostname: string;
  mode: NetworkModeRequest;
  endpoints: Record<string, { aliases?: string[]; ipv4Address?: string }>;
  portBindings: Record<string, Array<{ HostIp: string; HostPort: string }>>;
  publishAll: boolean;
  exposedPorts: string[];
  dns?: string[];
  /** `--dns-search` / `--dns-option`: replace the host's search domains / options. */
  dnsSearch?: string[];
  dnsOptions?: string[];
  extraHosts?: string[];
}

export interface NetworkAttachResult {
  /** null = the host's network namespace. */
  netnsPath: string | null;
  /** Content of /etc/hosts and /etc/resolv.conf for the container. */
  hostsFile: string;
  resolvConf: string;
  settings: NetworkSettings;
}

/** The network service, as far as containers use it (`kernel:networks`). */
export interface NetworkPort {
  attach(req: NetworkAttachRequest): Promise<NetworkAttachResult>;
  /** Removes endpoints, port rules and the sandbox. Idempotent. */
  /** `finishLater`: may resolve before the kernel objects are released (see the network service). */
  detach(containerId: string, opts?: { finishLater?: boolean }): Promise<void>;
  /** A network by name or id; NotFoundError `network X not found` (checked at create, as Docker does). */
  inspectNetwork?(idOrName: string): unknown;
  /** NetworkSettings of an attached container, as inspect shows them; NotFoundError when it is not attached. */
  settingsOf?(containerId: string): unknown;
}

/** The volume service, as far as containers use it (`kernel:volumes`). */
export interface VolumePort {
  create(body: { Name?: string; Driver?: string; DriverOpts?: Record<string, string>; Labels?: Record<string, string> }, anonymous?: boolean): Promise<{ Name: string; Driver: string }>;
  mountForContainer(req: {
    name?: string; driver?: string; driverOpts?: Record<string, string>; labels?: Record<string, string>;
    containerId: string; rootfs: string; destination: string; nocopy: boolean;
  }): Promise<{ name: string; driver: string; source: string }>;
  unmountForContainer(name: string, containerId: string): Promise<void>;
  isAnonymous(name: string): Promise<boolean>;
  remove(name: string, force?: boolean): Promise<void>;
  setUsageCheck?(fn: (name: string) => string[]): void;
}
