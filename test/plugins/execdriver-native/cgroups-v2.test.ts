/**
 * The cgroup v2 side of ContainerCgroup, against a directory laid out like a
 * cgroup2 mount. This machine runs cgroup v1 (hybrid: cgroup2 holds no
 * controllers), so the kernel side of v2 cannot run here; the file layout
 * and values written are what is checked.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ContainerCgroup, isCgroupV2 } from '../../../plugins/execdriver-native/cgroups';

describe('execdriver-native: cgroup v2 files (mocked cgroup2 fs: this machine is cgroup v1)', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-cg2-'));
    fs.writeFileSync(path.join(root, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
  });
  afterEach(() => { fs.rmSync(root, { recursive: true, force: true }); });

  it('detects v2 and writes memory.max, memory.swap.max, cpu.max, cpu.weight, pids.max, io.weight', () => {
    assert.equal(isCgroupV2(root), true);
    const cg = ContainerCgroup.of('berth', 'bt1', root);
    assert.equal(cg.version, 2);
    const dir = path.join(root, 'berth', 'bt1');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(root, 'berth', 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
    fs.writeFileSync(path.join(dir, 'memory.swap.max'), 'max\n');
    cg.create({ memory: 64 << 20, memorySwap: 96 << 20, cpuShares: 1024, cpuQuota: 150000, cpuPeriod: 100000, pidsLimit: 20, blkioWeight: 500 }, false);
    const read = (f: string): string => fs.readFileSync(path.join(dir, f), 'utf8').trim();
    assert.equal(read('memory.max'), String(64 << 20));
    assert.equal(read('memory.swap.max'), String(32 << 20));
    assert.equal(read('cpu.max'), '150000 100000');
    assert.equal(read('cpu.weight'), '39');
    assert.equal(read('pids.max'), '20');
    assert.equal(read('io.weight'), 'default 4950');
    assert.equal(fs.readFileSync(path.join(root, 'cgroup.subtree_control'), 'utf8'), '+cpu +cpuset +io +memory +pids');
    assert.deepEqual(cg.procsFiles(), [path.join(dir, 'cgroup.procs')]);
    assert.equal(cg.oomFile(), path.join(dir, 'memory.events'));
    cg.update({ pidsLimit: 0, memory: 0 });
    assert.equal(read('pids.max'), 'max');
    assert.equal(read('memory.max'), 'max');
  });

  it('reads stats from memory.current, cpu.stat and pids.current', () => {
    const cg = ContainerCgroup.of('berth', 'bt2', root);
    const dir = path.join(root, 'berth', 'bt2');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'memory.current'), '4096\n');
    fs.writeFileSync(path.join(dir, 'memory.max'), '8192\n');
    fs.writeFileSync(path.join(dir, 'cpu.stat'), 'usage_usec 1500\nuser_usec 1000\n');
    fs.writeFileSync(path.join(dir, 'pids.current'), '3\n');
    fs.writeFileSync(path.join(dir, 'pids.max'), 'max\n');
    const s = cg.stats();
    assert.equal(s.memory.usage, 4096);
    assert.equal(s.memory.limit, 8192);
    assert.equal(s.cpu.totalUsage, 1_500_000);
    assert.equal(s.pids.current, 3);
    assert.equal(s.pids.limit, undefined);
  });
});
