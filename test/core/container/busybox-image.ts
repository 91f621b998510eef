/**
 * Test support: an image service stand-in holding one image, `busybox`, made
 * from the host's static busybox as one layer of the real vfs graph driver.
 * It implements only what the container service uses (the contract in
 * INTEGRATION.md); containers get real RW layers from the real driver.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import type { Change, GraphDriver, GraphDriverFactory } from '../../../core/drivers/graphdriver';
import { NotFoundError, NotImplementedError } from '../../../core/errors';
import { compareTrees } from '../../../core/image/naive-differ';
import type { Kernel } from '../../../core/daemon/kernel';
import type { ImagePort, ImageRecordLike } from '../../../core/container/ports';
import { makeBusyboxRootfs } from '../../helpers/busybox-rootfs';

export const BUSYBOX_ID = 'sha256:' + 'b'.repeat(64);
const BASE_LAYER = 'c'.repeat(64);

export class BusyboxImages implements ImagePort {
  private constructor(readonly driver: GraphDriver, private readonly image: ImageRecordLike) {}

  /** Opens the vfs driver under `<data-root>/vfs` and creates the busybox layer. */
  static async open(kernel: Kernel, imageConfig: Record<string, unknown> = {}): Promise<BusyboxImages> {
    const factory = kernel.plugins.resolve<GraphDriverFactory>('graphdriver:vfs');
    const driver = await factory.create(path.join(kernel.config['data-root'], 'vfs'), {});
    if (!(await driver.exists(BASE_LAYER))) {
      await driver.create(BASE_LAYER, null);
      const dir = await driver.get(BASE_LAYER);
      makeBusyboxRootfs(dir);
      await driver.put(BASE_LAYER);
    }
    return new BusyboxImages(driver, {
      id: BUSYBOX_ID,
      config: { architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'], Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], ...imageConfig } },
      repoTags: ['busybox:latest'], repoDigests: [],
    });
  }

  async resolve(ref: string): Promise<ImageRecordLike> {
    if (ref === 'busybox' || ref === 'busybox:latest' || ref === BUSYBOX_ID || BUSYBOX_ID.slice(7).startsWith(ref)) return this.image;
    throw new NotFoundError(`No such image: ${ref}`);
  }
  createContainerLayer(containerId: string): Promise<void> { return this.driver.createReadWrite(containerId, BASE_LAYER); }
  mountContainerLayer(containerId: string): Promise<string> { return this.driver.get(containerId); }
  unmountContainerLayer(containerId: string): Promise<void> { return this.driver.put(containerId); }
  removeContainerLayer(containerId: string): Promise<void> { return this.driver.remove(containerId); }
  async containerChanges(containerId: string): Promise<Change[]> {
    const top = await this.driver.get(containerId);
    const base = await this.driver.get(BASE_LAYER);
    try { return await compareTrees(top, base); } finally {
      await this.driver.put(containerId);
      await this.driver.put(BASE_LAYER);
    }
  }
  exportContainer(): Promise<Readable> { throw new NotImplementedError('export is not part of the test image stand-in'); }
  async containerLayerSize(): Promise<number> { return 0; }
  /** Removes the base layer (after every container's layer). */
  async close(): Promise<void> {
    await this.driver.remove(BASE_LAYER).catch(() => undefined);
    await this.driver.cleanup().catch(() => undefined);
  }
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
