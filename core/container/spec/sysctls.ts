/**
 * `--sysctl`: the namespaced kernel parameters a container may set (dockerd's
 * list), checked against the container's namespace modes.
 */
import { InvalidArgumentError } from '../../errors';

const IPC_SYSCTLS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);

/**
 * Checks HostConfig.Sysctls: only namespaced parameters (net.*, fs.mqueue.*
 * and the IPC kernel.* ones), not in a namespace the container shares with
 * the host or another container; values without NUL or newline.
 * InvalidArgumentError naming the parameter otherwise.
 */
export function validateSysctls(sysctls: Record<string, string> | null | undefined, modes: { network: string; ipc: string }): void {
  for (const [raw, value] of Object.entries(sysctls ?? {})) {
    const key = raw.replace(/\//g, '.');
    const net = key.startsWith('net.');
    const ipc = IPC_SYSCTLS.has(key) || key.startsWith('fs.mqueue.');
    if (!net && !ipc) {
      throw new InvalidArgumentError(`sysctl "${raw}" is not allowed in a container: only namespaced ones (net.*, fs.mqueue.*, kernel.msg*, kernel.sem, kernel.shm*) can be set`);
    }
    if (net && modes.network === 'host') throw new InvalidArgumentError(`sysctl "${raw}" is not allowed in host network namespace`);
    if (net && modes.network.startsWith('container:')) throw new InvalidArgumentError(`sysctl "${raw}" is not allowed in a network namespace shared with another container`);
    if (ipc && modes.ipc === 'host') throw new InvalidArgumentError(`sysctl "${raw}" is not allowed in host IPC namespace`);
    if (typeof value !== 'string' || /[\0\n]/.test(value)) throw new InvalidArgumentError(`sysctl "${raw}": invalid value ${JSON.stringify(value)}`);
  }
}
