/**
 * Hijacked connections for attach and exec start. With `Upgrade: tcp` (what
 * the docker CLI and dockerode's `hijack: true` send) berth answers
 * `101 UPGRADED` and the connection becomes a raw byte pipe both ways: the
 * client's bytes are the process's stdin (a half-close ends stdin only), the
 * process's output comes back raw (tty) or multiplexed. Without an upgrade the
 * response is a plain 200 stream and the request body is stdin.
 */
import type { Readable, Writable } from 'node:stream';
import type { RouteContext } from './route';

/** Docker's media types for hijacked and log streams. */
export const MediaType = Object.freeze({
  raw: 'application/vnd.docker.raw-stream',
  multiplexed: 'application/vnd.docker.multiplexed-stream',
});

export interface HijackedConn {
  /** Where output goes (headers already sent). */
  out: Writable;
  /** What the client sends: the process's stdin. */
  in: Readable;
  /** Ends the connection once all output is written. */
  end(): void;
}

/** Takes over the connection of `ctx` and sends the response head. */
export function hijackConnection(ctx: RouteContext, contentType: string): HijackedConn {
  if (ctx.upgrade) {
    const socket = ctx.upgrade.socket;
    const lines = ['HTTP/1.1 101 UPGRADED', `Content-Type: ${contentType}`, 'Connection: Upgrade', 'Upgrade: tcp'];
    for (const [k, v] of Object.entries(ctx.apiHeaders)) lines.push(`${k}: ${v}`);
    socket.write(lines.join('\r\n') + '\r\n\r\n');
    return { out: socket, in: socket, end: () => { socket.end(); } };
  }
  ctx.res.writeHead(200, { 'Content-Type': contentType });
  ctx.res.flushHeaders();
  return { out: ctx.res, in: ctx.req, end: () => { ctx.res.end(); } };
}
