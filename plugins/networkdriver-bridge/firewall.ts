/**
 * berth's iptables rules, shaped like Docker's but in berth's own chains
 * (`<P>` = the chain prefix, `BERTH` by default):
 *
 *   nat    <P>              DNAT of published ports; jumped from PREROUTING and
 *                           OUTPUT for local destinations (127.0.0.1 included:
 *                           bridges get route_localnet=1, see docs/networking.md)
 *   nat    <P>-POSTROUTING  MASQUERADE of traffic leaving a bridge subnet, of
 *                           host-local sources entering a bridge, and hairpin
 *   filter <P>-FORWARD      ACCEPTs that make bridges work under a FORWARD DROP
 *                           policy; icc on/off; published ports
 *   filter <P>-ISOLATION-STAGE-1/2  user networks cannot reach each other
 *   filter <P>-INPUT        drops non-established packets from a bridge to
 *                           127.0.0.0/8 (the route_localnet guard)
 *
 * Rules are generated from the network/port description, so removing is
 * re-generating with -D. Batches go through one `iptables-restore --noflush`.
 */
import { runCommand } from './run-command';

export interface FirewallNetwork {
  bridge: string;
  subnet: string;
  internal: boolean;
  icc: boolean;
  masquerade: boolean;
}

export interface FirewallPort {
  bridge: string;
  containerIp: string;
  containerPort: number;
  protocol: 'tcp' | 'udp';
  hostIp: string;
  hostPort: number;
}

interface Rule { table: 'nat' | 'filter'; chain: string; spec: string[] }

export interface Firewall {
  readonly enabled: boolean;
  /** (Re)creates the chains empty and the jumps into them from the built-in chains. */
  reset(): Promise<void>;
  /** Adds a network's NAT, forwarding, icc and isolation rules. */
  addNetwork(n: FirewallNetwork): Promise<void>;
  /** Removes exactly the rules addNetwork added; missing ones are skipped. */
  removeNetwork(n: FirewallNetwork): Promise<void>;
  /** Adds DNAT, hairpin MASQUERADE and FORWARD ACCEPT rules for published ports. */
  addPorts(ports: FirewallPort[]): Promise<void>;
  /** Removes exactly the rules addPorts added; missing ones are skipped. */
  removePorts(ports: FirewallPort[]): Promise<void>;
  /** Removes the jumps and the chains (purge; tests). */
  removeAll(): Promise<void>;
}

/** A Firewall that touches nothing (`iptables: false`). */
export class DisabledFirewall implements Firewall {
  readonly enabled = false;
  /** No-op. */ async reset(): Promise<void> {}
  /** No-op. */ async addNetwork(): Promise<void> {}
  /** No-op. */ async removeNetwork(): Promise<void> {}
  /** No-op. */ async addPorts(): Promise<void> {}
  /** No-op. */ async removePorts(): Promise<void> {}
  /** No-op. */ async removeAll(): Promise<void> {}
}

export class IptablesFirewall implements Firewall {
  readonly enabled = true;
  private readonly c: { nat: string; post: string; fwd: string; iso1: string; iso2: string; input: string };
  private queue: Promise<unknown> = Promise.resolve();

  constructor(prefix = 'BERTH') {
    this.c = {
      nat: prefix,
      post: `${prefix}-POSTROUTING`,
      fwd: `${prefix}-FORWARD`,
      iso1: `${prefix}-ISOLATION-STAGE-1`,
      iso2: `${prefix}-ISOLATION-STAGE-2`,
      input: `${prefix}-INPUT`,
    };
  }

  /** The chains this firewall owns, by table. */
  chains(): { nat: string[]; filter: string[] } {
    return { nat: [this.c.nat, this.c.post], filter: [this.c.fwd, this.c.iso1, this.c.iso2, this.c.input] };
  }

  private jumps(): Array<Rule & { insert: boolean }> {
    const c = this.c;
    return [
      { table: 'nat', chain: 'PREROUTING', spec: ['-m', 'addrtype', '--dst-type', 'LOCAL', '-j', c.nat], insert: false },
      { table: 'nat', chain: 'OUTPUT', spec: ['-m', 'addrtype', '--dst-type', 'LOCAL', '-j', c.nat], insert: false },
      { table: 'nat', chain: 'POSTROUTING', spec: ['-j', c.post], insert: false },
      { table: 'filter', chain: 'FORWARD', spec: ['-j', c.fwd], insert: true },
      { table: 'filter', chain: 'INPUT', spec: ['-j', c.input], insert: true },
    ];
  }

  /** See Firewall.reset. */
  reset(): Promise<void> {
    return this.serial(async () => {
      const { nat, filter } = this.chains();
      // Declaring an existing chain in --noflush mode flushes it: one call empties or creates them all.
      await restore([
        '*nat', ...nat.map((ch) => `:${ch} - [0:0]`), 'COMMIT',
        '*filter', ...filter.map((ch) => `:${ch} - [0:0]`), `-A ${this.c.fwd} -j ${this.c.iso1}`, 'COMMIT',
      ]);
      for (const j of this.jumps()) {
        if (!(await exists(j))) {
          await runCommand('iptables', ['-w', '-t', j.table, j.insert ? '-I' : '-A', j.chain, ...(j.insert ? ['1'] : []), ...j.spec]);
        }
      }
    });
  }

  /** See Firewall.removeAll. */
  removeAll(): Promise<void> {
    return this.serial(async () => {
      for (const j of this.jumps()) {
        while (await exists(j)) await runCommand('iptables', ['-w', '-t', j.table, '-D', j.chain, ...j.spec]);
      }
      const { nat, filter } = this.chains();
      for (const [table, chains] of [['nat', nat], ['filter', filter]] as const) {
        for (const ch of chains) {
          await runCommand('iptables', ['-w', '-t', table, '-F', ch]).catch(() => undefined);
        }
        for (const ch of chains) {
          await runCommand('iptables', ['-w', '-t', table, '-X', ch]).catch(() => undefined);
        }
      }
    });
  }

  private networkRules(n: FirewallNetwork): Rule[] {
    const c = this.c;
    const b = n.bridge;
    const r: Rule[] = [];
    if (n.internal) {
      r.push({ table: 'filter', chain: c.iso1, spec: ['!', '-s', n.subnet, '-o', b, '-j', 'DROP'] });
      r.push({ table: 'filter', chain: c.iso1, spec: ['!', '-d', n.subnet, '-i', b, '-j', 'DROP'] });
    } else if (n.masquerade) {
      r.push({ table: 'nat', chain: c.post, spec: ['-s', n.subnet, '!', '-o', b, '-j', 'MASQUERADE'] });
    }
    r.push({ table: 'nat', chain: c.post, spec: ['-o', b, '-m', 'addrtype', '--src-type', 'LOCAL', '-j', 'MASQUERADE'] });
    r.push({ table: 'filter', chain: c.iso1, spec: ['-i', b, '!', '-o', b, '-j', c.iso2] });
    r.push({ table: 'filter', chain: c.iso2, spec: ['-o', b, '-j', 'DROP'] });
    r.push({ table: 'filter', chain: c.fwd, spec: ['-o', b, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT'] });
    if (!n.internal) r.push({ table: 'filter', chain: c.fwd, spec: ['-i', b, '!', '-o', b, '-j', 'ACCEPT'] });
    r.push({ table: 'filter', chain: c.fwd, spec: ['-i', b, '-o', b, '-j', n.icc ? 'ACCEPT' : 'DROP'] });
    r.push({ table: 'filter', chain: c.input, spec: ['-i', b, '-d', '127.0.0.0/8', '-m', 'conntrack', '!', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'DROP'] });
    return r;
  }

  private portRules(p: FirewallPort): Rule[] {
    const c = this.c;
    const proto = ['-p', p.protocol, '-m', p.protocol];
    const dst = p.hostIp && p.hostIp !== '0.0.0.0' ? ['-d', `${p.hostIp}/32`] : [];
    return [
      { table: 'nat', chain: c.nat, spec: [...dst, ...proto, '--dport', String(p.hostPort), '-j', 'DNAT', '--to-destination', `${p.containerIp}:${p.containerPort}`] },
      { table: 'nat', chain: c.post, spec: ['-s', `${p.containerIp}/32`, '-d', `${p.containerIp}/32`, ...proto, '--dport', String(p.containerPort), '-j', 'MASQUERADE'] },
      { table: 'filter', chain: c.fwd, spec: ['-d', `${p.containerIp}/32`, '!', '-i', p.bridge, '-o', p.bridge, ...proto, '--dport', String(p.containerPort), '-j', 'ACCEPT'] },
    ];
  }

  /** See Firewall.addNetwork. */
  addNetwork(n: FirewallNetwork): Promise<void> {
    return this.serial(() => apply('-A', this.networkRules(n)));
  }
  /** See Firewall.removeNetwork; rules already gone are not an error. */
  removeNetwork(n: FirewallNetwork): Promise<void> {
    return this.serial(() => apply('-D', this.networkRules(n)));
  }
  /** See Firewall.addPorts. */
  addPorts(ports: FirewallPort[]): Promise<void> {
    if (ports.length === 0) return Promise.resolve();
    return this.serial(() => apply('-A', ports.flatMap((p) => this.portRules(p))));
  }
  /** See Firewall.removePorts; rules already gone are not an error. */
  removePorts(ports: FirewallPort[]): Promise<void> {
    if (ports.length === 0) return Promise.resolve();
    return this.serial(() => apply('-D', ports.flatMap((p) => this.portRules(p))));
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

async function exists(r: Rule): Promise<boolean> {
  try {
    await runCommand('iptables', ['-w', '-t', r.table, '-C', r.chain, ...r.spec]);
    return true;
  } catch {
    return false;
  }
}

function restore(lines: string[]): Promise<unknown> {
  return runCommand('iptables-restore', ['-w', '--noflush'], lines.join('\n') + '\n');
}

/** Appends or deletes rules in one iptables-restore; deletes fall back to one by one so missing rules are skipped. */
async function apply(op: '-A' | '-D', rules: Rule[]): Promise<void> {
  const lines: string[] = [];
  for (const table of ['nat', 'filter'] as const) {
    const rs = rules.filter((r) => r.table === table);
    if (rs.length === 0) continue;
    lines.push(`*${table}`, ...rs.map((r) => [op, r.chain, ...r.spec].join(' ')), 'COMMIT');
  }
  try {
    await restore(lines);
  } catch (err) {
    if (op === '-A') throw err;
    for (const r of rules) {
      await runCommand('iptables', ['-w', '-t', r.table, '-D', r.chain, ...r.spec]).catch(() => undefined);
    }
  }
}
