/** Docker Engine API (v1.41) shapes the image jobs return, and the record the container service uses. */
import type { ImageRunConfig, OciImageConfigFile } from './image-config';

/** What `images.resolve` returns: one local image. */
export interface ImageRecord {
  /** `sha256:<hex>` of the config. */
  id: string;
  config: OciImageConfigFile;
  /** Familiar `name:tag` strings (`busybox:latest`). */
  repoTags: string[];
  /** Familiar `name@sha256:…` strings. */
  repoDigests: string[];
  /** Graph-driver layer id of the top layer; null for an image without layers. */
  topLayer: string | null;
  /** Bytes of all layers. */
  size: number;
}

/** `GET /images/json` item. */
export interface ImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[];
  RepoDigests: string[];
  Created: number;
  Size: number;
  SharedSize: number;
  VirtualSize: number;
  Labels: Record<string, string>;
  Containers: number;
}

/** `GET /images/{name}/json`. */
export interface ImageInspect {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Parent: string;
  Comment: string;
  Created: string;
  Container: string;
  ContainerConfig: ImageRunConfig | Record<string, never>;
  DockerVersion: string;
  Author: string;
  Config: ImageRunConfig | null;
  Architecture: string;
  Variant?: string;
  Os: string;
  Size: number;
  VirtualSize: number;
  GraphDriver: { Name: string; Data: Record<string, string> | null };
  RootFS: { Type: string; Layers: string[] };
  Metadata: { LastTagTime: string };
}

/** `GET /images/{name}/history` item. */
export interface HistoryResponseItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

/** `DELETE /images/{name}` item. */
export type ImageDeleteResponseItem = { Untagged: string } | { Deleted: string };

/** `POST /images/prune`. */
export interface ImagePruneResponse {
  ImagesDeleted: ImageDeleteResponseItem[] | null;
  SpaceReclaimed: number;
}

/** Options of `images.commit` (the container service fills them from `POST /commit`). */
export interface CommitOptions {
  repo?: string;
  tag?: string;
  comment?: string;
  author?: string;
  /** Run-config fields to set on the new image (the container's config, merged by the caller). */
  changes?: Partial<ImageRunConfig>;
  /** Dockerfile-style `--change` instructions applied after `changes`. */
  changeInstructions?: string[];
}
