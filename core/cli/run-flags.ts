/**
 * The flags `berth run` and `berth create` share, and their translation into
 * Docker's `POST /containers/create` request (v1.41): the `name` and
 * `platform` query parameters and the Config + HostConfig + NetworkingConfig
 * body, field for field as the docker CLI builds it.
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from '../errors';
import type { MountSpec, PortBinding } from './flag-values';

/** The parsed flags, as commander names them. Repeatable flags are arrays. */
export interface RunFlags {
  detach?: boolean;
  interactive?: boolean;
  tty?: boolean;
  rm?: boolean;
  env: string[];
  envFile: string[];
  volume: string[];
  mount: string[];
  publish: string[];
  publishAll?: boolean;
  expose: string[];
  name?: string;
  network?: string;
  ip?: string;
  networkAlias: string[];
  memory?: string;
  memorySwap?: string;
  cpus?: string;
  pidsLimit?: string;
  user?: string;
  workdir?: string;
  entrypoint?: string;
  restart?: string;
  logDriver?: string;
  logOpt: string[];
  capAdd: string[];
  capDrop: string[];
  securityOpt: string[];
  readOnly?: boolean;
  init?: boolean;
  platform?: string;
  tmpfs: string[];
  hostname?: string;
  label: string[];
  addHost: string[];
  dns: string[];
  dnsSearch: string[];
  dnsOption: string[];
  /** `--pull`: missing (default), always or never. */
  pull?: string;
  privileged?: boolean;
  stopSignal?: string;
  stopTimeout?: string;
  shmSize?: string;
  detachKeys?: string;
}

/** The request `berth run`/`create` sends. */
export interface CreateRequest {
  name?: string;
  platform?: string;
  body: CreateBody;
}

/** Docker's container create body: Config fields, HostConfig, NetworkingConfig. */
export interface CreateBody {
  Hostname?: string;
  User?: string;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  ExposedPorts?: Record<string, Record<string, never>>;
  Tty: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  Env: string[];
  Cmd: string[] | null;
  Image: string;
  Volumes?: Record<string, Record<string, never>>;
  WorkingDir?: string;
  Entrypoint?: string[];
  Labels: Record<string, string>;
  StopSignal?: string;
  StopTimeout?: number;
  HostConfig: HostConfigBody;
  NetworkingConfig: { EndpointsConfig: Record<string, EndpointBody> };
}

export interface EndpointBody {
  IPAMConfig?: { IPv4Address?: string; IPv6Address?: string };
  Aliases?: string[];
}

export interface HostConfigBody {
  Binds: string[] | null;
  NetworkMode: string;
  PortBindings: Record<string, PortBinding[]>;
  RestartPolicy: { Name: string; MaximumRetryCount: number };
  AutoRemove: boolean;
  LogConfig: { Type: string; Config: Record<string, string> };
  CapAdd: string[] | null;
  CapDrop: string[] | null;
  Dns: string[];
  DnsSearch?: string[];
  DnsOptions?: string[];
  ExtraHosts: string[] | null;
  Privileged: boolean;
  PublishAllPorts: boolean;
  ReadonlyRootfs: boolean;
  SecurityOpt: string[] | null;
  Tmpfs?: Record<string, string>;
  ShmSize?: number;
  Memory: number;
  MemorySwap: number;
  NanoCpus: number;
  PidsLimit?: number;
  Mounts?: MountSpec[];
  Init?: boolean;
  /** [rows, cols] of the terminal a -t container starts with (set by run/create from the local tty). */
  ConsoleSize?: [number, number];
}

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/**
 * Declares the shared run/create flags on `cmd`. `-h` is `--hostname` as in
 * docker, so help is `--help` only. `-d`, `--rm` … behave as documented in
 * docs/cli.md.
 */
export function addRunFlags(cmd: Command, opts: { run: boolean }): Command {
  cmd.helpOption('--help', 'display help for command');
  if (opts.run) {
    cmd.option('-d, --detach', 'run the container in the background and print its ID');
    cmd.option('--detach-keys <keys>', 'key sequence for detaching from the container');
  }
  return cmd
    .option('-i, --interactive', 'keep STDIN open even if not attached')
    .option('-t, --tty', 'allocate a pseudo-TTY')
    .option('--rm', 'remove the container when it exits')
    .option('-e, --env <KEY=VALUE>', 'set an environment variable (repeatable)', collect, [])
    .option('--env-file <file>', 'read environment variables from a file (repeatable)', collect, [])
    .option('-v, --volume <spec>', 'bind mount or volume: [src:]dst[:opts] (repeatable)', collect, [])
    .option('--mount <spec>', 'mount: type=bind|volume|tmpfs,source=…,target=…[,readonly] (repeatable)', collect, [])
    .option('-p, --publish <spec>', 'publish a port: [ip:][hostPort:]containerPort[/proto] (repeatable)', collect, [])
    .option('-P, --publish-all', 'publish every exposed port to a random host port')
    .option('--expose <port>', 'expose a port or range (repeatable)', collect, [])
    .option('--name <name>', 'assign a name to the container')
    .option('--network <name>', 'connect the container to a network (bridge, host, none, container:<id>, <name>)')
    .option('--ip <address>', 'IPv4 address on the network given by --network')
    .option('--network-alias <alias>', 'network-scoped alias (repeatable)', collect, [])
    .option('-m, --memory <bytes>', 'memory limit (e.g. 512m, 1g)')
    .option('--memory-swap <bytes>', 'memory plus swap limit; -1 for unlimited swap')
    .option('--cpus <number>', 'number of CPUs (e.g. 1.5)')
    .option('--pids-limit <n>', 'maximum number of processes; -1 for unlimited')
    .option('-u, --user <user>', 'username or UID[:group]')
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .option('--entrypoint <cmd>', 'override the image entrypoint ("" resets it)')
    .option('--restart <policy>', 'restart policy: no, always, unless-stopped, on-failure[:max]')
    .option('--log-driver <name>', 'logging driver for the container')
    .option('--log-opt <key=value>', 'log driver option (repeatable)', collect, [])
    .option('--cap-add <cap>', 'add a Linux capability (repeatable)', collect, [])
    .option('--cap-drop <cap>', 'drop a Linux capability (repeatable)', collect, [])
    .option('--security-opt <opt>', 'security option, e.g. seccomp=profile.json, no-new-privileges (repeatable)', collect, [])
    .option('--read-only', 'mount the root filesystem read-only')
    .option('--init', 'run an init inside the container that forwards signals and reaps processes')
    .option('--platform <os/arch>', 'platform of the image')
    .option('--tmpfs <dst[:opts]>', 'mount a tmpfs (repeatable)', collect, [])
    .option('-h, --hostname <name>', 'container host name')
    .option('-l, --label <key=value>', 'set metadata (repeatable)', collect, [])
    .option('--add-host <host:ip>', 'add a line to /etc/hosts (repeatable)', collect, [])
    .option('--dns <ip>', 'DNS server (repeatable)', collect, [])
    .option('--dns-search <domain>', 'DNS search domain (repeatable; "." for none)', collect, [])
    .option('--dns-option <option>', 'DNS resolver option (repeatable)', collect, [])
    .option('--pull <policy>', 'pull the image before creating: missing, always or never', 'missing')
    .option('--privileged', 'give extended privileges to the container')
    .option('--stop-signal <signal>', 'signal that stops the container')
    .option('--stop-timeout <seconds>', 'seconds to wait before killing the container on stop')
    .option('--shm-size <bytes>', 'size of /dev/shm');
}

function intFlag(v: string, flag: string): number {
  if (!/^-?[0-9]+$/.test(v.trim())) throw new InvalidArgumentError(`invalid argument "${v}" for "${flag}" flag: expected an integer`);
  return Number(v);
}

const SPECIAL_NETWORKS = new Set(['default', 'bridge', 'host', 'none']);

/**
 * Builds the create request from parsed flags, the image and the command
 * after it. `run` marks a `berth run` (attach flags follow -d / -i as docker
 * sets them); `env` is the client environment bare `-e KEY` reads from.
 * Throws InvalidArgumentError naming the bad flag value.
 */
export function buildCreateRequest(
  f: RunFlags, image: string, args: string[], opts: { run: boolean; env?: NodeJS.ProcessEnv; cwd?: string } = { run: true },
): CreateRequest {
  // Loaded here, not at start-up: declaring the flags must stay cheap for every other command.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const {
    normalizeCaps, parseCpus, parseEnv, parseExpose, parseMountSpec, parsePortSpec, parseRestart, parseSecurityOpt,
    parseSize, parseTmpfs, parseVolumeSpec, readEnvFile, splitKeyValue,
  } = require('./flag-values') as typeof import('./flag-values');
  const env = opts.env ?? process.env;
  if (image === '') throw new InvalidArgumentError('image name cannot be empty');
  const restart = f.restart !== undefined ? parseRestart(f.restart) : { Name: 'no', MaximumRetryCount: 0 };
  if (f.rm && restart.Name !== 'no') throw new InvalidArgumentError('conflicting options: cannot specify both --restart and --rm');

  const envList = [...f.envFile.flatMap((file) => readEnvFile(file, env)), ...f.env.map((e) => parseEnv(e, env))];

  const binds: string[] = [];
  const volumes: Record<string, Record<string, never>> = {};
  for (const v of f.volume) {
    const spec = parseVolumeSpec(v, opts.cwd);
    if ('bind' in spec) binds.push(spec.bind);
    else volumes[spec.anonymous] = {};
  }
  const mounts = f.mount.map(parseMountSpec);

  const exposed: Record<string, Record<string, never>> = {};
  const portBindings: Record<string, PortBinding[]> = {};
  for (const p of f.publish) {
    for (const [port, bs] of Object.entries(parsePortSpec(p))) {
      exposed[port] = {};
      (portBindings[port] ??= []).push(...bs);
    }
  }
  for (const e of f.expose) for (const port of parseExpose(e)) exposed[port] = {};

  const logConfig: Record<string, string> = {};
  for (const o of f.logOpt) {
    const [k, v] = splitKeyValue(o);
    if (v === undefined || k === '') throw new InvalidArgumentError(`invalid log-opt ${JSON.stringify(o)}: expected key=value`);
    logConfig[k] = v;
  }
  const labels: Record<string, string> = {};
  for (const l of f.label) {
    const [k, v = ''] = splitKeyValue(l);
    if (k === '') throw new InvalidArgumentError(`invalid label ${JSON.stringify(l)}: empty key`);
    labels[k] = v;
  }
  const tmpfs: Record<string, string> = {};
  for (const t of f.tmpfs) {
    const [dst, o] = parseTmpfs(t);
    tmpfs[dst] = o;
  }

  const network = f.network ?? 'default';
  if (network === '') throw new InvalidArgumentError('invalid --network "": network name cannot be empty');
  const endpoints: Record<string, EndpointBody> = {};
  if (f.ip !== undefined || f.networkAlias.length > 0) {
    if (network === 'host' || network === 'none' || network.startsWith('container:')) {
      throw new InvalidArgumentError(`--ip and --network-alias need a bridge or user-defined network, not --network ${network}`);
    }
    const ep: EndpointBody = {};
    if (f.ip !== undefined) ep.IPAMConfig = { IPv4Address: f.ip };
    if (f.networkAlias.length > 0) ep.Aliases = [...f.networkAlias];
    endpoints[network] = ep;
  } else if (!SPECIAL_NETWORKS.has(network) && !network.startsWith('container:')) {
    endpoints[network] = {};
  }

  const detach = Boolean(opts.run && f.detach);
  const interactive = Boolean(f.interactive);
  const body: CreateBody = {
    AttachStdin: !detach && interactive,
    AttachStdout: !detach,
    AttachStderr: !detach,
    Tty: Boolean(f.tty),
    OpenStdin: interactive,
    StdinOnce: opts.run && !detach && interactive,
    Env: envList,
    Cmd: args.length > 0 ? [...args] : null,
    Image: image,
    Labels: labels,
    HostConfig: {
      Binds: binds.length > 0 ? binds : null,
      NetworkMode: network,
      PortBindings: portBindings,
      RestartPolicy: restart,
      AutoRemove: Boolean(f.rm),
      LogConfig: { Type: f.logDriver ?? '', Config: logConfig },
      CapAdd: f.capAdd.length > 0 ? normalizeCaps(f.capAdd) : null,
      CapDrop: f.capDrop.length > 0 ? normalizeCaps(f.capDrop) : null,
      Dns: [...f.dns],
      DnsSearch: [...(f.dnsSearch ?? [])],
      DnsOptions: [...(f.dnsOption ?? [])],
      ExtraHosts: f.addHost.length > 0 ? [...f.addHost] : null,
      Privileged: Boolean(f.privileged),
      PublishAllPorts: Boolean(f.publishAll),
      ReadonlyRootfs: Boolean(f.readOnly),
      SecurityOpt: f.securityOpt.length > 0 ? f.securityOpt.map((s) => parseSecurityOpt(s, opts.cwd)) : null,
      Memory: f.memory !== undefined ? parseSize(f.memory) : 0,
      MemorySwap: f.memorySwap === undefined ? 0 : f.memorySwap.trim() === '-1' ? -1 : parseSize(f.memorySwap),
      NanoCpus: f.cpus !== undefined ? parseCpus(f.cpus) : 0,
    },
    NetworkingConfig: { EndpointsConfig: endpoints },
  };
  if (Object.keys(exposed).length > 0) body.ExposedPorts = exposed;
  if (Object.keys(volumes).length > 0) body.Volumes = volumes;
  if (f.hostname !== undefined) body.Hostname = f.hostname;
  if (f.user !== undefined) body.User = f.user;
  if (f.workdir !== undefined) {
    if (!f.workdir.startsWith('/')) throw new InvalidArgumentError(`the working directory '${f.workdir}' is invalid, it needs to be an absolute path`);
    body.WorkingDir = f.workdir;
  }
  if (f.entrypoint !== undefined) body.Entrypoint = [f.entrypoint];
  if (f.stopSignal !== undefined) body.StopSignal = f.stopSignal;
  if (f.stopTimeout !== undefined) body.StopTimeout = intFlag(f.stopTimeout, '--stop-timeout');
  const hc = body.HostConfig;
  if (mounts.length > 0) hc.Mounts = mounts;
  if (Object.keys(tmpfs).length > 0) hc.Tmpfs = tmpfs;
  if (f.pidsLimit !== undefined) hc.PidsLimit = intFlag(f.pidsLimit, '--pids-limit');
  if (f.init) hc.Init = true;
  if (f.shmSize !== undefined) hc.ShmSize = parseSize(f.shmSize);
  if (hc.Memory < 0) throw new InvalidArgumentError(`invalid --memory ${f.memory}: must be positive`);
  if (hc.MemorySwap > 0 && hc.Memory > 0 && hc.MemorySwap < hc.Memory) {
    throw new InvalidArgumentError('minimum memoryswap limit should be larger than memory limit, see usage');
  }
  if (hc.MemorySwap > 0 && hc.Memory === 0) throw new InvalidArgumentError('you should always set the memory limit when using memoryswap limit, see usage');
  return { name: f.name, platform: f.platform, body };
}
