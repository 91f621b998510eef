/**
 * JSON Schema of daemon.json. Keys are Docker's; berth-only keys are
 * `exec-driver`, `network-driver`, `plugins`, `plugin-options` and
 * `disable-plugins`. Unknown top-level keys are refused, as dockerd does.
 */
const stringArray = { type: 'array', items: { type: 'string' } } as const;
const sizePattern = '^[0-9]+[kmgKMG]?[bB]?$';

export const daemonConfigSchema = {
  $id: 'berth:daemon.json',
  type: 'object',
  additionalProperties: false,
  properties: {
    'data-root': { type: 'string', pattern: '^/' },
    'exec-root': { type: 'string', pattern: '^/' },
    'storage-driver': { type: 'string', pattern: '^[a-z0-9][a-z0-9_.-]*$' },
    'storage-opts': stringArray,
    'log-driver': { type: 'string', minLength: 1 },
    'log-opts': {
      type: 'object',
      properties: {
        'max-size': { type: 'string', pattern: '^[0-9]+[kmg]?$' },
        'max-file': { type: 'string', pattern: '^[1-9][0-9]*$' },
        compress: { type: 'string', enum: ['true', 'false'] },
        mode: { type: 'string', enum: ['blocking', 'non-blocking'] },
        'max-buffer-size': { type: 'string', pattern: sizePattern },
      },
      additionalProperties: { type: 'string' },
    },
    'log-level': { type: 'string', enum: ['debug', 'info', 'warn', 'error', 'fatal'] },
    debug: { type: 'boolean' },
    hosts: { type: 'array', items: { type: 'string', pattern: '^(unix|tcp|fd)://' } },
    pidfile: { type: 'string', pattern: '^/' },
    'insecure-registries': stringArray,
    'registry-mirrors': { type: 'array', items: { type: 'string', pattern: '^https?://' } },
    'max-concurrent-downloads': { type: 'integer', minimum: 1 },
    'max-concurrent-uploads': { type: 'integer', minimum: 1 },
    bip: { type: 'string', pattern: '^[0-9.]+/[0-9]{1,2}$' },
    'fixed-cidr': { type: 'string', pattern: '^[0-9.]+/[0-9]{1,2}$' },
    'default-address-pools': {
      type: 'array',
      items: {
        type: 'object', additionalProperties: false, required: ['base', 'size'],
        properties: { base: { type: 'string', pattern: '^[0-9.]+/[0-9]{1,2}$' }, size: { type: 'integer', minimum: 1, maximum: 32 } },
      },
    },
    bridge: { type: 'string' },
    iptables: { type: 'boolean' },
    'ip-forward': { type: 'boolean' },
    icc: { type: 'boolean' },
    mtu: { type: 'integer', minimum: 68, maximum: 65535 },
    dns: stringArray,
    'dns-search': stringArray,
    'dns-opts': stringArray,
    'live-restore': { type: 'boolean' },
    'cgroup-parent': { type: 'string' },
    'default-shm-size': { type: 'string', pattern: sizePattern },
    'exec-driver': { type: 'string' },
    'network-driver': { type: 'string' },
    'seccomp-profile': { type: 'string' },
    'no-new-privileges': { type: 'boolean' },
    'userland-proxy': { type: 'boolean' },
    group: { type: 'string' },
    tls: { type: 'boolean' },
    tlsverify: { type: 'boolean' },
    tlscacert: { type: 'string' },
    tlscert: { type: 'string' },
    tlskey: { type: 'string' },
    plugins: {
      type: 'array',
      items: {
        anyOf: [
          { type: 'string', minLength: 1 },
          {
            type: 'object', additionalProperties: false, required: ['module'],
            properties: { module: { type: 'string', minLength: 1 }, options: { type: 'object' }, required: { type: 'boolean' } },
          },
        ],
      },
    },
    'plugin-options': { type: 'object', additionalProperties: { type: 'object' } },
    'disable-plugins': stringArray,
  },
} as const;
