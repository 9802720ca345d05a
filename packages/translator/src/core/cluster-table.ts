// The clusters routes use, interned by name so that equal ClusterIRs keep one identity, with
// their endpoints: computed when a Gateway first asks, recomputed only when their Service's
// EndpointSlices change (the EDS fast path), forgotten when no Gateway uses them any more.
import type { ClusterEndpointsIR, ClusterIR, UpstreamProtocol } from '@gantry/ir';
import type { ClusterUse } from '../backends/backend.js';
import { clusterEndpoints } from './endpoint-slices.js';
import { deepEqual, reuse } from './equality.js';
import type { ServiceIndex } from './service-index.js';

interface ClusterRecord {
  ir: ClusterIR;
  /** Set once the cluster's endpoints were asked for: where they come from, and what they are. */
  serviceKey: string | undefined;
  portName: string;
  endpoints: ClusterEndpointsIR | undefined;
}

export class ClusterTable {
  private readonly records = new Map<string, ClusterRecord>();

  constructor(private readonly services: ServiceIndex) {}

  get size(): number {
    return this.records.size;
  }

  /** The cluster of this name and protocol, the same object while they stay the same. */
  readonly intern = (name: string, protocol: UpstreamProtocol): ClusterIR => {
    const rec = this.records.get(name);
    if (rec && rec.ir.protocol === protocol) return rec.ir;
    const ir: ClusterIR = { name, protocol };
    if (rec) rec.ir = ir;
    else this.records.set(name, { ir, serviceKey: undefined, portName: '', endpoints: undefined });
    return ir;
  };

  /** The interned cluster equal to this one (Upstream clusters carry policies), else this one. */
  readonly internLike = (cluster: ClusterIR): ClusterIR => {
    const rec = this.records.get(cluster.name);
    if (rec && (rec.ir === cluster || deepEqual(rec.ir, cluster))) return rec.ir;
    if (rec) rec.ir = cluster;
    else this.records.set(cluster.name, { ir: cluster, serviceKey: undefined, portName: '', endpoints: undefined });
    return cluster;
  };

  /** A used cluster's endpoints (the assemblers ask for each cluster they place). */
  readonly endpointsOf = (use: ClusterUse): ClusterEndpointsIR => {
    const name = use.cluster.name;
    if (use.source.kind === 'ownHosts') return this.ownHosts(use);
    const { serviceKey, portName } = use.source;
    let rec = this.records.get(name);
    if (rec?.endpoints && rec.serviceKey === serviceKey && rec.portName === portName) return rec.endpoints;
    // A pruned record comes back with its cluster.
    if (!rec) this.records.set(name, (rec = { ir: use.cluster, serviceKey: undefined, portName: '', endpoints: undefined }));
    const endpoints = reuse(rec.endpoints, clusterEndpoints(name, portName, this.services.slicesOf(serviceKey)));
    this.services.moveCluster(name, rec.serviceKey, serviceKey);
    rec.serviceKey = serviceKey;
    rec.portName = portName;
    rec.endpoints = endpoints;
    return endpoints;
  };

  /**
   * The endpoints entry of a cluster with hosts of its own: empty, and left out of the GatewayIR
   * (the assembler keeps one entry per cluster to stay aligned; see GatewayAssembler.finish).
   */
  private ownHosts(use: ClusterUse): ClusterEndpointsIR {
    const name = use.cluster.name;
    let rec = this.records.get(name);
    // A pruned record comes back with its cluster.
    if (!rec) this.records.set(name, (rec = { ir: use.cluster, serviceKey: undefined, portName: '', endpoints: undefined }));
    if (rec.serviceKey !== undefined) this.services.moveCluster(name, rec.serviceKey, undefined);
    rec.serviceKey = undefined;
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
        const endpoints = reuse(rec.endpoints, clusterEndpoints(name, rec.portName, this.services.slicesOf(svc)));
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
    }
  }
}
