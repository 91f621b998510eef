/**
 * Docker's JSON progress messages (pkg/jsonmessage, pkg/progress): the
 * `status`/`id`/`progressDetail`/`progress` lines `docker pull` and
 * `docker push` print, and the byte sink that writes them to a job's stdout.
 */
import type { Writable } from 'node:stream';
import type { ProgressMessage, ProgressSink } from '../../core';

/** The 12-hex short id Docker shows for a layer digest. */
export function shortId(digest: string): string {
  const hex = digest.includes(':') ? digest.slice(digest.indexOf(':') + 1) : digest;
  return hex.slice(0, 12);
}

/** go-units HumanSize: decimal units, four significant digits (`1.23MB`). */
export function humanSize(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) { v /= 1000; i++; }
  return `${Number(v.toPrecision(4))}${units[i]}`;
}

/** The bar Docker draws: `[=====>        ]  1.2MB/3.4MB`. */
export function progressBar(current: number, total: number): string {
  const width = 50;
  let bar = '';
  if (total > 0 && current <= total) {
    const done = Math.floor((current / total) * width);
    bar = `[${'='.repeat(done)}${done < width ? '>' : ''}${' '.repeat(Math.max(0, width - done - 1))}] `;
  }
  return `${bar}${humanSize(current).padStart(8)}/${humanSize(total)}`;
}

/** A status line without detail: `{"status":"Pulling fs layer","progressDetail":{},"id":"…"}`. */
export function status(status: string, id?: string): ProgressMessage {
  return id === undefined ? { status } : { status, progressDetail: {}, id };
}

/** A byte-progress line (`Downloading`, `Extracting`, `Pushing`). */
export function bytes(statusText: string, id: string, current: number, total: number): ProgressMessage {
  return { status: statusText, progressDetail: { current, total }, progress: progressBar(current, total), id };
}

/** A sink writing one JSON object per line (what the API streams and the CLI renders). */
export function jsonLinesSink(out: Writable): ProgressSink {
  return (msg) => {
    if (!out.writableEnded && !out.destroyed) out.write(JSON.stringify(msg) + '\r\n');
  };
}
