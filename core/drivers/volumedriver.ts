/**
 * VolumeDriver — named storage that outlives containers.
 *
 * Vocabulary. A *volume* has a name unique per driver, driver options and
 * labels. *mount* makes it available at a host path for one container (by
 * mount id) and returns that path; *unmount* releases it. *path* tells where a
 * mounted volume lives. Scope is `local` (this host) or `global`.
 *
 * Errors: NotFoundError for an unknown volume, ConflictError for removing a
 * volume in use, InvalidArgumentError for bad names or options.
 */

export interface VolumeInfo {
  name: string;
  driver: string;
  /** Host path of the volume's data ("" while not mounted, for drivers that mount on demand). */
  mountpoint: string;
  createdAt: string;
  labels: Record<string, string>;
  options: Record<string, string>;
  scope: 'local' | 'global';
  status?: Record<string, unknown>;
}

export interface VolumeDriver {
  readonly name: string;
  create(name: string, options: Record<string, string>, labels: Record<string, string>): Promise<VolumeInfo>;
  remove(name: string): Promise<void>;
  /** Makes the volume available for mount id `mountId`; returns the host path. */
  mount(name: string, mountId: string): Promise<string>;
  unmount(name: string, mountId: string): Promise<void>;
  path(name: string): Promise<string>;
  get(name: string): Promise<VolumeInfo>;
  list(): Promise<VolumeInfo[]>;
  capabilities(): { scope: 'local' | 'global' };
}
