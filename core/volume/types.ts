/** Docker Engine API shapes of the volume routes (v1.41). */

export interface DockerVolume {
  Name: string;
  Driver: string;
  Mountpoint: string;
  CreatedAt: string;
  Status?: Record<string, unknown>;
  Labels: Record<string, string>;
  Scope: 'local' | 'global';
  Options: Record<string, string>;
  UsageData?: { Size: number; RefCount: number } | null;
}

/** `POST /volumes/create` body. */
export interface VolumeCreateBody {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string>;
  Labels?: Record<string, string>;
}

/** Docker filters as the API sends them: `{"label":["a=b"],"dangling":["true"]}`. */
export type Filters = Record<string, string[] | Record<string, boolean>>;
