// LoadBalancer (and ClusterIP) Services for the local cluster, in the spirit of kube-proxy plus a
// bare-metal load balancer: each LoadBalancer Service gets its own address from the LB range,
// published in status.loadBalancer.ingress; every Service address (LB IP and, optionally,
// ClusterIP) is put on the agent's bridge as a /32 and served by a TcpForwarder (UDP ports: a
// UdpForwarder) to the Service's ready endpoints. The host (tests, the conformance suite) and the Pods (through their default
// route to the bridge) both reach these addresses; nothing outside this machine does.
//
// A Service that asks for an address (spec.loadBalancerIP, as Gantry's deployer does for a
// Gateway's static address) gets exactly that one or none: an address outside the range or held by
// another Service is refused with the condition IPAM_CONDITION False (the way Cilium's LB-IPAM
// reports it), never swapped for another, so the Gateway's status can say AddressNotUsable.
import { writeFile } from 'node:fs/promises';
import type { KubeConfig } from '@kubernetes/client-node';
import { describeError } from '../log.js';
import { CORE_KINDS, endpointSlicesOf, ObjectStore, patchStatus, ResilientWatch, type KubeObjectLike, type Logger } from '../kube.js';
import type { EndpointSlice, Service, ServiceCondition } from '../kube-types.js';
import { cidrContains, type Ipam } from '../net/cidr.js';
import type { HostNetwork } from '../net/host-network.js';
import { clusterIPsOf, isLoadBalancer, readyEndpoints, tcpPorts, udpPorts } from './service-endpoints.js';
import { TcpForwarder, type Endpoint } from './tcp-forwarder.js';
import { UdpForwarder } from './udp-forwarder.js';

export interface ServiceProxierOptions {
  readonly network: HostNetwork;
  readonly lbIpam: Ipam;
  /** Also serve ClusterIPs (Pods reach Services by ClusterIP; there is no cluster DNS here). */
  readonly clusterIPs: boolean;
  /**
   * Serve `default/kubernetes` on its ClusterIP, forwarding to this API server address (the
   * agent's own, often on loopback where Pods cannot reach it), so in-cluster clients work.
   */
  readonly apiServer?: Endpoint;
  /**
   * Keep this file an /etc/hosts naming every served ClusterIP `<svc>.<ns>.svc` and
   * `<svc>.<ns>.svc.cluster.local`: the stand-in for cluster DNS that Pods mount.
   */
  readonly hostsFile?: string;
  readonly log: Logger;
}

const KUBERNETES_SERVICE = 'default/kubernetes';
const HOSTS_HEADER = '# Written by the gantry node agent: Service ClusterIPs by name (there is no cluster DNS).\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n';

interface Listener {
  readonly forwarder: TcpForwarder | UdpForwarder;
  readonly serviceKey: string;
  readonly portName: string;
}

const RETRY_MS = 5000;

/** The Service condition that says whether a requested LoadBalancer address was given. */
export const IPAM_CONDITION = 'e2e.gantry.dev/IPAMRequestSatisfied';

function keyOf(o: KubeObjectLike): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

export class ServiceProxier {
  private readonly store = new ObjectStore();
  private readonly watches: ResilientWatch[];
  private readonly listeners = new Map<string, Listener>();
  private readonly addresses = new Set<string>();
  /** LoadBalancer IP by Service key. */
  private readonly lbIPs = new Map<string, string>();
  /** Why a Service's requested address (spec.loadBalancerIP) was refused, by Service key. */
  private readonly refused = new Map<string, string>();
  private running: Promise<void> | undefined;
  private dirty = false;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly bindFailures = new Set<string>();
  private hostsContent: string | undefined;

  constructor(
    private readonly kc: KubeConfig,
    private readonly opts: ServiceProxierOptions,
  ) {
    this.watches = [CORE_KINDS.Service, CORE_KINDS.EndpointSlice].map((kind) => new ResilientWatch(kc, kind, { logger: opts.log, watchdogMs: 90_000 }));
    for (const w of this.watches) this.store.connect(w);
    this.store.onChange(() => this.schedule());
  }

  async start(): Promise<void> {
    if (this.opts.hostsFile) await this.writeHosts(new Map());
    for (const w of this.watches) w.start();
    await Promise.all(this.watches.map((w) => w.synced));
    this.schedule();
    await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    await Promise.all(this.watches.map((w) => w.stop()));
    await this.running;
    await Promise.all([...this.listeners.values()].map((l) => l.forwarder.close()));
    this.listeners.clear();
    for (const ip of this.addresses) await this.opts.network.removeServiceAddress(ip);
    this.addresses.clear();
  }

  /** The LoadBalancer address of a Service (tests). */
  loadBalancerIP(namespace: string, name: string): string | undefined {
    return this.lbIPs.get(`${namespace}/${name}`);
  }

  /**
   * What the kubelet gives every container for the API server: KUBERNETES_SERVICE_HOST/PORT and
   * the Docker-link style KUBERNETES_PORT_* variables of `default/kubernetes`. Empty unless the
   * agent serves that Service (apiServer).
   */
  kubernetesServiceEnv(): Record<string, string> {
    if (!this.opts.apiServer) return {};
    const svc = this.store.get<Service & KubeObjectLike>(CORE_KINDS.Service, 'default', 'kubernetes');
    const ip = svc ? clusterIPsOf(svc)[0] : undefined;
    const port = svc ? (tcpPorts(svc).find((p) => p.name === 'https') ?? tcpPorts(svc)[0]) : undefined;
    if (!ip || !port) return {};
    const p = String(port.port);
    const prefix = `KUBERNETES_PORT_${p}_TCP`;
    return {
      KUBERNETES_SERVICE_HOST: ip,
      KUBERNETES_SERVICE_PORT: p,
      ...(port.name ? { [`KUBERNETES_SERVICE_PORT_${port.name.toUpperCase().replace(/-/g, '_')}`]: p } : {}),
      KUBERNETES_PORT: `tcp://${ip}:${p}`,
      [prefix]: `tcp://${ip}:${p}`,
      [`${prefix}_PROTO`]: 'tcp',
      [`${prefix}_PORT`]: p,
      [`${prefix}_ADDR`]: ip,
    };
  }

  /** The addresses currently on the bridge for Services. */
  serviceAddresses(): string[] {
    return [...this.addresses];
  }

  private schedule(): void {
    if (this.stopped) return;
    if (this.running) {
      this.dirty = true;
      return;
    }
    this.running = this.reconcile()
      .catch((err: unknown) => this.opts.log.error('service reconcile failed', { error: describeError(err) }))
      .finally(() => {
        this.running = undefined;
        if (this.dirty) {
          this.dirty = false;
          this.schedule();
        }
      });
  }

  private async reconcile(): Promise<void> {
    const services = this.store.list<Service & KubeObjectLike>(CORE_KINDS.Service);
    this.assignLoadBalancerIPs(services);
    const wanted = new Map<string, { ip: string; port: number; udp: boolean; serviceKey: string; portName: string }>();
    for (const svc of services) {
      const key = keyOf(svc);
      // A ClusterIP with nothing behind it is not served: `default/kubernetes` (no selector, no
      // slices here) has the same address in every local cluster on this machine.
      // Unless this agent forwards it to the API server (apiServer): then it is the only ClusterIP
      // served even with clusterIPs off.
      const apiService = key === KUBERNETES_SERVICE && this.opts.apiServer !== undefined;
      const hasBackends = svc.spec?.selector !== undefined || endpointSlicesOf(this.store, svc.metadata.namespace ?? '', svc.metadata.name).length > 0;
      const ips = [...((this.opts.clusterIPs && hasBackends) || apiService ? clusterIPsOf(svc) : [])];
      const lb = this.lbIPs.get(key);
      if (lb) ips.push(lb);
      for (const ip of ips) {
        for (const p of tcpPorts(svc)) wanted.set(`${ip}:${p.port}`, { ip, port: p.port, udp: false, serviceKey: key, portName: p.name ?? '' });
        for (const p of udpPorts(svc)) wanted.set(`udp:${ip}:${p.port}`, { ip, port: p.port, udp: true, serviceKey: key, portName: p.name ?? '' });
      }
    }
    // Listeners no longer wanted (or now for another Service) go first, then their addresses.
    for (const [id, l] of this.listeners) {
      const w = wanted.get(id);
      if (!w || w.serviceKey !== l.serviceKey || w.portName !== l.portName) {
        await l.forwarder.close();
        this.listeners.delete(id);
      }
    }
    const wantedIPs = new Set([...wanted.values()].map((w) => w.ip));
    for (const ip of this.lbIPs.values()) wantedIPs.add(ip);
    for (const ip of [...this.addresses]) {
      if (!wantedIPs.has(ip)) {
        await this.opts.network.removeServiceAddress(ip);
        this.addresses.delete(ip);
      }
    }
    for (const ip of wantedIPs) {
      if (this.addresses.has(ip)) continue;
      await this.opts.network.addServiceAddress(ip);
      this.addresses.add(ip);
    }
    let failed = false;
    for (const [id, w] of wanted) {
      if (this.listeners.has(id)) continue;
      const endpoints = () => this.endpoints(w.serviceKey, w.portName, w.udp);
      const forwarder = w.udp ? new UdpForwarder(w.ip, w.port, endpoints) : new TcpForwarder(w.ip, w.port, endpoints);
      try {
        await forwarder.listen();
        this.listeners.set(id, { forwarder, serviceKey: w.serviceKey, portName: w.portName });
      } catch (err) {
        failed = true;
        // Another local cluster's agent may hold the same ClusterIP:port; say so once.
        const level = this.bindFailures.has(id) ? 'debug' : 'warn';
        this.bindFailures.add(id);
        this.opts.log[level]('cannot serve a Service address; will retry', { service: w.serviceKey, address: id, error: describeError(err) });
      }
    }
    if (this.opts.hostsFile) {
      const names = new Map<string, string[]>();
      for (const [id, w] of wanted) {
        if (!this.listeners.has(id) || [...this.lbIPs.values()].includes(w.ip)) continue;
        const [ns = '', name = ''] = w.serviceKey.split('/');
        // The fully qualified form with its root dot too: Envoy's c-ares matches hosts entries
        // literally, and some control planes (Envoy Gateway) write `….svc.cluster.local.`.
        names.set(w.ip, [`${name}.${ns}.svc`, `${name}.${ns}.svc.cluster.local`, `${name}.${ns}.svc.cluster.local.`]);
      }
      await this.writeHosts(names);
    }
    if (!(await this.publishStatuses(services))) failed = true;
    if (failed && !this.stopped) {
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => this.schedule(), RETRY_MS);
    }
  }

  /** Rewritten in place (same inode), so the bind mounts of running Pods see the change. */
  private async writeHosts(names: ReadonlyMap<string, readonly string[]>): Promise<void> {
    const file = this.opts.hostsFile;
    if (!file) return;
    const lines = [...names].sort(([a], [b]) => a.localeCompare(b)).map(([ip, n]) => `${ip}\t${n.join(' ')}\n`);
    const content = HOSTS_HEADER + lines.join('');
    if (content === this.hostsContent) return;
    await writeFile(file, content, { mode: 0o644 });
    this.hostsContent = content;
  }

  private endpoints(serviceKey: string, portName: string, udp = false): ReturnType<typeof readyEndpoints> {
    if (serviceKey === KUBERNETES_SERVICE && this.opts.apiServer) return [this.opts.apiServer];
    const [ns = '', name = ''] = serviceKey.split('/');
    const svc = this.store.get<Service & KubeObjectLike>(CORE_KINDS.Service, ns, name);
    const port = svc ? (udp ? udpPorts(svc) : tcpPorts(svc)).find((p) => (p.name ?? '') === portName) : undefined;
    if (!port) return [];
    return readyEndpoints(endpointSlicesOf<EndpointSlice & KubeObjectLike>(this.store, ns, name), port);
  }

  /**
   * Keeps addresses stable: the one in status if it is ours to give. A requested address
   * (spec.loadBalancerIP) is given exactly or refused; a changed request moves the Service.
   */
  private assignLoadBalancerIPs(services: readonly Service[]): void {
    const present = new Set<string>();
    for (const svc of services) {
      if (!isLoadBalancer(svc)) continue;
      const key = keyOf(svc);
      present.add(key);
      const requested = svc.spec?.loadBalancerIP || undefined;
      const held = this.lbIPs.get(key);
      if (held !== undefined && (requested === undefined || requested === held)) continue;
      if (held !== undefined) {
        this.lbIPs.delete(key);
        this.opts.lbIpam.release(held);
      }
      if (requested !== undefined) {
        if (this.opts.lbIpam.claim(requested, key)) {
          this.refused.delete(key);
          this.lbIPs.set(key, requested);
          this.opts.log.info('assigned the requested LoadBalancer address', { service: key, ip: requested });
        } else {
          const holder = this.opts.lbIpam.ownerOf(requested);
          const why = holder !== undefined ? `held by Service ${holder}` : `not in the LoadBalancer range ${this.opts.lbIpam.cidr.text}`;
          if (this.refused.get(key) === undefined) this.opts.log.warn('requested LoadBalancer address refused', { service: key, ip: requested, why });
          this.refused.set(key, `requested address ${requested} is ${why}`);
        }
        continue;
      }
      this.refused.delete(key);
      const preferred = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip);
      let ip = preferred.find((candidate) => candidate !== undefined && this.opts.lbIpam.claim(candidate, key));
      ip ??= this.opts.lbIpam.allocate(key);
      if (!ip) {
        this.opts.log.warn('LoadBalancer range exhausted', { service: key, range: this.opts.lbIpam.cidr.text });
        continue;
      }
      this.lbIPs.set(key, ip);
      this.opts.log.info('assigned LoadBalancer address', { service: key, ip });
    }
    for (const [key, ip] of this.lbIPs) {
      if (present.has(key)) continue;
      this.lbIPs.delete(key);
      this.opts.lbIpam.release(ip);
    }
    for (const key of this.refused.keys()) if (!present.has(key)) this.refused.delete(key);
  }

  /** The Service's conditions with ours set (refused) or removed; undefined when unchanged. */
  private ipamConditions(svc: Service, refusal: string | undefined): ServiceCondition[] | undefined {
    const current = svc.status?.conditions ?? [];
    const ours = current.find((c) => c.type === IPAM_CONDITION);
    const others = current.filter((c) => c.type !== IPAM_CONDITION);
    if (refusal === undefined) return ours === undefined ? undefined : others;
    if (ours?.status === 'False' && ours.message === refusal) return undefined;
    return [...others, { type: IPAM_CONDITION, status: 'False', reason: 'AddressNotUsable', message: refusal, lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }];
  }

  /** Returns false when a write failed (the caller retries). */
  private async publishStatuses(services: readonly Service[]): Promise<boolean> {
    let ok = true;
    for (const svc of services) {
      const ip = this.lbIPs.get(keyOf(svc));
      const ingress = svc.status?.loadBalancer?.ingress ?? [];
      const refusal = isLoadBalancer(svc) ? this.refused.get(keyOf(svc)) : undefined;
      const ours = ingress.some((i) => i.ip !== undefined && cidrContains(this.opts.lbIpam.cidr, i.ip));
      let status: Record<string, unknown> | undefined;
      if (ip) {
        const current = ingress.length === 1 && ingress[0]?.ip === ip && ingress[0]?.ipMode === 'VIP' && !ingress[0]?.hostname;
        if (!current) status = { loadBalancer: { ingress: [{ ip, ipMode: 'VIP' }] } };
      } else if ((!isLoadBalancer(svc) || refusal !== undefined) && ours) {
        // No longer a LoadBalancer, or it asks for an address it cannot have: withdraw ours.
        status = { loadBalancer: { ingress: null } };
      }
      const conditions = this.ipamConditions(svc, refusal);
      if (conditions !== undefined) status = { ...status, conditions };
      if (!status) continue;
      try {
        await patchStatus(this.kc, CORE_KINDS.Service, svc.metadata.namespace, svc.metadata.name, status, { fieldManager: 'gantry-node-agent' });
      } catch (err) {
        ok = false;
        this.opts.log.warn('service status write failed', { service: keyOf(svc), error: describeError(err) });
      }
    }
    return ok;
  }
}
