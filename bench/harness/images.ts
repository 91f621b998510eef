/**
 * The benchmark's images, made locally: a busybox rootfs tar (from the host's
 * static busybox) for `docker import`, and a ~60 MB, 4-layer docker-archive
 * (busybox + three layers of random bytes) to push to a local registry.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeBusyboxRootfs } from '../../test/helpers/busybox-rootfs';
import { must } from './proc';

/** Writes a busybox rootfs tar to `out` (with `/www/index.html` for httpd). */
export async function busyboxRootfsTar(work: string, out: string): Promise<void> {
  const dir = path.join(work, 'busybox-rootfs');
  makeBusyboxRootfs(dir);
  fs.writeFileSync(path.join(dir, 'var/www/index.html'), '<h1>hello from berth</h1>\n');
  await must('tar', ['-C', dir, '--numeric-owner', '-cf', out, '.']);
  fs.rmSync(dir, { recursive: true, force: true });
}

const sha256File = (f: string): string => createHash('sha256').update(fs.readFileSync(f)).digest('hex');

/** Writes a docker-archive of a 4-layer image tagged `tag`, about `mb` MB in all. */
export async function bigImageArchive(work: string, tag: string, out: string, mb = 60): Promise<void> {
  const dir = path.join(work, 'big-image');
  fs.mkdirSync(dir, { recursive: true });
  const layers: string[] = [];
  await busyboxRootfsTar(work, path.join(dir, 'layer0.tar'));
  layers.push('layer0.tar');
  const per = Math.floor(((mb - 2) * 1024 * 1024) / 3);
  for (let i = 1; i <= 3; i++) {
    const ld = path.join(dir, `l${i}`);
    fs.mkdirSync(path.join(ld, `data${i}`), { recursive: true });
    for (let j = 0; j < 8; j++) fs.writeFileSync(path.join(ld, `data${i}`, `blob${j}`), randomBytes(Math.floor(per / 8)));
    await must('tar', ['-C', ld, '--numeric-owner', '-cf', path.join(dir, `layer${i}.tar`), '.']);
    fs.rmSync(ld, { recursive: true, force: true });
    layers.push(`layer${i}.tar`);
  }
  const diffIds = layers.map((l) => `sha256:${sha256File(path.join(dir, l))}`);
  const config = {
    architecture: 'amd64', os: 'linux', created: new Date().toISOString(),
    config: { Cmd: ['sh'], Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: layers.map(() => ({ created: new Date().toISOString(), created_by: 'berth bench' })),
  };
  const cfgText = JSON.stringify(config);
  const cfgName = `${createHash('sha256').update(cfgText).digest('hex')}.json`;
  fs.writeFileSync(path.join(dir, cfgName), cfgText);
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify([{ Config: cfgName, RepoTags: [tag], Layers: layers }]));
  await must('tar', ['-C', dir, '-cf', out, '.']);
  fs.rmSync(dir, { recursive: true, force: true });
}
