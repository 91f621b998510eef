/**
 * The container jobs that read rather than change: inspect, list, logs,
 * attach, top, stats, changes, export. Each writes raw bytes to the job's
 * stdout/stderr (the API frames them) or returns Docker's JSON shape.
 */
import { readFile } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import type { ContainerStats, ProcessIO } from '../drivers/execdriver';
import type { LogMessage, LogReader } from '../drivers/logdriver';
import type { Job } from '../engine/job';
import { ConflictError, NotImplementedError } from '../errors';
import { createLogDriver } from '../logging/create-log-driver';
import { writeLogBatches } from '../logging/write-log-batches';
import type { ContainerService } from './container-service';
import { IOFanout } from './io-fanout';
import { pumpProcessIO } from './pump-io';
import { checkListFilters, type Filters, matchListFilters, normaliseFilters } from './list-filters';
import { dockerStats, type NetworkStats, parseNetDev } from './stats-format';
import { top, type TopResult } from './top';
import type { Container } from './types';
import { inspectView, summaryView } from './views';

/** Input of container.logs (the API passes since/until as unix seconds, tail -1 for all). */
export interface LogsInput {
  id: string;
  follow?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  timestamps?: boolean;
  tail?: number | string;
  since?: number;
  until?: number;
}

export interface AttachInput {
  id: string;
  logs?: boolean;
  stream?: boolean;
  stdin?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  detachKeys?: string;
}

/** Docker's fixed-width RFC3339Nano for `--timestamps`. */
function logTimestamp(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

/** container.inspect: the ContainerInspect shape; `size` adds SizeRw/SizeRootFs. */
export async function inspectContainer(svc: ContainerService, ref: string, size = false): Promise<Record<string, unknown>> {
  const c = svc.store.get(ref);
  let sizes: { sizeRw?: number; sizeRootFs?: number } = {};
  if (size) {
    const rw = await svc.images.containerLayerSize(c.record.ID).catch(() => 0);
    sizes = { sizeRw: rw, sizeRootFs: rw };
  }
  return inspectView(c, { execIds: [...(svc.execIds.get(c.record.ID) ?? [])], graphDriver: await graphDriverData(svc, c), ...sizes });
}

async function graphDriverData(svc: ContainerService, c: Container): Promise<{ Name: string; Data: Record<string, string> | null }> {
  const fallback = { Name: c.record.Driver, Data: null };
  const images = svc.images;
  if (!images.containerGraphDriver) return fallback;
  return images.containerGraphDriver(c.record.ID).catch(() => fallback);
}

/**
 * container.list: running containers, or all with `all`; `limit` newest
 * (implies all); `size`; Docker's filters. ContainerSummary[] newest first.
 */
export async function listContainers(svc: ContainerService, input: { all?: boolean; limit?: number; size?: boolean; filters?: unknown }): Promise<Record<string, unknown>[]> {
  const filters: Filters = normaliseFilters(input.filters);
  checkListFilters(filters);
  const ancestorImageIds = new Map<string, string | null>();
  for (const a of filters.ancestor ?? []) {
    ancestorImageIds.set(a, await svc.images.resolve(a).then((i) => i.id, () => null));
  }
  const all = !!input.all || (input.limit ?? 0) > 0 || !!filters.status || !!filters.exited;
  let list = svc.store.all().filter((c) => (all || c.record.State.Running) && matchListFilters(c, filters, {
    ancestorImageIds, lookup: (ref) => svc.store.get(ref),
  }));
  if ((input.limit ?? 0) > 0) list = list.slice(0, input.limit);
  const out: Record<string, unknown>[] = [];
  for (const c of list) {
    let sizes: { SizeRw: number; SizeRootFs: number } | undefined;
    if (input.size) {
      const rw = await svc.images.containerLayerSize(c.record.ID).catch(() => 0);
      sizes = { SizeRw: rw, SizeRootFs: rw };
    }
    out.push(summaryView(c, sizes));
  }
  return out;
}

/** Writes one message to the job's stream for its source, with an optional timestamp. */
function writeMessage(job: Job<unknown>, msg: LogMessage, input: { stdout?: boolean; stderr?: boolean; timestamps?: boolean }): boolean {
  if (msg.source === 'stdout' && !input.stdout) return true;
  if (msg.source === 'stderr' && !input.stderr) return true;
  const out = msg.source === 'stderr' ? job.io.stderr : job.io.stdout;
  const data = input.timestamps ? Buffer.concat([Buffer.from(logTimestamp(msg.time) + ' '), msg.line]) : msg.line;
  return out.write(data);
}

/**
 * container.logs: reads through the log driver's LogReader and writes each
 * line's raw bytes to job.io.stdout or job.io.stderr. `follow` continues
 * until the container stops (the driver closes) or the caller goes away.
 */
export async function containerLogs(svc: ContainerService, job: Job<LogsInput>): Promise<void> {
  const input = job.input;
  const c = svc.store.get(input.id);
  const tail = input.tail === undefined || input.tail === 'all' || input.tail === '' ? -1 : Number(input.tail);
  const opts = {
    follow: !!input.follow,
    tail: Number.isFinite(tail) ? tail : -1,
    since: input.since ? new Date(input.since * 1000) : undefined,
    until: input.until ? new Date(input.until * 1000) : undefined,
  };
  const rt = svc.runtimeFor(c.record.ID);
  let reader: Partial<LogReader> & { close?: () => Promise<void> };
  let temporary = false;
  if (rt) {
    // the running container's own driver instance: followers end when it closes at exit
    reader = rt.logDriver;
  } else {
    reader = await createLogDriver(svc.kernel, {
      containerId: c.record.ID, containerName: c.record.Name, imageName: c.record.Config.Image, imageId: c.record.Image,
      containerLabels: c.record.Config.Labels, containerEnv: c.record.Config.Env ?? [], containerDir: svc.store.dir(c.record.ID),
      options: c.hostConfig.LogConfig.Config,
    }, c.hostConfig.LogConfig.Type, c.hostConfig.LogConfig.Config);
    temporary = true;
    if (opts.follow && !c.record.State.Running) opts.follow = false;
  }
  try {
    if (typeof reader.read !== 'function') {
      throw new NotImplementedError(`configured logging driver does not support reading: ${c.hostConfig.LogConfig.Type}`);
    }
    if (typeof reader.readBatches === 'function') {
      // a block of lines per write, no object per line (core/logging/write-log-batches.ts)
      await writeLogBatches(reader.readBatches(opts), job.io, input, job.signal);
      return;
    }
    const stream = reader.read(opts);
    const onAbort = (): void => { stream.destroy(); };
    job.signal.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const msg of stream as AsyncIterable<LogMessage>) {
        if (!writeMessage(job, msg, input)) await drained(msg.source === 'stderr' ? job.io.stderr : job.io.stdout, job.signal);
      }
    } catch (err) {
      if (!job.signal.aborted) throw err;
    } finally {
      job.signal.removeEventListener('abort', onAbort);
    }
  } finally {
    if (temporary) await (reader as { close?: () => Promise<void> }).close?.().catch(() => undefined);
  }
}

function drained(w: Writable, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => { w.off('drain', done); signal.removeEventListener('abort', done); resolve(); };
    w.once('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * container.attach: optionally replays the logs, then connects the job's
 * stdio to PID 1's (output from now on; stdin when the container was
 * created with OpenStdin). A created container is attached as soon as it
 * starts (what `docker run` relies on). Resolves when the container's output
 * ends or the caller goes away.
 */
export async function attachContainer(svc: ContainerService, job: Job<AttachInput>): Promise<void> {
  const input = job.input;
  const c = svc.store.get(input.id);
  if (input.logs) {
    await containerLogs(svc, { ...job, input: { id: input.id, stdout: input.stdout, stderr: input.stderr, follow: false } });
  }
  // dockerd announces every attach, also one asking only for the logs
  await svc.emit(c, 'attach');
  if (!input.stream) return;
  const s = c.record.State;
  if (s.Status === 'paused') throw new ConflictError('You cannot attach to a paused container, unpause it first');
  let sub: ProcessIO;
  if (!svc.runtimeFor(c.record.ID)) {
    // like dockerd: a stopped container's streams connect when it next starts (`docker run`, `docker start -a`)
    const got = await waitForStart(svc, c, job.signal);
    if (!got) return;
    sub = got;
  } else {
    sub = svc.runtimeFor(c.record.ID)!.fanout.subscribe();
  }
  await pumpAttach(c, sub, job, input);
}

/** Subscribes to the container's output in the same tick it starts, so no early line is missed. */
function waitForStart(svc: ContainerService, c: Container, signal: AbortSignal): Promise<ProcessIO | null> {
  const id = c.record.ID;
  return new Promise((resolve) => {
    const onStart = (): void => {
      signal.removeEventListener('abort', onAbort);
      const rt = svc.runtimeFor(id);
      resolve(rt ? rt.fanout.subscribe() : null);
    };
    const onAbort = (): void => { svc.events.off(`start:${id}`, onStart); resolve(null); };
    svc.events.once(`start:${id}`, onStart);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

async function pumpAttach(c: Container, sub: ProcessIO, job: Job<AttachInput>, input: AttachInput): Promise<void> {
  try {
    await pumpProcessIO(sub, job, {
      stdout: input.stdout !== false, stderr: input.stderr !== false,
      stdin: Boolean(input.stdin && c.record.Config.OpenStdin), closeStdinAtEnd: Boolean(c.record.Config.StdinOnce),
    });
  } finally {
    IOFanout.release(sub);
  }
}

/** container.top: `ps` (default `-ef`) on the host, filtered to the container's pids. */
export async function topContainer(svc: ContainerService, ref: string, psArgs?: string): Promise<TopResult> {
  const c = svc.store.get(ref);
  const rt = svc.runtimeOf(c);
  return top(await rt.running.pids(), psArgs);
}

/**
 * container.stats: Docker's stats JSON. `stream` (default true) writes one
 * JSON line per second to job.io.stdout until the caller goes away or the
 * container stops; otherwise one object (after two samples, unless
 * `one-shot`) is written and returned.
 */
export async function containerStats(svc: ContainerService, job: Job<{ id: string; stream?: boolean; 'one-shot'?: boolean }>): Promise<void> {
  const c = svc.store.get(job.input.id);
  const id = c.record.ID;
  const sample = async (): Promise<ContainerStats | null> => {
    const rt = svc.runtimeFor(id);
    if (!rt || !c.record.State.Running) return null;
    return rt.running.stats().catch(() => null);
  };
  const networks = async (): Promise<Record<string, NetworkStats> | undefined> => {
    const rt = svc.runtimeFor(id);
    if (!rt || c.hostConfig.NetworkMode === 'host') return undefined;
    return readFile(`/proc/${rt.running.pid}/net/dev`, 'utf8').then(parseNetDev, () => undefined);
  };
  const stream = job.input.stream !== false;
  let prev: ContainerStats | null = null;
  if (!stream) {
    if (!job.input['one-shot']) {
      prev = await sample();
      if (prev) await sleep(1000, job.signal);
    }
    const cur = await sample();
    job.io.stdout.write(JSON.stringify(dockerStats(id, c.record.Name, cur, prev, cur ? await networks() : undefined)) + '\n');
    return;
  }
  while (!job.signal.aborted) {
    const cur = await sample();
    job.io.stdout.write(JSON.stringify(dockerStats(id, c.record.Name, cur, prev, cur ? await networks() : undefined)) + '\n');
    if (!cur) return;
    prev = cur;
    await sleep(1000, job.signal);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void { clearTimeout(t); signal.removeEventListener('abort', done); resolve(); }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** container.changes: the RW layer's changes against the image (`docker diff`). */
export async function containerChanges(svc: ContainerService, ref: string): Promise<Array<{ Path: string; Kind: number }>> {
  const c = svc.store.get(ref);
  const changes = await svc.images.containerChanges(c.record.ID);
  return filterRuntimeChanges(changes.map((ch) => ({ Path: ch.path, Kind: ch.kind })));
}

/**
 * Paths the runtime itself creates in the RW layer (mount points of the
 * /etc files and the kernel filesystems). Docker keeps them in the `-init`
 * layer under the RW layer, so `docker diff` of a fresh container is empty;
 * berth has no init layer and hides them here instead.
 */
const RUNTIME_PATHS = ['/etc/hostname', '/etc/hosts', '/etc/resolv.conf', '/etc/mtab', '/.dockerenv', '/dev', '/proc', '/sys'];

/** Drops runtime-made paths, and directories modified only because of them. */
export function filterRuntimeChanges(changes: Array<{ Path: string; Kind: number }>): Array<{ Path: string; Kind: number }> {
  const runtime = (p: string): boolean => RUNTIME_PATHS.some((r) => p === r || p.startsWith(`${r}/`));
  const kept = changes.filter((ch) => !runtime(ch.Path));
  const droppedParents = new Set(changes.filter((ch) => runtime(ch.Path)).map((ch) => ch.Path.slice(0, ch.Path.lastIndexOf('/')) || '/'));
  return kept.filter((ch) => !(ch.Kind === 0 && droppedParents.has(ch.Path)
    && !kept.some((o) => o !== ch && o.Path.startsWith(`${ch.Path === '/' ? '' : ch.Path}/`))));
}

/** container.export: the container's full filesystem as a tar, written to job.io.stdout. */
export async function exportContainer(svc: ContainerService, job: Job<{ id: string }>): Promise<void> {
  const c = svc.store.get(job.input.id);
  const tar = await svc.images.exportContainer(c.record.ID);
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => { tar.destroy(); resolve(); };
    job.signal.addEventListener('abort', onAbort, { once: true });
    tar.on('error', reject);
    tar.on('end', resolve);
    tar.pipe(job.io.stdout, { end: false });
  });
  await svc.emit(c, 'export');
}
