/**
 * A client for Docker's plugin protocol: JSON POSTs to `/<Method>` with
 * `Accept: application/vnd.docker.plugins.v1+json`, over a unix socket or a
 * tcp address, and the `Plugin.Activate` handshake.
 */
import * as http from 'node:http';
import { InternalError, UnavailableError } from '../../core';

export const PLUGIN_MEDIA_TYPE = 'application/vnd.docker.plugins.v1+json';

/** Where a plugin listens: a unix socket path, or host and port. */
export type PluginAddress = { socketPath: string } | { host: string; port: number };

export class PluginClient {
  constructor(readonly name: string, private readonly addr: PluginAddress, private readonly timeoutMs = 30_000) {}

  /** POSTs `body` to `/<method>` and returns the parsed JSON answer; transport errors name the plugin. */
  call<T>(method: string, body: unknown): Promise<T> {
    const payload = Buffer.from(JSON.stringify(body ?? {}));
    return new Promise<T>((resolve, reject) => {
      const req = http.request({
        ...this.addr, method: 'POST', path: `/${method}`,
        headers: { Accept: PLUGIN_MEDIA_TYPE, 'Content-Type': PLUGIN_MEDIA_TYPE, 'Content-Length': payload.length, Host: 'plugin' },
        timeout: this.timeoutMs,
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown = {};
          if (text.trim() !== '') {
            try { json = JSON.parse(text); } catch {
              return reject(new InternalError(`volume plugin ${this.name}: ${method}: invalid JSON answer: ${text.slice(0, 200)}`));
            }
          }
          const err = (json as { Err?: string }).Err;
          if ((res.statusCode ?? 500) >= 400 && !err) {
            return reject(new InternalError(`volume plugin ${this.name}: ${method}: HTTP ${res.statusCode}: ${text.slice(0, 200)}`));
          }
          resolve(json as T);
        });
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', (e) => reject(new UnavailableError(`volume plugin ${this.name}: ${method}: ${e.message}`)));
      req.end(payload);
    });
  }

  /** The handshake: resolves with what the plugin implements (`["VolumeDriver"]`). */
  async activate(): Promise<string[]> {
    const r = await this.call<{ Implements?: string[] }>('Plugin.Activate', {});
    return r.Implements ?? [];
  }
}
