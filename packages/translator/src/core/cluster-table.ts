// The clusters routes use, interned by name so that equal ClusterIRs keep one identity, with
// their endpoints: computed when a Gateway first asks, recomputed only when their Service's
// EndpointSlices (or, for a pod selector, the labels of Pods in its namespace) change (the EDS
// fast path), forgotten when no Gateway uses them any more.
import type { ClusterEndpointsIR, ClusterIR, UpstreamProtocol } from '@gantry/ir';
import type { ClusterUse, ServiceEndpointSource } from '../backends/backend.js';
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
    const { serviceKey, portName, podSelector } = use.source;
    let rec = this.records.get(name);
    if (rec?.endpoints && rec.serviceKey === serviceKey && rec.portName === portName && rec.selector?.key === podSelector?.key) return rec.endpoints;
    // A pruned record comes back with its cluster.
    if (!rec) this.records.set(name, (rec = emptyRecord(use.cluster)));
    this.services.moveCluster(name, rec.serviceKey, serviceKey);
    this.setSelecting(name, rec, use.source);
    rec.serviceKey = serviceKey;
    rec.portName = portName;
    rec.selector = podSelector;
    rec.endpoints = reuse(rec.endpoints, this.compute(rec));
    return rec.endpoints;
  };

  /** How many endpoints of a Service port a selector keeps. */
  countServiceEndpoints(serviceKey: string, portName: string, selector: PodSelector | undefined): number {
    return countEndpoints(portName, this.services.slicesOf(serviceKey), selector && this.podFilter(selector));
  }

  /** A record's endpoints: its Service port's, kept to the Pods its selector picks. */
  private compute(rec: ClusterRecord): ClusterEndpointsIR {
    const selector = rec.selector;
    return clusterEndpoints(rec.ir.name, rec.portName, this.services.slicesOf(rec.serviceKey as string), selector && this.podFilter(selector));
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
        if (!rec?.endpoints || rec.serviceKey !== svc) continue;
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
    }
  }
}

function emptyRecord(ir: ClusterIR): ClusterRecord {
  return { ir, serviceKey: undefined, portName: '', selector: undefined, endpoints: undefined };
}

function namespaceOf(serviceKey: string): string {
  return serviceKey.slice(0, serviceKey.indexOf('/'));
}
