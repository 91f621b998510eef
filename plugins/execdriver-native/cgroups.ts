/**
 * Cgroups for one container, v1 (one hierarchy per controller, this CI
 * machine) or v2 (unified, most users' machines). Creates
 * `<parent>/<id>` in each hierarchy, writes limits, answers stats, freezes,
 * and removes the directories. The shim's child joins the cgroups itself
 * (writing "0" to every `cgroup.procs` listed by procsFiles()) before execve.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FailedPreconditionError, InvalidArgumentError } from '../../core';
import type { ContainerStats, Resources } from '../../core';

export const CGROUP_ROOT = '/sys/fs/cgroup';

/** Whether the machine runs the unified (v2-only) hierarchy. */
export function isCgroupV2(root = CGROUP_ROOT): boolean {
  return fs.existsSync(path.join(root, 'cgroup.controllers'));
}

const V1_CONTROLLERS = ['memory', 'cpu', 'cpuacct', 'cpuset', 'pids', 'blkio', 'freezer', 'devices'] as const;

/** Devices a non-privileged container may use (Docker's default allow-list), in devices.allow syntax. */
export const DEFAULT_DEVICE_RULES = [
  'c *:* m', 'b *:* m', 'c 1:3 rwm', 'c 1:5 rwm', 'c 1:7 rwm', 'c 1:8 rwm', 'c 1:9 rwm',
  'c 5:0 rwm', 'c 5:1 rwm', 'c 5:2 rwm', 'c 136:* rwm', 'c 10:200 rwm', 'c 10:229 rwm',
];

/** A devices.allow rule as the shim's BPF device filter takes it: type c|b|a, major/minor (-1 any), access (rwm subset). */
export interface DeviceRule { type: 'c' | 'b' | 'a'; major: number; minor: number; access: string }

/** Where and how the shim enforces a container's device allow-list (ContainerCgroup.devicePolicy). */
export interface DevicePolicy { bpfDir?: string; required: boolean; v1Dir?: string; rules: DeviceRule[] }

/** Parses `c 1:3 rwm` / `c *:* m` / `a`. */
export function parseDeviceRule(rule: string): DeviceRule {
  const m = /^([cba])(?: (\*|\d+):(\*|\d+) ([rwm]+))?$/.exec(rule.trim());
  if (!m) throw new InvalidArgumentError(`invalid device rule: ${JSON.stringify(rule)}`);
  const num = (v: string | undefined): number => (v === undefined || v === '*' ? -1 : Number(v));
  return { type: m[1] as DeviceRule['type'], major: num(m[2]), minor: num(m[3]), access: m[4] ?? 'rwm' };
}

let parsedDefaults: readonly DeviceRule[] | undefined;
/** DEFAULT_DEVICE_RULES parsed once (a start needs them every time). */
function defaultDeviceRules(): readonly DeviceRule[] {
  return (parsedDefaults ??= DEFAULT_DEVICE_RULES.map(parseDeviceRule));
}

function checkName(what: string, v: string): void {
  if (!v || v.split('/').some((p) => p === '..') || v.includes('\0')) {
    throw new InvalidArgumentError(`invalid cgroup ${what}: ${JSON.stringify(v)}`);
  }
}

function readText(file: string): string | undefined {
  try { return fs.readFileSync(file, 'utf8'); } catch { return undefined; }
}

function readNum(file: string): number | undefined {
  const t = readText(file)?.trim();
  if (t === undefined || t === '' || t === 'max') return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

function write(file: string, value: string | number): void {
  try {
    fs.writeFileSync(file, String(value));
  } catch (err) {
    throw new FailedPreconditionError(`cannot write ${value} to ${file}: ${(err as Error).message}`, { cause: err });
  }
}

function parseKeyed(text: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of (text ?? '').split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}

function systemCpuUsageNs(): number {
  const line = (readText('/proc/stat') ?? '').split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return 0;
  const ticks = line.trim().split(/\s+/).slice(1, 8).reduce((a, b) => a + Number(b), 0);
  return Math.round(ticks * (1e9 / 100)); // USER_HZ is 100 on Linux
}

const layouts = new Map<string, 'v2' | Record<string, string>>();

/** v2, or the mounted v1 controllers → their (real) hierarchy roots; looked up once per root. */
function hierarchies(root: string): 'v2' | Record<string, string> {
  let l = layouts.get(root);
  if (!l) {
    if (isCgroupV2(root)) l = 'v2';
    else {
      const found: Record<string, string> = {};
      for (const c of V1_CONTROLLERS) {
        const base = path.join(root, c);
        if (fs.existsSync(base)) found[c] = fs.realpathSync(base);
      }
      // hybrid: the cgroup2 hierarchy beside the v1 ones holds the BPF device filter
      if (fs.existsSync(path.join(root, 'unified', 'cgroup.controllers'))) found.unified = fs.realpathSync(path.join(root, 'unified'));
      l = found;
    }
    layouts.set(root, l);
  }
  return l;
}

/** One container's cgroup in every hierarchy. */
export class ContainerCgroup {
  private constructor(
    readonly version: 1 | 2,
    /** v1: controller → dir; v2: { unified: dir }. */
    readonly dirs: Readonly<Record<string, string>>,
    private readonly root: string,
  ) {}

  /** The cgroup of container `id` under `parent` (nothing is created). */
  static of(parent: string, id: string, root = CGROUP_ROOT): ContainerCgroup {
    checkName('parent', parent);
    checkName('id', id);
    const rel = path.join(parent.replace(/^\/+/, ''), id);
    const layout = hierarchies(root);
    if (layout === 'v2') return new ContainerCgroup(2, { unified: path.join(root, rel) }, root);
    // rel is normalised and relative, the bases are real paths: concatenation is path.join
    // here, at a fraction of its cost in the interpreter (twice per start, once per controller)
    const dirs: Record<string, string> = {};
    for (const [c, base] of Object.entries(layout)) dirs[c] = `${base}/${rel}`;
    return new ContainerCgroup(1, dirs, root);
  }

  /** Distinct directories (a combined cpu,cpuacct hierarchy appears once). */
  private uniqueDirs(): string[] {
    return [...new Set(Object.values(this.dirs))];
  }

  /** Creates the directories and applies limits (the shim applies the device policy: devicePolicy()). */
  create(resources: Resources, _privileged = false): void {
    try {
      if (this.version === 2) this.createV2(); else this.createV1();
      this.update(resources);
    } catch (err) {
      this.remove();
      throw err;
    }
  }

  private createV1(): void {
    for (const [ctrl, dir] of Object.entries(this.dirs)) {
      // usual case first, one syscall: the parent exists, the leaf does not
      try {
        fs.mkdirSync(dir);
        // a new cpuset cgroup has no cpus/mems (nothing can join it) unless its parent has
        // cgroup.clone_children, which the levels created below get: check, seed if empty
        if (ctrl === 'cpuset') this.seedCpuset(path.dirname(dir), dir, true);
        continue;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') continue;
        if (code !== 'ENOENT') throw err;
      }
      // create each level; cpuset levels need cpus/mems before anything can join
      const base = fs.realpathSync(path.join(this.root, ctrl));
      const parts = path.relative(base, dir).split(path.sep);
      let cur = base;
      for (const part of parts) {
        const next = path.join(cur, part);
        if (!fs.existsSync(next)) {
          fs.mkdirSync(next);
          if (ctrl === 'cpuset') {
            this.seedCpuset(cur, next, false);
            // levels berth creates pass their cpus/mems on to new children by themselves
            if (next !== dir) try { fs.writeFileSync(path.join(next, 'cgroup.clone_children'), '1'); } catch { /* seeded one by one instead */ }
          }
        }
        cur = next;
      }
    }
  }

  /** Copies cpuset.cpus/mems from `parent` to the new cpuset cgroup `dir` (`ifEmpty`: only when it has none yet). */
  private seedCpuset(parent: string, dir: string, ifEmpty: boolean): void {
    if (ifEmpty && readText(path.join(dir, 'cpuset.cpus'))?.trim()) return;
    for (const f of ['cpuset.cpus', 'cpuset.mems']) {
      const v = readText(path.join(parent, f))?.trim();
      if (v) write(path.join(dir, f), v);
    }
  }

  private createV2(): void {
    const dir = this.dirs.unified;
    const parts = path.relative(this.root, dir).split(path.sep);
    let cur = this.root;
    for (const part of parts) {
      const avail = (readText(path.join(cur, 'cgroup.controllers')) ?? '').trim().split(/\s+/).filter(Boolean);
      const want = ['cpu', 'cpuset', 'io', 'memory', 'pids'].filter((c) => avail.includes(c));
      if (want.length) {
        try { fs.writeFileSync(path.join(cur, 'cgroup.subtree_control'), want.map((c) => `+${c}`).join(' ')); } catch { /* best effort */ }
      }
      cur = path.join(cur, part);
      if (!fs.existsSync(cur)) fs.mkdirSync(cur);
    }
  }

  /**
   * The device policy the shim applies before PID 1 starts (undefined when
   * privileged: every device). `bpfDir`: the cgroup2 directory for the BPF
   * device filter (cgroup2 has no devices.allow), `required` on a v2-only
   * machine; `v1Dir`: the v1 devices cgroup, written by the shim (deny all,
   * then `rules`) only when no BPF filter could be attached — on a hybrid
   * machine the BPF program in the cgroup2 hierarchy enforces the same list.
   * `extra`: the rules of the container's `--device` nodes, after Docker's.
   */
  devicePolicy(privileged: boolean, extra: DeviceRule[] = []): DevicePolicy | undefined {
    if (privileged || (!this.dirs.unified && !this.dirs.devices)) return undefined;
    return { bpfDir: this.dirs.unified, required: this.version === 2, v1Dir: this.version === 1 ? this.dirs.devices : undefined,
      rules: [...defaultDeviceRules(), ...extra] };
  }

  /** The v1 controllers to mount inside the container (the hybrid cgroup2 hierarchy is not one). */
  v1Controllers(): string[] {
    return this.version === 2 ? [] : Object.keys(this.dirs).filter((c) => c !== 'unified');
  }

  /** Files the container's processes write "0" to, to join this cgroup. */
  procsFiles(): string[] {
    return this.uniqueDirs().map((d) => `${d}/cgroup.procs`);
  }

  /** The file the shim reads for OOM kills (`oom_kill N`). */
  oomFile(): string | undefined {
    if (this.version === 2) return path.join(this.dirs.unified, 'memory.events');
    return this.dirs.memory ? path.join(this.dirs.memory, 'memory.oom_control') : undefined;
  }

  /** Writes limits (`docker update`); absent fields are left alone. */
  update(r: Resources): void {
    if (this.version === 2) return this.updateV2(r);
    const d = this.dirs;
    if (d.memory && (r.memory !== undefined || r.memorySwap !== undefined)) {
      const mem = r.memory !== undefined ? (r.memory > 0 ? r.memory : -1) : undefined;
      let swap: number | undefined;
      if (r.memorySwap !== undefined) swap = r.memorySwap > 0 ? r.memorySwap : -1;
      else if (mem !== undefined && mem > 0) swap = mem * 2; // Docker: swap defaults to twice the memory
      const memFile = path.join(d.memory, 'memory.limit_in_bytes');
      const swFile = path.join(d.memory, 'memory.memsw.limit_in_bytes');
      const hasSw = fs.existsSync(swFile);
      // memsw must always be >= memory: raise memsw first when growing
      const cur = readNum(memFile) ?? 0;
      if (hasSw && swap !== undefined && (swap === -1 || (mem !== undefined && mem > cur))) {
        write(swFile, swap);
        if (mem !== undefined) write(memFile, mem);
      } else {
        if (mem !== undefined) write(memFile, mem);
        if (hasSw && swap !== undefined) write(swFile, swap);
      }
    }
    if (d.cpu) {
      if (r.cpuShares) write(path.join(d.cpu, 'cpu.shares'), r.cpuShares);
      if (r.cpuPeriod) write(path.join(d.cpu, 'cpu.cfs_period_us'), r.cpuPeriod);
      if (r.cpuQuota) write(path.join(d.cpu, 'cpu.cfs_quota_us'), r.cpuQuota > 0 ? r.cpuQuota : -1);
    }
    if (d.cpuset) {
      if (r.cpusetCpus) write(path.join(d.cpuset, 'cpuset.cpus'), r.cpusetCpus);
      if (r.cpusetMems) write(path.join(d.cpuset, 'cpuset.mems'), r.cpusetMems);
    }
    if (d.pids && r.pidsLimit !== undefined) write(path.join(d.pids, 'pids.max'), r.pidsLimit > 0 ? r.pidsLimit : 'max');
    if (r.blkioWeight) {
      const f = d.blkio ? ['blkio.weight', 'blkio.bfq.weight'].map((n) => path.join(d.blkio, n)).find((x) => fs.existsSync(x)) : undefined;
      if (!f) throw new InvalidArgumentError('blkioWeight: this kernel has no blkio weight support (blkio.weight missing)');
      write(f, r.blkioWeight);
    }
  }

  private updateV2(r: Resources): void {
    const d = this.dirs.unified;
    if (r.memory !== undefined) write(path.join(d, 'memory.max'), r.memory > 0 ? r.memory : 'max');
    if (r.memorySwap !== undefined || (r.memory !== undefined && r.memory > 0)) {
      const f = path.join(d, 'memory.swap.max');
      if (fs.existsSync(f)) {
        const swap = r.memorySwap ?? (r.memory ? r.memory * 2 : -1);
        write(f, swap > 0 && r.memory ? Math.max(0, swap - r.memory) : 'max');
      }
    }
    if (r.cpuShares) write(path.join(d, 'cpu.weight'), Math.max(1, Math.min(10000, 1 + Math.floor(((r.cpuShares - 2) * 9999) / 262142))));
    if (r.cpuQuota || r.cpuPeriod) write(path.join(d, 'cpu.max'), `${r.cpuQuota && r.cpuQuota > 0 ? r.cpuQuota : 'max'} ${r.cpuPeriod ?? 100000}`);
    if (r.cpusetCpus) write(path.join(d, 'cpuset.cpus'), r.cpusetCpus);
    if (r.cpusetMems) write(path.join(d, 'cpuset.mems'), r.cpusetMems);
    if (r.pidsLimit !== undefined) write(path.join(d, 'pids.max'), r.pidsLimit > 0 ? r.pidsLimit : 'max');
    if (r.blkioWeight) write(path.join(d, 'io.weight'), `default ${1 + Math.floor(((r.blkioWeight - 10) * 9999) / 990)}`);
  }

  /** Host pids of every process in the container. */
  pids(): number[] {
    const dir = this.version === 2 ? this.dirs.unified : (this.dirs.pids ?? this.dirs.memory);
    return (readText(path.join(dir, 'cgroup.procs')) ?? '').split('\n').filter(Boolean).map(Number);
  }

  /** Freezes (true) or thaws (false) every process; resolves once the kernel reports the state. */
  async setFrozen(frozen: boolean): Promise<void> {
    const v2 = this.version === 2;
    const file = v2 ? path.join(this.dirs.unified, 'cgroup.freeze') : path.join(this.dirs.freezer ?? '', 'freezer.state');
    if (!v2 && !this.dirs.freezer) throw new FailedPreconditionError('the freezer cgroup controller is not mounted');
    write(file, v2 ? (frozen ? '1' : '0') : (frozen ? 'FROZEN' : 'THAWED'));
    for (let i = 0; i < 1000; i++) {
      const state = v2
        ? parseKeyed(readText(path.join(this.dirs.unified, 'cgroup.events'))).frozen === (frozen ? 1 : 0)
        : (readText(file) ?? '').trim() === (frozen ? 'FROZEN' : 'THAWED');
      if (state) return;
      if (!v2 && frozen) write(file, 'FROZEN');
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new FailedPreconditionError(`cgroup did not become ${frozen ? 'frozen' : 'thawed'}`);
  }

  /** Whether the container is paused (frozen or freezing). */
  isFrozen(): boolean {
    if (this.version === 2) return parseKeyed(readText(path.join(this.dirs.unified, 'cgroup.events'))).frozen === 1
      || (readText(path.join(this.dirs.unified, 'cgroup.freeze')) ?? '').trim() === '1';
    const state = this.dirs.freezer ? (readText(path.join(this.dirs.freezer, 'freezer.state')) ?? '').trim() : 'THAWED';
    return state !== 'THAWED' && state !== '';
  }

  /** Usage from the cgroup files, in ContainerStats shape. */
  stats(): ContainerStats {
    const read = new Date().toISOString();
    const onlineCpus = os.cpus().length;
    if (this.version === 2) {
      const d = this.dirs.unified;
      const cpu = parseKeyed(readText(path.join(d, 'cpu.stat')));
      return {
        read,
        memory: { usage: readNum(path.join(d, 'memory.current')) ?? 0, limit: readNum(path.join(d, 'memory.max')) ?? os.totalmem(),
          maxUsage: readNum(path.join(d, 'memory.peak')), stats: parseKeyed(readText(path.join(d, 'memory.stat'))) },
        cpu: { totalUsage: (cpu.usage_usec ?? 0) * 1000, systemUsage: systemCpuUsageNs(), onlineCpus },
        pids: { current: readNum(path.join(d, 'pids.current')) ?? 0, limit: readNum(path.join(d, 'pids.max')) },
      };
    }
    const m = this.dirs.memory;
    const limit = m ? readNum(path.join(m, 'memory.limit_in_bytes')) : undefined;
    const acct = this.dirs.cpuacct;
    return {
      read,
      memory: {
        usage: m ? readNum(path.join(m, 'memory.usage_in_bytes')) ?? 0 : 0,
        limit: limit !== undefined && limit < 2 ** 62 ? Math.min(limit, os.totalmem()) : os.totalmem(),
        maxUsage: m ? readNum(path.join(m, 'memory.max_usage_in_bytes')) : undefined,
        stats: m ? parseKeyed(readText(path.join(m, 'memory.stat'))) : undefined,
      },
      cpu: {
        totalUsage: acct ? readNum(path.join(acct, 'cpuacct.usage')) ?? 0 : 0,
        systemUsage: systemCpuUsageNs(),
        onlineCpus,
        percpuUsage: acct ? (readText(path.join(acct, 'cpuacct.usage_percpu')) ?? '').trim().split(/\s+/).filter(Boolean).map(Number) : undefined,
      },
      pids: {
        current: this.dirs.pids ? readNum(path.join(this.dirs.pids, 'pids.current')) ?? 0 : 0,
        limit: this.dirs.pids ? readNum(path.join(this.dirs.pids, 'pids.max')) : undefined,
      },
    };
  }

  /** Removes the directories, killing leftover processes first. Idempotent. */
  remove(): void {
    for (const dir of this.uniqueDirs()) {
      for (let i = 0; i < 50; i++) {
        try { fs.rmdirSync(dir); break; } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') break;
          if (code !== 'EBUSY' || i === 49) throw new FailedPreconditionError(`cannot remove cgroup ${dir}: ${(err as Error).message}`, { cause: err });
          // thaw and kill whatever is left, then retry
          try { if (dir === this.dirs.freezer) fs.writeFileSync(path.join(dir, 'freezer.state'), 'THAWED'); } catch { /* ignore */ }
          for (const pid of (readText(path.join(dir, 'cgroup.procs')) ?? '').split('\n').filter(Boolean)) {
            try { process.kill(Number(pid), 'SIGKILL'); } catch { /* gone */ }
          }
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
        }
      }
    }
  }
}
