/**
 * A small Docker volume plugin, as a third party would write one: HTTP on a
 * unix socket, speaking Plugin.Activate and VolumeDriver.*. Volumes are
 * directories under `dataDir`. `Opts.fail` makes Create answer an Err.
 * Shared by the volume plugin tests and the container volume tests.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';

export interface TestVolumePlugin {
  server: http.Server;
  calls: Array<{ method: string; body: unknown; accept?: string }>;
  close(): Promise<void>;
}

export function startTestVolumePlugin(socketPath: string, dataDir: string): Promise<TestVolumePlugin> {
  const calls: Array<{ method: string; body: unknown; accept?: string }> = [];
  const vols = new Map<string, { opts: Record<string, string>; mounts: Set<string> }>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as { Name?: string; ID?: string; Opts?: Record<string, string> };
      const method = (req.url ?? '').slice(1);
      calls.push({ method, body, accept: req.headers.accept });
      const mp = (n: string): string => path.join(dataDir, n);
      let out: unknown;
      switch (method) {
        case 'Plugin.Activate': out = { Implements: ['VolumeDriver'] }; break;
        case 'VolumeDriver.Capabilities': out = { Capabilities: { Scope: 'global' } }; break;
        case 'VolumeDriver.Create':
          if (body.Opts?.fail) out = { Err: `refusing to create ${body.Name}: quota exceeded` };
          else { vols.set(body.Name!, { opts: body.Opts ?? {}, mounts: new Set() }); fs.mkdirSync(mp(body.Name!), { recursive: true }); out = { Err: '' }; }
          break;
        case 'VolumeDriver.Get':
          out = vols.has(body.Name!) ? { Volume: { Name: body.Name, Mountpoint: mp(body.Name!), Status: { backend: 'test' } }, Err: '' } : { Err: `no such volume ${body.Name}` };
          break;
        case 'VolumeDriver.List': out = { Volumes: [...vols.keys()].map((n) => ({ Name: n, Mountpoint: mp(n) })), Err: '' }; break;
        case 'VolumeDriver.Mount': vols.get(body.Name!)?.mounts.add(body.ID!); out = { Mountpoint: mp(body.Name!), Err: '' }; break;
        case 'VolumeDriver.Unmount': vols.get(body.Name!)?.mounts.delete(body.ID!); out = { Err: '' }; break;
        case 'VolumeDriver.Path': out = { Mountpoint: mp(body.Name!), Err: '' }; break;
        case 'VolumeDriver.Remove': vols.delete(body.Name!); out = { Err: '' }; break;
        default: res.statusCode = 404; out = { Err: `unknown method ${method}` };
      }
      res.setHeader('Content-Type', 'application/vnd.docker.plugins.v1+json');
      res.end(JSON.stringify(out));
    });
  });
  const close = (): Promise<void> => new Promise((r) => server.close(() => r()));
  return new Promise((resolve) => server.listen(socketPath, () => resolve({ server, calls, close })));
}
