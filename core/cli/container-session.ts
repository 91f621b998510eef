/**
 * The attached life of a container as `berth run` and `berth start -a` live
 * it: attach (hijacked) before start so no output is lost, register the
 * wait, start, follow the terminal size, copy the streams, and return the
 * exit status (or nothing when the user detached).
 */
import { DaemonError, readAll, type ApiClient } from './api-client';
import { followResize, parseDetachKeys, proxySignals, pumpStreams } from './attach-io';
import { StatusError, startErrorStatus } from './cli-context';

export interface SessionOptions {
  tty: boolean;
  interactive: boolean;
  detachKeys?: string;
  /** Wait for removal (`--rm`) instead of the next exit. */
  autoRemove: boolean;
  /** Prefix of start errors (`berth` for run, '' for start). */
  errorPrefix: string;
}

const HEADERS_GRACE_MS = 2000;

/**
 * Runs the session; resolves with the container's exit status, or null if
 * the user detached. A start failure is a StatusError of 125/126/127.
 */
export async function attachStartWait(c: ApiClient, id: string, o: SessionOptions): Promise<number | null> {
  const enc = encodeURIComponent(id);
  const keys = parseDetachKeys(o.detachKeys ?? 'ctrl-p,ctrl-q');
  const hijacked = await c.hijack('POST', `/containers/${enc}/attach`, {
    query: { stream: true, stdin: o.interactive, stdout: true, stderr: true, detachKeys: o.detachKeys },
  });
  const abort = new AbortController();
  const waitRes = c.request('POST', `/containers/${enc}/wait`, {
    query: { condition: o.autoRemove ? 'removed' : 'next-exit' }, signal: abort.signal,
  });
  waitRes.catch(() => undefined);
  // The daemon answers the wait's headers once it is registered; do not start before that (bounded).
  await Promise.race([waitRes.catch(() => undefined), new Promise((r) => setTimeout(r, HEADERS_GRACE_MS).unref())]);
  try {
    await c.status('POST', `/containers/${enc}/start`);
  } catch (err) {
    hijacked.socket.destroy();
    abort.abort();
    // dockerd removes an --rm container whose start failed; make sure of it from here too.
    if (o.autoRemove) await c.status('DELETE', `/containers/${enc}`, { query: { force: true } }).catch(() => undefined);
    const msg = (err as Error).message;
    const prefix = err instanceof DaemonError ? 'Error response from daemon: ' : '';
    throw new StatusError(startErrorStatus(msg), `${o.errorPrefix}${prefix}${msg}`);
  }
  const stopResize = o.tty
    ? followResize((h, w) => c.status('POST', `/containers/${enc}/resize`, { query: { h, w } }))
    : () => undefined;
  // --sig-proxy (docker's default): without a tty, the signals berth gets go to the container.
  const stopProxy = o.tty ? () => undefined : proxySignals((sig) => c.status('POST', `/containers/${enc}/kill`, { query: { signal: sig } }));
  let r;
  try {
    r = await pumpStreams(hijacked, { tty: o.tty, stdin: o.interactive, detachKeys: keys });
  } finally {
    stopProxy();
    stopResize();
  }
  if (r.detached) {
    abort.abort();
    return null;
  }
  let res;
  try {
    res = await waitRes;
  } catch (err) {
    // --rm raced the wait: the container is gone, its status unknown to us.
    if (err instanceof DaemonError && err.status === 404) return 0;
    throw err;
  }
  const body = JSON.parse((await readAll(res)).toString('utf8') || '{}') as { StatusCode?: number; Error?: { Message?: string } | null };
  if (body.Error?.Message) process.stderr.write(`${body.Error.Message}\n`);
  return body.StatusCode ?? 0;
}
