/**
 * Error responses, as the Docker Engine API sends them: the BerthError's HTTP
 * status and `{"message": "..."}`. 304 (already started / stopped) carries no
 * body. Anything that is not a BerthError is a 500 with its message.
 */
import type { ServerResponse } from 'node:http';
import { toBerthError } from '../errors';

/** Writes `err` as Docker's JSON error response, unless headers were already sent. */
export function sendError(res: ServerResponse, err: unknown): void {
  const e = toBerthError(err);
  const status = e.httpStatus;
  if (res.headersSent) {
    res.end();
    return;
  }
  if (status === 304) {
    res.writeHead(304);
    res.end();
    return;
  }
  const body = JSON.stringify({ message: e.message }) + '\n';
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
