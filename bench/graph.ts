/**
 * bench:graph — not a test. Two measurements:
 *  1. Applying a ~100 MB, 4-layer image through each graph driver (create +
 *     applyDiff per layer, the layer tars read from disk) against `tar -x` of
 *     the same tars into one directory in the same run, as a ratio (goal for
 *     overlay2: ≤ 1.3× `tar -x`).
 *  2. Mount time of the top of a 125-layer image (overlay2 get/put; vfs get).
 * Run as root: `npm run bench:graph` (BENCH_RUNS=3 by default; BENCH_MB=100).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tar from 'tar-stream';
import type { GraphDriver, GraphDriverWithDiff } from '../core/drivers/graphdriver';
import { withDiffer } from '../core/image/naive-differ';
import { buildTar } from '../core/image/tar-build';
import { isFailedPrecondition } from '../core/errors';
import { Readable } from 'node:stream';
import { VfsDriver } from '../plugins/graphdriver-vfs/vfs-driver';
import { Overlay2Driver } from '../plugins/graphdriver-overlay2/overlay2-driver';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const TOTAL_MB = Number(process.env.BENCH_MB ?? 100);

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const now = (): number => Number(process.hrtime.bigint()) / 1e6;

/** Writes one layer tar of about `mb` MB: a few large files and many small ones, like a distro layer. */
async function writeLayer(file: string, layer: number, mb: number): Promise<void> {
  const pack = tar.pack();
  const out = fs.createWriteStream(file);
  const done = new Promise<void>((resolve, reject) => { out.on('finish', () => resolve()); out.on('error', reject); });
  (pack as unknown as Readable).pipe(out);
  const entry = (h: tar.Header, body: Buffer): Promise<void> => new Promise((res, rej) => pack.entry(h, body, (e) => (e ? rej(e) : res())));
  const base = { mode: 0o644, uid: 0, gid: 0, mtime: new Date(), linkname: '', uname: '', gname: '', devmajor: 0, devminor: 0 };
  const big = Math.floor(mb * 0.7);
  const dir = `layer${layer}`;
  await entry({ ...base, name: `${dir}/`, type: 'directory', mode: 0o755, size: 0 }, Buffer.alloc(0));
  for (let i = 0; i < big / 4; i++) {
    const b = randomBytes(4 << 20);
    await entry({ ...base, name: `${dir}/big-${i}.bin`, type: 'file', size: b.length }, b);
  }
  const smallBytes = (mb - big) << 20;
  const n = Math.floor(smallBytes / 8192);
  for (let i = 0; i < n; i++) {
    if (i % 100 === 0) await entry({ ...base, name: `${dir}/d${i / 100}/`, type: 'directory', mode: 0o755, size: 0 }, Buffer.alloc(0));
    const b = randomBytes(8192);
    await entry({ ...base, name: `${dir}/d${Math.floor(i / 100)}/f${i}`, type: 'file', size: b.length }, b);
  }
  pack.finalize();
  await done;
}

function tarExtract(tars: string[], dest: string): number {
  fs.mkdirSync(dest, { recursive: true });
  const t0 = now();
  for (const t of tars) execFileSync('tar', ['-xf', t, '-C', dest]);
  execFileSync('sync', ['-f', dest]);
  return now() - t0;
}

async function driverApply(d: GraphDriverWithDiff, tars: string[], run: number): Promise<number> {
  const t0 = now();
  let parent: string | null = null;
  for (let i = 0; i < tars.length; i++) {
    const id = `btbench${run}l${i}`;
    await d.create(id, parent);
    await d.applyDiff(id, parent, fs.createReadStream(tars[i]));
    parent = id;
  }
  execFileSync('sync', ['-f', os.tmpdir()]);
  return now() - t0;
}

async function open(name: string, home: string): Promise<GraphDriver | null> {
  try {
    return name === 'vfs' ? await VfsDriver.open(home, {}) : await Overlay2Driver.open(home, {});
  } catch (err) {
    if (isFailedPrecondition(err)) { console.log(`${name}: skipped — ${(err as Error).message}`); return null; }
    throw err;
  }
}

async function main(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-graph-'));
  try {
    console.log(`generating a ${TOTAL_MB} MB, 4-layer image in ${work} ...`);
    const tars: string[] = [];
    for (let i = 0; i < 4; i++) {
      const f = path.join(work, `layer${i}.tar`);
      await writeLayer(f, i, TOTAL_MB / 4);
      tars.push(f);
    }
    const results: Record<string, number[]> = { 'tar -x': [] };
    for (const name of ['overlay2', 'vfs']) results[name] = [];
    for (let run = 0; run < RUNS; run++) {
      const dest = path.join(work, `tar-${run}`);
      results['tar -x'].push(tarExtract(tars, dest));
      fs.rmSync(dest, { recursive: true, force: true });
      for (const name of ['overlay2', 'vfs']) {
        const home = path.join(work, `${name}-${run}`);
        const d = await open(name, home);
        if (!d) { delete results[name]; continue; }
        results[name].push(await driverApply(withDiffer(d), tars, run));
        await d.cleanup();
        fs.rmSync(home, { recursive: true, force: true });
      }
    }
    const base = median(results['tar -x']);
    console.log(`\napply ${TOTAL_MB} MB in 4 layers, median of ${RUNS} runs:`);
    for (const [k, v] of Object.entries(results)) {
      console.log(`  ${k.padEnd(9)} ${median(v).toFixed(0).padStart(7)} ms   ratio ${(median(v) / base).toFixed(2)}×`);
    }

    console.log('\nmount of a 125-layer image (top layer get+put), median of 20:');
    for (const name of ['overlay2', 'vfs']) {
      const home = path.join(work, `${name}-125`);
      const d = await open(name, home);
      if (!d) continue;
      const dd = withDiffer(d);
      let parent: string | null = null;
      for (let i = 0; i < 125; i++) {
        const id = `btmount${i}`;
        await dd.create(id, parent);
        await dd.applyDiff(id, parent, Readable.from(await buildTar([{ name: `f${i}`, body: String(i) }])));
        parent = id;
      }
      const times: number[] = [];
      for (let i = 0; i < 20; i++) {
        const t0 = now();
        await dd.get(parent as string);
        times.push(now() - t0);
        await dd.put(parent as string);
      }
      console.log(`  ${name.padEnd(9)} ${median(times).toFixed(2).padStart(7)} ms`);
      await dd.cleanup();
      fs.rmSync(home, { recursive: true, force: true });
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => { console.error(err); process.exit(1); });
