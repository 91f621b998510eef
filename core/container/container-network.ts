/**
 * A container's network at start: through the network service when the
 * kernel has one (request built from the HostConfig and NetworkingConfig in
 * the contract's shape), else Docker's behaviour for `none` and `host`
 * computed here (embedded engines without a network service).
 */
import { FailedPreconditionError } from '../errors';
import { hostsFile } from '../network/container-files';
import { containerResolvConf, readHostFile } from './etc-files';
import type { NetworkAttachResult, NetworkPort } from './ports';
import type { Container } from './types';
import { emptyNetworkSettings } from './views';

/** What start needs; `netnsPath` undefined means a fresh private namespace. */
export type ContainerNetwork = Omit<NetworkAttachResult, 'netnsPath'> & { netnsPath: string | null | undefined };

/** The network mode as the network service understands it (`default` is the bridge). */
export function networkMode(c: Container): string {
  return c.hostConfig.NetworkMode === 'default' ? 'bridge' : c.hostConfig.NetworkMode;
}

/**
 * Attaches the container: netns path, /etc/hosts and resolv.conf content and
 * the inspect NetworkSettings. `resolvedMode` replaces the HostConfig's mode
 * (`container:<full id>` after the service resolved a name). FailedPreconditionError for a mode that needs
 * the network service when there is none.
 */
export async function attachContainerNetwork(svc: NetworkPort | null, c: Container, resolvedMode?: string): Promise<ContainerNetwork> {
  const hc = c.hostConfig;
  const mode = resolvedMode ?? networkMode(c);
  if (svc) {
    const endpoints: Record<string, { aliases?: string[]; ipv4Address?: string }> = {};
    for (const [net, ep] of Object.entries(c.record.NetworkingConfig.EndpointsConfig)) {
      // The docker CLI keys the default network's endpoint as "default" (Docker's alias of bridge).
      endpoints[net === 'default' ? 'bridge' : net] = { aliases: ep.Aliases ?? undefined, ipv4Address: ep.IPAMConfig?.IPv4Address || undefined };
    }
    const portBindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
    for (const [port, bs] of Object.entries(hc.PortBindings ?? {})) {
      portBindings[port.includes('/') ? port : `${port}/tcp`] = (bs ?? []).map((b) => ({ HostIp: b.HostIp ?? '', HostPort: b.HostPort ?? '' }));
    }
    return svc.attach({
      containerId: c.record.ID, containerName: c.record.Name.slice(1), hostname: c.record.Config.Hostname, mode, endpoints,
      portBindings, publishAll: hc.PublishAllPorts, exposedPorts: Object.keys(c.record.Config.ExposedPorts ?? {}),
      dns: hc.Dns?.length ? hc.Dns : undefined, extraHosts: hc.ExtraHosts ?? undefined,
      dnsSearch: hc.DnsSearch?.length ? hc.DnsSearch : undefined, dnsOptions: hc.DnsOptions?.length ? hc.DnsOptions : undefined,
    });
  }
  if (mode === 'host') {
    return { netnsPath: null, hostsFile: readHostFile('/etc/hosts'), resolvConf: readHostFile('/etc/resolv.conf'), settings: emptyNetworkSettings() };
  }
  if (mode === 'none') {
    return {
      netnsPath: undefined,
      // The network service's hosts file, with no address of its own (as on `none` there).
      hostsFile: hostsFile('', [], hc.ExtraHosts ?? []),
      resolvConf: containerResolvConf(readHostFile('/etc/resolv.conf'), hc.Dns, hc.DnsSearch, hc.DnsOptions),
      settings: { ...emptyNetworkSettings(), Networks: { none: { NetworkID: '', EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, MacAddress: '' } } },
    };
  }
  throw new FailedPreconditionError(`network mode ${mode} needs the network service, which is not set up`);
}
