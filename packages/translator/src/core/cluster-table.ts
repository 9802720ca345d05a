// The clusters routes use, interned by name so that equal ClusterIRs keep one identity, with
// their endpoints: computed when a Gateway first asks, recomputed only when their Service's
// EndpointSlices (or, for a pod selector, the labels of Pods in its namespace) change (the EDS
// fast path), forgotten when no Gateway uses them any more.
import type { ClusterEndpointsIR, ClusterIR, EndpointIR, UpstreamProtocol } from '@gantry/ir';
import type { ClusterUse, ServiceEndpointSource, ServicePart, ServicesEndpointSource } from '../backends/backend.js';
import { clusterEndpoints, countEndpoints, type EndpointFilter } from './endpoint-slices.js';
import { deepEqual, reuse } from './equality.js';
import { StringMultiMap } from './multimap.js';
import { selectorMatches, type PodIndex, type PodSelector } from './pod-index.js';
import type { ServiceIndex } from './service-index.js';

interface ClusterRecord {
  ir: ClusterIR;
  /** Set once the cluster's endpoints were asked for: where they come from, and what they are. */
  serviceKey: string | undefined;
  portName: string;
  selector: PodSelector | undefined;
  endpoints: ClusterEndpointsIR | undefined;
  /** A source of several Service ports (a VirtualDestination): its parts and their key. */
  parts: readonly ServicePart[] | undefined;
  partsKey: string | undefined;
}

export class ClusterTable {
  private readonly records = new Map<string, ClusterRecord>();
  /** Namespace → clusters with a pod selector whose Service lives there. */
  private readonly selecting = new StringMultiMap();

  constructor(
    private readonly services: ServiceIndex,
    private readonly pods: PodIndex,
  ) {}

  get size(): number {
    return this.records.size;
  }

  /** The cluster of this name and protocol, the same object while they stay the same. */
  readonly intern = (name: string, protocol: UpstreamProtocol): ClusterIR => {
    const rec = this.records.get(name);
    // A plain cluster: one that had TLS (a BackendTLSPolicy that went away) is not reused.
    if (rec && rec.ir.protocol === protocol && rec.ir.tls === undefined) return rec.ir;
    const ir: ClusterIR = { name, protocol };
    if (rec) rec.ir = ir;
    else this.records.set(name, emptyRecord(ir));
    return ir;
  };

  /** The interned cluster equal to this one (Upstream clusters carry policies), else this one. */
  readonly internLike = (cluster: ClusterIR): ClusterIR => {
    const rec = this.records.get(cluster.name);
    if (rec && (rec.ir === cluster || deepEqual(rec.ir, cluster))) return rec.ir;
    if (rec) rec.ir = cluster;
    else this.records.set(cluster.name, emptyRecord(cluster));
    return cluster;
  };

  /** A used cluster's endpoints (the assemblers ask for each cluster they place). */
  readonly endpointsOf = (use: ClusterUse): ClusterEndpointsIR => {
    const name = use.cluster.name;
    if (use.source.kind === 'ownHosts') return this.ownHosts(use);
    if (use.source.kind === 'services') return this.servicesEndpoints(use.cluster, use.source);
    const { serviceKey, portName, podSelector } = use.source;
    let rec = this.records.get(name);
    if (rec?.endpoints && rec.serviceKey === serviceKey && rec.portName === portName && rec.selector?.key === podSelector?.key) return rec.endpoints;
    // A pruned record comes back with its cluster.
    if (!rec) this.records.set(name, (rec = emptyRecord(use.cluster)));
    this.setParts(name, rec, undefined);
    this.services.moveCluster(name, rec.serviceKey, serviceKey);
    this.setSelecting(name, rec, use.source);
    rec.serviceKey = serviceKey;
    rec.portName = portName;
    rec.selector = podSelector;
    rec.endpoints = reuse(rec.endpoints, this.compute(rec));
    return rec.endpoints;
  };

  /** The endpoints of several Service ports (a VirtualDestination), linked to each Service. */
  private servicesEndpoints(cluster: ClusterIR, source: ServicesEndpointSource): ClusterEndpointsIR {
    const name = cluster.name;
    let rec = this.records.get(name);
    if (rec?.endpoints && rec.partsKey === source.key) return rec.endpoints;
    if (!rec) this.records.set(name, (rec = emptyRecord(cluster)));
    if (rec.serviceKey !== undefined) this.services.moveCluster(name, rec.serviceKey, undefined);
    this.setSelecting(name, rec, undefined);
    rec.serviceKey = undefined;
    rec.selector = undefined;
    this.setParts(name, rec, source);
    rec.endpoints = reuse(rec.endpoints, this.compute(rec));
    return rec.endpoints;
  }

  /** Links a record to the Services of its parts (and unlinks those it no longer has). */
  private setParts(name: string, rec: ClusterRecord, source: ServicesEndpointSource | undefined): void {
    const before = rec.parts;
    const after = source?.parts;
    if (before === undefined && after === undefined) return;
    const keep = new Set<string>();
    for (const p of after ?? NO_PARTS) if (!p.hosts) keep.add(p.serviceKey);
    for (const p of before ?? NO_PARTS) if (!p.hosts && !keep.has(p.serviceKey)) this.services.moveCluster(name, p.serviceKey, undefined);
    const had = new Set((before ?? NO_PARTS).filter((p) => !p.hosts).map((p) => p.serviceKey));
    for (const key of keep) if (!had.has(key)) this.services.moveCluster(name, undefined, key);
    rec.parts = after;
    rec.partsKey = source?.key;
  }

  /**
   * How many endpoints of a Service port a selector keeps: those of `cluster` when a Gateway uses
   * it (computed, and refreshed before statuses are judged), else counted from the slices.
   */
  countServiceEndpoints(serviceKey: string, portName: string, selector: PodSelector | undefined, cluster?: string): number {
    const rec = cluster !== undefined ? this.records.get(cluster) : undefined;
    if (rec?.endpoints && rec.serviceKey === serviceKey && rec.portName === portName && rec.selector?.key === selector?.key) return rec.endpoints.endpoints.length;
    return countEndpoints(portName, this.services.slicesOf(serviceKey), selector && this.podFilter(selector));
  }

  /** A record's endpoints: its Service port's, kept to the Pods its selector picks. */
  private compute(rec: ClusterRecord): ClusterEndpointsIR {
    if (rec.parts) return this.computeParts(rec.ir.name, rec.parts);
    const selector = rec.selector;
    return clusterEndpoints(rec.ir.name, rec.portName, this.services.slicesOf(rec.serviceKey as string), selector && this.podFilter(selector));
  }

  /**
   * The endpoints of every part, each with its part's locality and priority, sorted by address
   * then port; an address in two parts is kept once, at its better priority.
   */
  private computeParts(name: string, parts: readonly ServicePart[]): ClusterEndpointsIR {
    const all: EndpointIR[] = [];
    for (const p of parts) {
      const found: readonly EndpointIR[] = p.hosts ?? clusterEndpoints(name, p.portName, this.services.slicesOf(p.serviceKey)).endpoints;
      const annotate = p.locality !== undefined || (p.priority ?? 0) !== 0;
      for (const e of found) {
        if (!annotate) all.push(e);
        else {
          const ep: { address: string; port: number; locality?: string; priority?: number } = { address: e.address, port: e.port };
          if (p.locality !== undefined) ep.locality = p.locality;
          if ((p.priority ?? 0) !== 0) ep.priority = p.priority;
          all.push(ep);
        }
      }
    }
    all.sort((a, b) => (a.address !== b.address ? (a.address < b.address ? -1 : 1) : a.port - b.port || (a.priority ?? 0) - (b.priority ?? 0)));
    const out: EndpointIR[] = [];
    for (const e of all) {
      const last = out[out.length - 1];
      if (last && last.address === e.address && last.port === e.port) continue;
      out.push(e);
    }
    return { cluster: name, endpoints: out };
  }

  private podFilter(selector: PodSelector): EndpointFilter {
    return (slice, ep) => {
      const labels = this.pods.labelsOf(slice.metadata.namespace ?? 'default', ep);
      return labels !== undefined && selectorMatches(selector, labels);
    };
  }

  /** Keeps the namespace index of selecting clusters in step with a record's source. */
  private setSelecting(name: string, rec: ClusterRecord, to: ServiceEndpointSource | undefined): void {
    if (rec.selector && rec.serviceKey !== undefined) this.selecting.delete(namespaceOf(rec.serviceKey), name);
    if (to?.podSelector) this.selecting.add(to.namespace, name);
  }

  /** Pods changed in these namespaces: the Services of the clusters selecting Pods there are dirty. */
  podsChanged(namespaces: ReadonlySet<string>, dirtyServices: Set<string>): void {
    for (const ns of namespaces) {
      this.selecting.forEach(ns, (name) => {
        const key = this.records.get(name)?.serviceKey;
        if (key !== undefined) dirtyServices.add(key);
      });
    }
  }

  /**
   * The endpoints entry of a cluster with hosts of its own: empty, and left out of the GatewayIR
   * (the assembler keeps one entry per cluster to stay aligned; see GatewayAssembler.finish).
   */
  private ownHosts(use: ClusterUse): ClusterEndpointsIR {
    const name = use.cluster.name;
    let rec = this.records.get(name);
    // A pruned record comes back with its cluster.
    if (!rec) this.records.set(name, (rec = emptyRecord(use.cluster)));
    if (rec.serviceKey !== undefined) this.services.moveCluster(name, rec.serviceKey, undefined);
    this.setSelecting(name, rec, undefined);
    this.setParts(name, rec, undefined);
    rec.serviceKey = undefined;
    rec.selector = undefined;
    if (!rec.endpoints || rec.endpoints.endpoints.length > 0) rec.endpoints = { cluster: name, endpoints: [] };
    return rec.endpoints;
  }

  /** Recomputes the endpoints of the clusters of changed Services; returns the clusters changed. */
  refresh(dirtyServices: ReadonlySet<string>): Set<string> {
    const out = new Set<string>();
    for (const svc of dirtyServices) {
      for (const name of this.services.clustersOf(svc)) {
        const rec = this.records.get(name);
        if (!rec?.endpoints || (rec.serviceKey !== svc && !rec.parts?.some((p) => p.serviceKey === svc))) continue;
        const endpoints = reuse(rec.endpoints, this.compute(rec));
        if (endpoints !== rec.endpoints) {
          rec.endpoints = endpoints;
          out.add(name);
        }
      }
    }
    return out;
  }

  /**
   * Forgets the records (interned ClusterIR and endpoints) of clusters no Gateway uses any more,
   * once they outnumber the used ones (amortised: rarely runs). A dropped cluster is simply
   * created again if it comes back.
   */
  prune(used: number, inUse: (name: string) => boolean): void {
    if (this.records.size <= 2 * used + 1024) return;
    for (const [name, rec] of [...this.records]) {
      if (inUse(name)) continue;
      this.records.delete(name);
      this.services.moveCluster(name, rec.serviceKey, undefined);
      this.setSelecting(name, rec, undefined);
      this.setParts(name, rec, undefined);
    }
  }
}

function emptyRecord(ir: ClusterIR): ClusterRecord {
  return { ir, serviceKey: undefined, portName: '', selector: undefined, endpoints: undefined, parts: undefined, partsKey: undefined };
}

const NO_PARTS: readonly ServicePart[] = [];

function namespaceOf(serviceKey: string): string {
  return serviceKey.slice(0, serviceKey.indexOf('/'));
}
