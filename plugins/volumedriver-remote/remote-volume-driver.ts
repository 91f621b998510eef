/**
 * A VolumeDriver that forwards to an out-of-process Docker volume plugin
 * (`VolumeDriver.Create`, `.Remove`, `.Mount`, `.Unmount`, `.Path`, `.Get`,
 * `.List`, `.Capabilities`). A plugin's `{"Err": "…"}` reaches the user
 * verbatim, prefixed with the plugin and the method.
 */
import { InternalError, NotFoundError, type VolumeDriver, type VolumeInfo } from '../../core';
import type { PluginClient } from './plugin-client';

interface RemoteVolume { Name: string; Mountpoint?: string; CreatedAt?: string; Status?: Record<string, unknown> }

export class RemoteVolumeDriver implements VolumeDriver {
  private scope: 'local' | 'global' = 'local';

  constructor(private readonly client: PluginClient) {}

  get name(): string { return this.client.name; }

  private async call<T extends { Err?: string }>(method: string, body: unknown): Promise<T> {
    const r = await this.client.call<T>(`VolumeDriver.${method}`, body);
    if (r.Err) {
      const msg = `volume plugin ${this.client.name}: VolumeDriver.${method}: ${r.Err}`;
      throw /no such volume|not found/i.test(r.Err) ? new NotFoundError(msg) : new InternalError(msg);
    }
    return r;
  }

  /** Asks the plugin for its capabilities once, after activation. */
  async init(): Promise<void> {
    try {
      const r = await this.call<{ Err?: string; Capabilities?: { Scope?: string } }>('Capabilities', {});
      this.scope = r.Capabilities?.Scope === 'global' ? 'global' : 'local';
    } catch {
      this.scope = 'local'; // old plugins have no Capabilities method
    }
  }

  private info(v: RemoteVolume, options: Record<string, string> = {}, labels: Record<string, string> = {}): VolumeInfo {
    return {
      name: v.Name, driver: this.client.name, mountpoint: v.Mountpoint ?? '', createdAt: v.CreatedAt ?? '',
      labels, options, scope: this.scope, status: v.Status,
    };
  }

  async create(name: string, options: Record<string, string>, labels: Record<string, string>): Promise<VolumeInfo> {
    await this.call('Create', { Name: name, Opts: options });
    return { ...(await this.get(name)), options, labels };
  }

  async remove(name: string): Promise<void> {
    await this.call('Remove', { Name: name });
  }

  async mount(name: string, mountId: string): Promise<string> {
    const r = await this.call<{ Err?: string; Mountpoint?: string }>('Mount', { Name: name, ID: mountId });
    if (!r.Mountpoint) throw new InternalError(`volume plugin ${this.client.name}: VolumeDriver.Mount: no Mountpoint returned for ${name}`);
    return r.Mountpoint;
  }

  async unmount(name: string, mountId: string): Promise<void> {
    await this.call('Unmount', { Name: name, ID: mountId });
  }

  async path(name: string): Promise<string> {
    const r = await this.call<{ Err?: string; Mountpoint?: string }>('Path', { Name: name });
    return r.Mountpoint ?? '';
  }

  async get(name: string): Promise<VolumeInfo> {
    const r = await this.call<{ Err?: string; Volume?: RemoteVolume }>('Get', { Name: name });
    if (!r.Volume) throw new NotFoundError(`volume plugin ${this.client.name}: VolumeDriver.Get: no such volume: ${name}`);
    return this.info(r.Volume);
  }

  async list(): Promise<VolumeInfo[]> {
    const r = await this.call<{ Err?: string; Volumes?: RemoteVolume[] }>('List', {});
    return (r.Volumes ?? []).map((v) => this.info(v));
  }

  capabilities(): { scope: 'local' | 'global' } {
    return { scope: this.scope };
  }
}
