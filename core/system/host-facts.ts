/**
 * What `info` and `version` report about the host: OS release, kernel,
 * cgroup version and abilities, forwarding, AppArmor. Read from /proc, /sys
 * and /etc at call time; nothing here changes the host.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';

function read(file: string): string | undefined {
  try { return fs.readFileSync(file, 'utf8').trim(); } catch { return undefined; }
}

/** `PRETTY_NAME` and `VERSION_ID` of /etc/os-release. */
export function osRelease(): { pretty: string; version: string } {
  const text = read('/etc/os-release') ?? '';
  const get = (k: string): string => (new RegExp(`^${k}="?([^"\\n]*)"?$`, 'm').exec(text)?.[1] ?? '');
  return { pretty: get('PRETTY_NAME') || 'Linux', version: get('VERSION_ID') };
}

/** `2` when /sys/fs/cgroup is the unified hierarchy, else `1`. */
export function cgroupVersion(): '1' | '2' {
  return fs.existsSync('/sys/fs/cgroup/cgroup.controllers') ? '2' : '1';
}

export interface CgroupAbilities {
  MemoryLimit: boolean; SwapLimit: boolean; CpuCfsPeriod: boolean; CpuCfsQuota: boolean;
  CPUShares: boolean; CPUSet: boolean; PidsLimit: boolean; OomKillDisable: boolean;
}

/** Which resource limits the cgroup controllers here can enforce. */
export function cgroupAbilities(): CgroupAbilities {
  if (cgroupVersion() === '2') {
    const ctl = (read('/sys/fs/cgroup/cgroup.controllers') ?? '').split(/\s+/);
    const has = (c: string): boolean => ctl.includes(c);
    return {
      MemoryLimit: has('memory'), SwapLimit: has('memory'), CpuCfsPeriod: has('cpu'), CpuCfsQuota: has('cpu'),
      CPUShares: has('cpu'), CPUSet: has('cpuset'), PidsLimit: has('pids'), OomKillDisable: false,
    };
  }
  const ex = (p: string): boolean => fs.existsSync(`/sys/fs/cgroup/${p}`);
  return {
    MemoryLimit: ex('memory/memory.limit_in_bytes'), SwapLimit: ex('memory/memory.memsw.limit_in_bytes'),
    CpuCfsPeriod: ex('cpu/cpu.cfs_period_us'), CpuCfsQuota: ex('cpu/cpu.cfs_quota_us'),
    CPUShares: ex('cpu/cpu.shares'), CPUSet: ex('cpuset/cpuset.cpus'), PidsLimit: ex('pids'),
    OomKillDisable: ex('memory/memory.oom_control'),
  };
}

/** Whether the kernel forwards IPv4 packets. */
export function ipv4Forwarding(): boolean {
  return read('/proc/sys/net/ipv4/ip_forward') === '1';
}

/** Whether bridged traffic passes iptables (`br_netfilter`). */
export function bridgeNf(which: 'iptables' | 'ip6tables'): boolean {
  return read(`/proc/sys/net/bridge/bridge-nf-call-${which}`) === '1';
}

/** Whether the kernel has AppArmor. */
export function hasAppArmor(): boolean {
  return fs.existsSync('/sys/kernel/security/apparmor');
}

/** Open file descriptors of this process. */
export function openFds(): number {
  try { return fs.readdirSync('/proc/self/fd').length; } catch { return 0; }
}

/** Go-style architecture name as Docker reports it in `version` (`amd64`). */
export function goArch(): string {
  const a = os.arch();
  return a === 'x64' ? 'amd64' : a === 'ia32' ? '386' : a;
}
