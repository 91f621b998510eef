/**
 * The API shapes of a container (v1.41): ContainerInspect for
 * `container.inspect`, ContainerSummary for `container.list`, and the human
 * status line (`Up 5 minutes`, `Exited (0) 3 seconds ago`). Pure functions of
 * the stored container.
 */
import type { Container, ContainerState, HostConfig, MountPoint, NetworkSettings } from './types';
import { humanDuration, parseTime } from './clock';

/** Docker's State.String(). */
export function statusLine(s: ContainerState, now = Date.now()): string {
  if (s.Running) {
    if (s.Paused) return `Up ${humanDuration(now - parseTime(s.StartedAt))} (Paused)`;
    if (s.Restarting) return `Restarting (${s.ExitCode}) ${humanDuration(now - parseTime(s.FinishedAt))} ago`;
    const up = `Up ${humanDuration(now - parseTime(s.StartedAt))}`;
    if (s.Health) return `${up} (${s.Health.Status === 'starting' ? 'health: starting' : s.Health.Status})`;
    return up;
  }
  if (s.Status === 'removing') return 'Removal In Progress';
  if (s.Dead) return 'Dead';
  if (Number.isNaN(parseTime(s.StartedAt))) return 'Created';
  if (Number.isNaN(parseTime(s.FinishedAt))) return '';
  return `Exited (${s.ExitCode}) ${humanDuration(now - parseTime(s.FinishedAt))} ago`;
}

/** Docker's NetworkSettings when a container has no network set up. */
export function emptyNetworkSettings(): NetworkSettings {
  return {
    Bridge: '', SandboxID: '', HairpinMode: false, LinkLocalIPv6Address: '', LinkLocalIPv6PrefixLen: 0, Ports: {},
    SandboxKey: '', SecondaryIPAddresses: null, SecondaryIPv6Addresses: null, EndpointID: '', Gateway: '',
    GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', MacAddress: '',
    Networks: {},
  };
}

/** The inspect view of NetworkSettings after the container stopped: endpoints kept, addresses cleared (Docker). */
export function stoppedNetworkSettings(s: NetworkSettings): NetworkSettings {
  const out = { ...emptyNetworkSettings(), Networks: {} as Record<string, Record<string, unknown>> };
  for (const [name, ep] of Object.entries(s.Networks ?? {})) {
    out.Networks![name] = {
      ...ep, EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0, MacAddress: '',
    };
  }
  return out;
}

/**
 * NetworkSettings as inspect and `docker ps` show them: a container that has
 * not started yet shows the networks it asked for, with empty endpoints, as
 * dockerd does (`bridge` for the default mode; none for `container:`).
 */
export function shownNetworkSettings(c: Container): NetworkSettings {
  const s = c.record.NetworkSettings;
  if (c.record.HasBeenStartedBefore || Object.keys(s.Networks ?? {}).length > 0) return s;
  const mode = c.hostConfig.NetworkMode;
  if (mode.startsWith('container:')) return s;
  const requested = c.record.NetworkingConfig?.EndpointsConfig ?? {};
  const names = Object.keys(requested).length > 0 ? Object.keys(requested) : [mode === 'default' || mode === '' ? 'bridge' : mode];
  const Networks: Record<string, Record<string, unknown>> = {};
  for (const name of names) {
    const ep = requested[name] ?? {};
    Networks[name === 'default' ? 'bridge' : name] = {
      IPAMConfig: ep.IPAMConfig ?? null, Links: ep.Links ?? null, Aliases: ep.Aliases ?? null, NetworkID: '', EndpointID: '',
      Gateway: '', IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0,
      MacAddress: ep.MacAddress ?? '', DriverOpts: null,
    };
  }
  return { ...s, Networks };
}

export interface InspectExtras {
  execIds: string[];
  graphDriver: { Name: string; Data: Record<string, string> | null };
  sizeRw?: number;
  sizeRootFs?: number;
}

/** The v1.41 ContainerInspect object. */
export function inspectView(c: Container, extras: InspectExtras): Record<string, unknown> {
  const r = c.record;
  const out: Record<string, unknown> = {
    Id: r.ID,
    Created: r.Created,
    Path: r.Path,
    Args: r.Args,
    State: { ...r.State },
    Image: r.Image,
    ResolvConfPath: r.ResolvConfPath,
    HostnamePath: r.HostnamePath,
    HostsPath: r.HostsPath,
    LogPath: r.LogPath,
    Name: r.Name,
    RestartCount: r.RestartCount,
    Driver: r.Driver,
    Platform: r.Platform,
    MountLabel: r.MountLabel,
    ProcessLabel: r.ProcessLabel,
    AppArmorProfile: r.AppArmorProfile,
    ExecIDs: extras.execIds.length > 0 ? extras.execIds : null,
    HostConfig: hostConfigView(c.hostConfig),
    GraphDriver: extras.graphDriver,
    Mounts: r.MountPoints.map((m) => ({ ...m })),
    Config: { ...r.Config },
    NetworkSettings: shownNetworkSettings(c),
  };
  if (extras.sizeRw !== undefined) out.SizeRw = extras.sizeRw;
  if (extras.sizeRootFs !== undefined) out.SizeRootFs = extras.sizeRootFs;
  return out;
}

/** HostConfig as dockerd 20.10 shows it: the deprecated kernel memory limits at 0, `Init` only when set. */
function hostConfigView(hc: HostConfig): HostConfig {
  const out: HostConfig = { KernelMemory: 0, KernelMemoryTCP: 0, ...hc };
  if (out.Init === null || out.Init === undefined) delete out.Init;
  return out;
}

/** `ContainerSummary.Ports` from NetworkSettings.Ports (`80/tcp → [{HostIp, HostPort}]`). */
function summaryPorts(settings: NetworkSettings): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  const ports = (settings.Ports ?? {}) as Record<string, Array<{ HostIp?: string; HostPort?: string }> | null>;
  for (const [key, bindings] of Object.entries(ports)) {
    const [port, proto = 'tcp'] = key.split('/');
    if (!bindings || bindings.length === 0) { out.push({ PrivatePort: Number(port), Type: proto }); continue; }
    for (const b of bindings) {
      out.push({ IP: b.HostIp || '0.0.0.0', PrivatePort: Number(port), PublicPort: Number(b.HostPort), Type: proto });
    }
  }
  return out;
}

function summaryMount(m: MountPoint): Record<string, unknown> {
  return { Type: m.Type, Source: m.Source, Destination: m.Destination, Mode: m.Mode, RW: m.RW, Propagation: m.Propagation };
}

/** The v1.41 ContainerSummary object (`docker ps`). */
export function summaryView(c: Container, sizes?: { SizeRw: number; SizeRootFs: number }, now = Date.now()): Record<string, unknown> {
  const r = c.record;
  const out: Record<string, unknown> = {
    Id: r.ID,
    Names: [r.Name],
    Image: r.Config.Image,
    ImageID: r.Image,
    // dockerd quotes an argument that has a space in it: sh -c 'echo a; sleep 1'
    Command: r.Args.length > 0 ? `${r.Path} ${r.Args.map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ')}` : r.Path,
    Created: Math.floor(parseTime(r.Created) / 1000),
    Ports: summaryPorts(r.NetworkSettings),
    Labels: { ...r.Config.Labels },
    State: r.State.Status,
    Status: statusLine(r.State, now),
    HostConfig: { NetworkMode: c.hostConfig.NetworkMode },
    NetworkSettings: { Networks: shownNetworkSettings(c).Networks ?? {} },
    Mounts: r.MountPoints.map(summaryMount),
  };
  if (sizes) { out.SizeRw = sizes.SizeRw; out.SizeRootFs = sizes.SizeRootFs; }
  return out;
}
