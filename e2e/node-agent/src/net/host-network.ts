// The agent's network on the host: a Linux bridge holding the gateway address of the Pod range
// (so the host reaches every Pod), one network namespace per Pod joined to the bridge by a veth
// pair, and extra /32 addresses on the bridge for LoadBalancer and ClusterIP Services. Everything
// here is created by the agent and named from its prefix, so tearDown can remove all of it, and
// no address of these ranges exists anywhere but on this machine.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Logger } from '@gantry/kube';
import { run, succeeds } from '../exec.js';
import { gatewayOf, type Cidr } from './cidr.js';

export interface PodNetwork {
  readonly netnsName: string;
  /** /run/netns/<name>: what nsenter --net= takes. */
  readonly netnsPath: string;
  readonly ip: string;
}

export interface Sysctl {
  readonly name: string;
  readonly value: string;
}

const NETNS_DIR = '/run/netns';

export class HostNetwork {
  readonly gateway: string;

  constructor(
    /** Bridge name; also the prefix of every namespace the agent creates. */
    readonly bridge: string,
    readonly podCidr: Cidr,
    private readonly log: Logger,
    /**
     * Ranges handed out as Service addresses (/32s on the bridge). An `unreachable` route covers
     * each, so an address of the range that is not (or no longer) assigned fails at once instead
     * of following the default route off this machine.
     */
    readonly serviceRanges: readonly Cidr[] = [],
  ) {
    if (!/^[a-zA-Z][a-zA-Z0-9_-]{0,11}$/.test(bridge)) throw new Error(`bridge name must be 1-12 letters, digits, - or _: ${bridge}`);
    this.gateway = gatewayOf(podCidr);
  }

  /** Creates (or adopts) the bridge with the gateway address; sweeps namespaces left by a crashed run. */
  async setUp(): Promise<void> {
    await this.refuseForeignRoute();
    for (const ns of await this.ownedNamespaces()) {
      this.log.warn('removing a network namespace left from an earlier run', { netns: ns });
      await succeeds('ip', ['netns', 'del', ns]);
    }
    if (!(await succeeds('ip', ['link', 'show', 'dev', this.bridge]))) {
      await run('ip', ['link', 'add', 'name', this.bridge, 'type', 'bridge']);
    }
    // A bridge without a set address takes the lowest one of its ports, so it changes as Pods come
    // and go; Pods that cached the old one then send to an address nobody owns, and their packets
    // to the host (xDS, a FIN) are flooded to the other ports instead of received. Pin it.
    await run('ip', ['link', 'set', 'dev', this.bridge, 'address', bridgeMac(this.bridge)]);
    await run('ip', ['addr', 'replace', `${this.gateway}/${this.podCidr.prefix}`, 'dev', this.bridge]);
    await run('ip', ['link', 'set', 'dev', this.bridge, 'up']);
    for (const range of this.serviceRanges) await run('ip', ['route', 'replace', 'unreachable', range.text]);
    this.log.info('bridge ready', { bridge: this.bridge, gateway: this.gateway, podCidr: this.podCidr.text });
  }

  /** Removes every namespace of this agent and the bridge (with the Service addresses on it). */
  async tearDown(): Promise<void> {
    for (const ns of await this.ownedNamespaces()) await succeeds('ip', ['netns', 'del', ns]);
    await succeeds('ip', ['link', 'del', 'dev', this.bridge]);
    for (const range of this.serviceRanges) await succeeds('ip', ['route', 'del', 'unreachable', range.text]);
  }

  namespaceName(podNamespace: string, podName: string, uid: string): string {
    return `${this.bridge}_${podNamespace}_${podName}`.slice(0, 180) + `_${uid.replace(/-/g, '').slice(0, 8)}`;
  }

  /** A namespace with loopback up and eth0 (addressed `ip`) on the bridge; namespaced sysctls applied. */
  async createPodNetwork(netnsName: string, ip: string, sysctls: readonly Sysctl[]): Promise<PodNetwork> {
    const netnsPath = `${NETNS_DIR}/${netnsName}`;
    const veth = vethName(netnsName);
    await succeeds('ip', ['netns', 'del', netnsName]); // a half-made one from a failed attempt
    await run('ip', ['netns', 'add', netnsName]);
    try {
      await run('ip', ['link', 'add', 'name', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netnsName]);
      await run('ip', ['link', 'set', 'dev', veth, 'master', this.bridge, 'up']);
      const inNs = (...args: string[]): Promise<string> => run('ip', ['-n', netnsName, ...args]);
      await inNs('link', 'set', 'dev', 'lo', 'up');
      await inNs('addr', 'add', `${ip}/${this.podCidr.prefix}`, 'dev', 'eth0');
      await inNs('link', 'set', 'dev', 'eth0', 'up');
      await inNs('route', 'add', 'default', 'via', this.gateway);
      for (const s of sysctls) {
        if (!s.name.startsWith('net.')) {
          this.log.warn('ignoring a sysctl that is not network-namespaced', { netns: netnsName, sysctl: s.name });
          continue;
        }
        await run('nsenter', [`--net=${netnsPath}`, '--', 'sysctl', '-q', '-w', `${s.name}=${s.value}`]);
      }
    } catch (err) {
      await this.deletePodNetwork(netnsName);
      throw err;
    }
    return { netnsName, netnsPath, ip };
  }

  /** Deleting the namespace destroys eth0 and with it the host end of the veth pair. */
  async deletePodNetwork(netnsName: string): Promise<void> {
    if (existsSync(`${NETNS_DIR}/${netnsName}`)) await succeeds('ip', ['netns', 'del', netnsName]);
    await succeeds('ip', ['link', 'del', 'dev', vethName(netnsName)]);
  }

  async addServiceAddress(ip: string): Promise<void> {
    await run('ip', ['addr', 'replace', `${ip}/32`, 'dev', this.bridge]);
  }

  async removeServiceAddress(ip: string): Promise<void> {
    await succeeds('ip', ['addr', 'del', `${ip}/32`, 'dev', this.bridge]);
  }

  async ownedNamespaces(): Promise<string[]> {
    const out = await run('ip', ['netns', 'list']).catch(() => '');
    return out
      .split('\n')
      .map((line) => line.split(' ')[0] ?? '')
      .filter((name) => name.startsWith(`${this.bridge}_`));
  }

  /** Another interface already routing the Pod range would swallow or shadow Pod traffic. */
  private async refuseForeignRoute(): Promise<void> {
    const out = await run('ip', ['-o', 'route', 'show', 'exact', this.podCidr.text]).catch(() => '');
    const dev = /\bdev (\S+)/.exec(out)?.[1];
    if (dev !== undefined && dev !== this.bridge) {
      throw new Error(`${this.podCidr.text} is already routed via ${dev}; pick another --pod-cidr`);
    }
  }
}

/** A fixed, locally administered unicast MAC for the bridge, derived from its name. */
export function bridgeMac(bridge: string): string {
  const bytes = createHash('sha256').update(`bridge:${bridge}`).digest().subarray(0, 5);
  return ['02', ...[...bytes].map((b) => b.toString(16).padStart(2, '0'))].join(':');
}

/** Host end of a Pod's veth pair: interface names are at most 15 characters. */
export function vethName(netnsName: string): string {
  return `gv${createHash('sha256').update(netnsName).digest('hex').slice(0, 11)}`;
}
