/**
 * The registry plugin's options (`plugin-options["registry.distribution"]`)
 * and how they combine with the daemon config (`insecure-registries`,
 * `registry-mirrors`, `max-concurrent-downloads`, `max-concurrent-uploads`).
 */
import type { JSONSchema } from '../../core';

export interface RegistryOptions {
  /** Per-registry TLS material: `<certsDir>/<host[:port]>/ca.crt`, `*.cert` + `*.key` (Docker's layout). */
  certsDir: string;
  /** Docker CLI config whose `auths` map gives credentials (`docker login`). */
  dockerConfig: string;
  /** Blobs larger than this are pushed with chunked PATCH uploads (bytes). */
  chunkSize: number;
  /**
   * Treat 127.0.0.0/8, ::1 and localhost as insecure registries without
   * listing them (Docker always does). Off only to exercise TLS verification
   * against a local registry.
   */
  loopbackInsecure: boolean;
}

export const optionsSchema: JSONSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    certsDir: { type: 'string', minLength: 1 },
    dockerConfig: { type: 'string', minLength: 1 },
    chunkSize: { type: 'integer', minimum: 65536 },
    loopbackInsecure: { type: 'boolean' },
  },
};

export const defaults: RegistryOptions = {
  certsDir: '/etc/berth/certs.d',
  dockerConfig: `${process.env.HOME ?? '/root'}/.docker/config.json`,
  chunkSize: 16 * 1024 * 1024,
  loopbackInsecure: true,
};
