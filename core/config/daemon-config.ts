/**
 * The effective daemon configuration: `daemon.json` keys (Docker's names),
 * with CLI flags applied and defaults filled in. Frozen once loaded.
 */
export interface PluginRef {
  /** npm package name or path of a third-party plugin module. */
  module: string;
  /** Options for the plugin, validated against its schema. */
  options?: Record<string, unknown>;
  /** When true, a failing init stops the daemon instead of being recorded. */
  required?: boolean;
}

export interface DaemonConfig {
  'data-root': string;
  /** Runtime state (sockets, pid file, netns mounts): default `/run/berth`. */
  'exec-root': string;
  'storage-driver'?: string;
  'storage-opts': string[];
  'log-driver': string;
  'log-opts': Record<string, string>;
  'log-level': 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  debug: boolean;
  hosts: string[];
  pidfile: string;
  'insecure-registries': string[];
  'registry-mirrors': string[];
  'max-concurrent-downloads': number;
  'max-concurrent-uploads': number;
  bip?: string;
  'fixed-cidr'?: string;
  'default-address-pools': Array<{ base: string; size: number }>;
  bridge?: string;
  iptables: boolean;
  'ip-forward': boolean;
  icc: boolean;
  mtu: number;
  dns: string[];
  /** dockerd's `dns-search` and `dns-opts`: defaults for containers that set none. */
  'dns-search': string[];
  'dns-opts': string[];
  'live-restore': boolean;
  'cgroup-parent': string;
  'default-shm-size': string;
  'exec-driver'?: string;
  'network-driver'?: string;
  'seccomp-profile'?: string;
  'no-new-privileges': boolean;
  'userland-proxy': boolean;
  group: string;
  tls: boolean;
  tlsverify: boolean;
  tlscacert?: string;
  tlscert?: string;
  tlskey?: string;
  /** Third-party plugins to load, by npm name or path. */
  plugins: Array<string | PluginRef>;
  /** Options of built-in plugins, keyed by plugin URI (`graphdriver.overlay2`). */
  'plugin-options': Record<string, Record<string, unknown>>;
  /** Built-in plugins to leave out (appliance builds): URIs. */
  'disable-plugins': string[];
}
