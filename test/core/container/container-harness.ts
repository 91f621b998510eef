/**
 * Test support for container integration tests: a real kernel (vfs graph
 * driver through the real image service, native exec driver, json-file logs)
 * with busybox loaded from the host's static busybox, the container domain
 * set up, job IO that captures output, and cleanup of every container, mount,
 * cgroup and temp dir, also when a test fails.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import type { OwnedKernel } from '../../../core/daemon/create-kernel';
import type { DaemonConfig } from '../../../core/config/daemon-config';
import type { JobIO } from '../../../core/engine/job';
import { setupImages } from '../../../core/image/setup';
import { setupContainers } from '../../../core/container/setup';
import type { ContainerService } from '../../../core/container/container-service';
import { hasBusybox } from '../../helpers/busybox-rootfs';
import { makeBusyboxArchive } from '../../helpers/busybox-image';
import { makeTestKernel } from '../../helpers/test-kernel';

export const BUILTINS = ['plugins/graphdriver-vfs', 'plugins/execdriver-native', 'plugins/logdriver-json'];

/** Skips (with the printed reason) when this machine cannot run containers. */
export function requireContainers(ctx: Mocha.Context): void {
  if (process.getuid?.() !== 0) { console.log('skip: needs root (namespaces, cgroups)'); ctx.skip(); }
  if (!hasBusybox()) { console.log('skip: /bin/busybox (busybox-static) is missing'); ctx.skip(); }
}

export interface Captured { io: JobIO; out(): string; err(): string; stdin: PassThrough }

/** Job IO whose stdout/stderr are collected as text. */
export function captureIO(stdinData?: string): Captured {
  let out = '';
  let err = '';
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  if (stdinData !== undefined) stdin.end(stdinData);
  stdout.on('data', (d: Buffer) => { out += d.toString(); });
  stderr.on('data', (d: Buffer) => { err += d.toString(); });
  return { io: { stdin, stdout, stderr }, out: () => out, err: () => err, stdin };
}

/** Removes `/sys/fs/cgroup/<controller>/<parent>` dirs a test's containers left (empty ones only). */
export function removeCgroupParent(parent: string): void {
  const root = '/sys/fs/cgroup';
  let ctrls: string[] = [];
  try { ctrls = fs.readdirSync(root); } catch { return; }
  for (const c of ctrls) {
    try { fs.rmdirSync(path.join(root, c, parent)); } catch { /* absent or not empty */ }
  }
}

export interface ContainerTestbed {
  dataRoot: string;
  execRoot: string;
  kernel: OwnedKernel;
  svc: ContainerService;
  cgroupParent: string;
  /** Closes this kernel (its shutdown hooks run) without removing containers (for restore tests). */
  closeKernel(): Promise<void>;
  /** Force-removes every container, closes the kernel, removes cgroups and the roots. */
  destroy(): Promise<void>;
}

/** A fresh kernel + image and container services on a temp data root (or `reuse`'s, for a daemon restart). */
export async function makeTestbed(config: Partial<DaemonConfig> = {}, reuse?: Pick<ContainerTestbed, 'dataRoot' | 'execRoot' | 'cgroupParent'>): Promise<ContainerTestbed> {
  const dataRoot = reuse?.dataRoot ?? fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-ctr-'));
  // short: the shim's unix socket lives under <exec-root>/containers/<64 hex>/ (108-byte limit)
  const execRoot = reuse?.execRoot ?? fs.mkdtempSync('/tmp/bt-');
  const cgroupParent = reuse?.cgroupParent ?? `bttest-${crypto.randomBytes(4).toString('hex')}`;
  const kernel = await makeTestKernel({
    dataRoot, builtins: BUILTINS,
    config: { 'cgroup-parent': cgroupParent, 'exec-root': execRoot, 'storage-driver': 'vfs', ...config },
  });
  let closed = false;
  const removeRoots = (): void => {
    removeCgroupParent(cgroupParent);
    fs.rmSync(dataRoot, { recursive: true, force: true });
    fs.rmSync(execRoot, { recursive: true, force: true });
  };
  try {
    await setupImages(kernel);
    if (!reuse) {
      const archive = await makeBusyboxArchive(path.join(dataRoot, 'busybox.tar'));
      const stdin = fs.createReadStream(archive.path);
      const sink = new PassThrough();
      sink.resume();
      await kernel.engine.run('image.load', {}, { io: { stdin, stdout: sink, stderr: sink } });
      fs.rmSync(archive.path, { force: true });
    }
    const svc = await setupContainers(kernel);
    const bed: ContainerTestbed = {
      dataRoot, execRoot, kernel, svc, cgroupParent,
      async closeKernel() {
        if (closed) return;
        closed = true;
        await kernel.close();
      },
      async destroy() {
        try {
          for (const c of svc.store.all()) {
            await svc.remove(c.record.ID, { force: true }).catch((e: Error) => console.log(`cleanup: ${e.message}`));
          }
        } finally {
          await bed.closeKernel().catch(() => undefined);
          removeRoots();
        }
      },
    };
    return bed;
  } catch (err) {
    await kernel.close().catch(() => undefined);
    if (!reuse) removeRoots();
    throw err;
  }
}
