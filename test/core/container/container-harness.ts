/**
 * Test support for container integration tests: a real kernel (vfs graph
 * driver, native exec driver, json-file logs) with the container domain set
 * up, job IO that captures output, and cleanup of every container, mount,
 * cgroup and temp dir, also when a test fails.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import type { OwnedKernel } from '../../../core/daemon/create-kernel';
import { Tokens } from '../../../core/daemon/kernel';
import type { DaemonConfig } from '../../../core/config/daemon-config';
import type { JobIO } from '../../../core/engine/job';
import { setupContainers } from '../../../core/container/setup';
import type { ContainerService } from '../../../core/container/container-service';
import { hasBusybox } from '../../helpers/busybox-rootfs';
import { makeTestKernel } from '../../helpers/test-kernel';
import { BusyboxImages, removeCgroupParent } from './busybox-image';

export const BUILTINS = ['plugins/graphdriver-vfs', 'plugins/execdriver-native', 'plugins/logdriver-json'];

/** Skips (with the printed reason) when this machine cannot run containers. */
export function requireContainers(ctx: Mocha.Context): void {
  if (process.getuid?.() !== 0) { console.log('skip: needs root (namespaces, cgroups)'); ctx.skip(); }
  if (!hasBusybox()) { console.log('skip: /bin/busybox (busybox-static) is missing'); ctx.skip(); }
}

export interface Captured { io: JobIO; out(): string; err(): string; stdin: PassThrough }

/** Job IO whose stdout/stderr are collected as text. */
export function captureIO(): Captured {
  let out = '';
  let err = '';
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  stdout.on('data', (d: Buffer) => { out += d.toString(); });
  stderr.on('data', (d: Buffer) => { err += d.toString(); });
  return { io: { stdin, stdout, stderr }, out: () => out, err: () => err, stdin };
}

export interface ContainerTestbed {
  dataRoot: string;
  execRoot: string;
  kernel: OwnedKernel;
  svc: ContainerService;
  images: BusyboxImages;
  cgroupParent: string;
  /** Shuts this kernel's container side down without removing containers (for restore tests). */
  closeKernel(): Promise<void>;
  /** Force-removes every container, closes the kernel, removes cgroups and the data root. */
  destroy(): Promise<void>;
}

/** A fresh kernel + container service on a temp data root (or `reuse`'s). */
export async function makeTestbed(config: Partial<DaemonConfig> = {}, reuse?: Pick<ContainerTestbed, 'dataRoot' | 'execRoot' | 'cgroupParent'>): Promise<ContainerTestbed> {
  const dataRoot = reuse?.dataRoot ?? fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-ctr-'));
  // short: the shim's unix socket lives under <exec-root>/containers/<64 hex>/ (108-byte limit)
  const execRoot = reuse?.execRoot ?? fs.mkdtempSync('/tmp/bt-');
  const cgroupParent = reuse?.cgroupParent ?? `bttest-${crypto.randomBytes(4).toString('hex')}`;
  const kernel = await makeTestKernel({ dataRoot, builtins: BUILTINS, config: { 'cgroup-parent': cgroupParent, 'exec-root': execRoot, ...config } });
  let images: BusyboxImages | undefined;
  let closed = false;
  try {
    images = await BusyboxImages.open(kernel);
    kernel.di.registerInstance(Tokens.ImageService, images);
    const svc = await setupContainers(kernel);
    const bed: ContainerTestbed = {
      dataRoot, execRoot, kernel, svc, images, cgroupParent,
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
          await images!.close();
          removeCgroupParent(cgroupParent);
          fs.rmSync(dataRoot, { recursive: true, force: true });
          fs.rmSync(execRoot, { recursive: true, force: true });
        }
      },
    };
    return bed;
  } catch (err) {
    await kernel.close().catch(() => undefined);
    await images?.close();
    if (!reuse) {
      fs.rmSync(dataRoot, { recursive: true, force: true });
      fs.rmSync(execRoot, { recursive: true, force: true });
    }
    throw err;
  }
}
