/**
 * berthd's command line, parsed with commander into daemon.json keys so that
 * loadConfig can merge them (and refuse a key given both ways).
 */
import { Command, Option } from 'commander';
import type { DaemonConfig } from '../config/daemon-config';

export interface BerthdArgs {
  configFile?: string;
  validate: boolean;
  flags: Partial<DaemonConfig>;
}

function collect(value: string, prev: string[] = []): string[] {
  return [...prev, value];
}

/** Parses argv (without node and script). Exits with usage on unknown flags, like dockerd. */
export function parseBerthdArgs(argv: string[], version: string): BerthdArgs {
  const cmd = new Command('berthd')
    .description('berth daemon: a container engine that speaks the Docker Engine API')
    .version(version, '-v, --version')
    .option('--config-file <path>', 'daemon configuration file (default /etc/berth/daemon.json)')
    .option('--validate', 'validate the configuration file and exit', false)
    .option('--data-root <dir>', 'root directory of persistent state')
    .option('--exec-root <dir>', 'root directory of runtime state')
    .option('-H, --host <socket>', 'daemon socket to listen on (repeatable)', collect)
    .option('-D, --debug', 'enable debug logging')
    .addOption(new Option('-l, --log-level <level>', 'log level').choices(['debug', 'info', 'warn', 'error', 'fatal']))
    .option('-s, --storage-driver <name>', 'storage driver to use')
    .option('--storage-opt <opt>', 'storage driver option (repeatable)', collect)
    .option('--log-driver <name>', 'default log driver for containers')
    .option('--log-opt <key=value>', 'default log driver option (repeatable)', collect)
    .option('-p, --pidfile <path>', 'path of the pid file')
    .option('--live-restore', 'keep containers running while the daemon is down')
    .option('--bip <cidr>', 'address of the default bridge')
    .option('--no-iptables', 'leave the firewall alone')
    .option('--insecure-registry <host>', 'registry reached over plain HTTP or unverified TLS (repeatable)', collect)
    .option('--registry-mirror <url>', 'mirror for docker.io (repeatable)', collect)
    .option('--cgroup-parent <name>', 'parent cgroup of all containers')
    .option('--tls', 'use TLS on tcp:// hosts')
    .option('--tlsverify', 'use TLS and verify the client')
    .option('--tlscacert <path>', 'CA that client certificates must be signed by')
    .option('--tlscert <path>', 'server certificate')
    .option('--tlskey <path>', 'server key')
    .exitOverride();
  cmd.parse(argv, { from: 'user' });
  const o = cmd.opts<Record<string, unknown>>();
  const flags: Partial<DaemonConfig> = {};
  const set = <K extends keyof DaemonConfig>(k: K, v: unknown): void => {
    if (v !== undefined) flags[k] = v as DaemonConfig[K];
  };
  set('data-root', o.dataRoot);
  set('exec-root', o.execRoot);
  set('hosts', o.host);
  set('debug', o.debug);
  set('log-level', o.logLevel);
  set('storage-driver', o.storageDriver);
  set('storage-opts', o.storageOpt);
  set('log-driver', o.logDriver);
  if (Array.isArray(o.logOpt)) {
    set('log-opts', Object.fromEntries((o.logOpt as string[]).map((kv) => {
      const i = kv.indexOf('=');
      return i < 0 ? [kv, ''] : [kv.slice(0, i), kv.slice(i + 1)];
    })));
  }
  set('pidfile', o.pidfile);
  set('live-restore', o.liveRestore);
  set('bip', o.bip);
  if (o.iptables === false) set('iptables', false);
  set('insecure-registries', o.insecureRegistry);
  set('registry-mirrors', o.registryMirror);
  set('cgroup-parent', o.cgroupParent);
  set('tls', o.tls);
  set('tlsverify', o.tlsverify);
  set('tlscacert', o.tlscacert);
  set('tlscert', o.tlscert);
  set('tlskey', o.tlskey);
  return { configFile: o.configFile as string | undefined, validate: Boolean(o.validate), flags };
}
