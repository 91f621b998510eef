/**
 * Image configuration files: the OCI image config and Docker's schema 2
 * image config (a superset: `container`, `container_config`,
 * `docker_version`). The image ID is the sha256 of the config's bytes.
 */
import { InvalidArgumentError } from '../errors';
import { checkDigest } from './digest';

/** The runtime part (`config`) of an image config, Docker's field names. */
export interface ImageRunConfig {
  User?: string;
  ExposedPorts?: Record<string, Record<string, never>>;
  Env?: string[] | null;
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, Record<string, never>> | null;
  WorkingDir?: string;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  ArgsEscaped?: boolean;
  Healthcheck?: Record<string, unknown>;
  OnBuild?: string[] | null;
  Shell?: string[];
  [k: string]: unknown;
}

/** The diff_id of a layer without files: a tar of only its end (1024 zero bytes), dockerd's `layer.DigestSHA256EmptyTar`. */
export const EMPTY_LAYER_DIFF_ID = 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';

/** One `history` entry of an image config. */
export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

/** An OCI / Docker schema 2 image config file. */
export interface OciImageConfigFile {
  architecture: string;
  os: string;
  variant?: string;
  created?: string;
  author?: string;
  config?: ImageRunConfig;
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: HistoryEntry[];
  /** Docker schema 2 extras. */
  comment?: string;
  container?: string;
  container_config?: ImageRunConfig;
  docker_version?: string;
  [k: string]: unknown;
}

/** Parses and checks an image config (InvalidArgumentError saying which field is wrong). */
export function parseImageConfig(bytes: Buffer | string): OciImageConfigFile {
  let c: unknown;
  try { c = JSON.parse(bytes.toString()); } catch (e) {
    throw new InvalidArgumentError(`image config is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof c !== 'object' || c === null || Array.isArray(c)) throw new InvalidArgumentError('image config must be a JSON object');
  const cfg = c as Partial<OciImageConfigFile>;
  if (!cfg.rootfs || cfg.rootfs.type !== 'layers' || !Array.isArray(cfg.rootfs.diff_ids)) {
    throw new InvalidArgumentError('image config: rootfs must be {"type":"layers","diff_ids":[...]}');
  }
  cfg.rootfs.diff_ids.forEach((d, i) => checkDigest(String(d), `rootfs.diff_ids[${i}]`));
  if (typeof cfg.architecture !== 'string' || typeof cfg.os !== 'string') {
    throw new InvalidArgumentError('image config: architecture and os must be strings');
  }
  return cfg as OciImageConfigFile;
}

/** The architecture name OCI uses for this machine. */
export function hostArchitecture(): string {
  const m: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' };
  return m[process.arch] ?? process.arch;
}

/** Serialises a config canonically (stable key order as given, no spaces) — its sha256 is the image ID. */
export function configBytes(cfg: OciImageConfigFile): Buffer {
  return Buffer.from(JSON.stringify(cfg));
}
