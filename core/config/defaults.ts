import type { DaemonConfig } from './daemon-config';

/** Default config file location (`--config-file` overrides). */
export const DEFAULT_CONFIG_FILE = '/etc/berth/daemon.json';

/** Values used for every key neither the file nor a flag sets. */
export function defaultConfig(): DaemonConfig {
  return {
    'data-root': '/var/lib/berth',
    'exec-root': '/run/berth',
    'storage-opts': [],
    'log-driver': 'json-file',
    'log-opts': {},
    'log-level': 'info',
    debug: false,
    hosts: [],
    pidfile: '/run/berth/berthd.pid',
    'insecure-registries': [],
    'registry-mirrors': [],
    'max-concurrent-downloads': 3,
    'max-concurrent-uploads': 5,
    'default-address-pools': [],
    iptables: true,
    'ip-forward': true,
    icc: true,
    mtu: 1500,
    dns: [],
    'dns-search': [],
    'dns-opts': [],
    'live-restore': false,
    'cgroup-parent': 'berth',
    'default-shm-size': '64M',
    'no-new-privileges': false,
    'userland-proxy': true,
    group: 'berth',
    tls: false,
    tlsverify: false,
    plugins: [],
    'plugin-options': {},
    'disable-plugins': [],
  };
}
