/**
 * Shared setup for the native exec driver tests: a busybox rootfs in a temp
 * dir, a driver, and bookkeeping so every container (its shim, processes,
 * cgroups and state) and temp dir is removed after each test, also on failure.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ContainerSpec, ExitStatus, RunningContainer } from '../../../core';
import { NativeExecDriver, defaultContainerSpec, stopShimZygotes } from '../../../plugins/execdriver-native';
import { ContainerCgroup } from '../../../plugins/execdriver-native/cgroups';
import { hasBusybox, makeBusyboxRootfs } from '../../helpers/busybox-rootfs';

export interface Harness {
  dir: string;
  rootfs: string;
  driver: NativeExecDriver;
  /** A default spec with a fresh id and state dir. */
  spec(args: string[], overrides?: Partial<ContainerSpec>): ContainerSpec;
  /** Starts the spec and tracks it for cleanup. */
  start(spec: ContainerSpec): Promise<RunningContainer>;
  /** Starts, collects all output, waits. */
  run(args: string[], overrides?: Partial<ContainerSpec>): Promise<{ out: string; err: string; status: ExitStatus; spec: ContainerSpec }>;
  /** Deletes every tracked container (shim, cgroups, state). */
  cleanup(): Promise<void>;
  /** Also removes the temp dir. */
  destroy(): Promise<void>;
}

/** Reads a stream to the end as text. */
export function collect(s: NodeJS.ReadableStream | null): Promise<string> {
  if (!s) return Promise.resolve('');
  return new Promise((resolve, reject) => {
    let acc = '';
    s.on('data', (d: Buffer) => { acc += d.toString('utf8'); });
    s.on('end', () => resolve(acc));
    s.on('error', reject);
  });
}

/** Skips the suite (with the printed reason) when this machine cannot run containers. */
export function requireKernel(ctx: Mocha.Context): void {
  if (process.getuid?.() !== 0) { console.log('skip: needs root (namespaces, cgroups)'); ctx.skip(); }
  if (!hasBusybox()) { console.log('skip: /bin/busybox (busybox-static) is missing'); ctx.skip(); }
}

export function newHarness(): Harness {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-'));
  const rootfs = makeBusyboxRootfs(path.join(dir, 'rootfs'));
  // the seccomp program cache lives in the test's temp dir too
  const driver = new NativeExecDriver({ seccompCacheDir: path.join(dir, 'seccomp-cache') });
  const tracked: ContainerSpec[] = [];
  // a cgroup parent of this harness only, removed in destroy()
  const cgroupParent = `bttest-${crypto.randomBytes(4).toString('hex')}`;
  const h: Harness = {
    dir, rootfs, driver,
    spec(args, overrides = {}) {
      const id = `bt${crypto.randomBytes(6).toString('hex')}`;
      const stateDir = path.join(dir, 'state', id);
      fs.mkdirSync(stateDir, { recursive: true });
      const spec = defaultContainerSpec({ id, stateDir, rootfs, args }, overrides);
      if (!overrides.cgroup) spec.cgroup = { parent: cgroupParent, resources: {} };
      tracked.push(spec);
      return spec;
    },
    async start(spec) {
      if (!tracked.includes(spec)) tracked.push(spec);
      return driver.start(spec);
    },
    async run(args, overrides) {
      const spec = h.spec(args, overrides);
      const c = await h.start(spec);
      const io = await c.attach();
      const [out, err, status] = await Promise.all([collect(io.stdout), collect(io.stderr), c.wait()]);
      return { out, err, status, spec };
    },
    async cleanup() {
      const errors: unknown[] = [];
      for (const s of tracked.splice(0)) {
        try { await driver.delete(s.id, s.stateDir); } catch (e) { errors.push(e); }
      }
      if (errors.length) throw errors[0];
    },
    async destroy() {
      try { await h.cleanup(); } finally {
        // the process's shim zygote (started by the first container start) exits on EOF
        stopShimZygotes();
        fs.rmSync(dir, { recursive: true, force: true });
        for (const parentDir of Object.values(ContainerCgroup.of(cgroupParent, 'x').dirs).map((d) => path.dirname(d))) {
          try { fs.rmdirSync(parentDir); } catch { /* absent */ }
        }
      }
    },
  };
  return h;
}
