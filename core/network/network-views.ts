/** Docker-shaped views of the network state: `Network` for list/inspect, `NetworkSettings` for container inspect. */
import { createHash } from 'node:crypto';
import type { DockerEndpointSettings, DockerNetwork, NetworkSettings } from './docker-types';
import type { Attachment, EndpointRecord, NetworkRecord, NetworkRecords } from './network-records';
import { parsePortKey, portKey } from './port-bindings';

/** The `Network` object of a record. */
export function toDockerNetwork(rec: NetworkRecord, records: NetworkRecords): DockerNetwork {
  const containers: DockerNetwork['Containers'] = {};
  for (const { att, ep } of records.endpointsOn(rec.id)) {
    containers[att.containerId] = {
      Name: att.containerName.replace(/^\//, ''), EndpointID: ep.endpointId, MacAddress: ep.info.macAddress,
      IPv4Address: ep.info.ipv4Address, IPv6Address: '',
    };
  }
  const config = (rec.info?.ipam ?? []).map((p) => ({
    Subnet: p.subnet, Gateway: p.gateway, ...(p.ipRange ? { IPRange: p.ipRange } : {}),
  }));
  return {
    Name: rec.name, Id: rec.id, Created: rec.created, Scope: 'local', Driver: rec.driver,
    EnableIPv6: rec.enableIPv6,
    IPAM: { Driver: 'default', Options: rec.builtin ? null : {}, Config: config },
    Internal: rec.internal, Attachable: rec.attachable, Ingress: false,
    ConfigFrom: { Network: '' }, ConfigOnly: false,
    Containers: containers, Options: { ...rec.options }, Labels: { ...rec.labels },
  };
}

function emptyEndpoint(networkId: string): DockerEndpointSettings {
  return {
    IPAMConfig: null, Links: null, Aliases: null, NetworkID: networkId, EndpointID: '', Gateway: '', IPAddress: '',
    IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, MacAddress: '', DriverOpts: null,
  };
}

function endpointSettings(ep: EndpointRecord): DockerEndpointSettings {
  const [ip, len] = ep.info.ipv4Address.split('/');
  return {
    ...emptyEndpoint(ep.networkId),
    IPAMConfig: ep.staticIp ? { IPv4Address: ep.staticIp } : null,
    Aliases: ep.aliases.length ? [...ep.aliases] : null,
    EndpointID: ep.endpointId, Gateway: ep.info.gateway, IPAddress: ip, IPPrefixLen: Number(len),
    MacAddress: ep.info.macAddress,
  };
}

/** The container's NetworkSettings (Docker's inspect shape). */
export function toNetworkSettings(att: Attachment, records: NetworkRecords): NetworkSettings {
  const networks: Record<string, DockerEndpointSettings> = {};
  const ports: NetworkSettings['Ports'] = {};
  if (att.mode === 'host' || att.mode === 'none') {
    const rec = records.findNetwork(att.mode);
    networks[att.mode] = emptyEndpoint(rec?.id ?? '');
  }
  for (const ep of att.endpoints) {
    const rec = records.networks.get(ep.networkId);
    networks[rec?.name ?? ep.networkId] = endpointSettings(ep);
  }
  const primary = att.endpoints[0];
  for (const key of att.exposedPorts) {
    const [p, proto] = parsePortKey(key);
    ports[portKey(p, proto)] = null;
  }
  for (const b of primary?.info.portBindings ?? []) {
    const k = portKey(b.containerPort, b.protocol);
    (ports[k] ??= []).push({ HostIp: b.hostIp, HostPort: String(b.hostPort) });
  }
  const onDefault = att.endpoints.find((e) => records.networks.get(e.networkId)?.name === 'bridge');
  const top = onDefault ? endpointSettings(onDefault) : emptyEndpoint('');
  return {
    Bridge: '', SandboxID: att.sandboxPath ? createHash('sha256').update(att.sandboxPath).digest('hex') : '',
    HairpinMode: false, LinkLocalIPv6Address: '', LinkLocalIPv6PrefixLen: 0,
    Ports: ports, SandboxKey: att.sandboxPath ?? '', SecondaryIPAddresses: null, SecondaryIPv6Addresses: null,
    EndpointID: top.EndpointID, Gateway: top.Gateway, GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0,
    IPAddress: top.IPAddress, IPPrefixLen: top.IPPrefixLen, IPv6Gateway: '', MacAddress: top.MacAddress,
    Networks: networks,
  };
}
