// GatewayIR -> XdsSnapshot: every Envoy resource encoded once, versioned by content.
//
// Work follows what changed. The gateway translator hands over unchanged IR objects by identity,
// so every encoding is memoised on the IR object it came from (WeakMaps: entries go when the IR
// does). A route change re-encodes that route, then re-assembles its route table from the cached
// bytes of everything else (route-config.ts); clusters, endpoints, secrets and listeners are
// reused as they are, and resource sets whose IR array did not change are reused whole.
import type { ClusterEndpointsIR, ClusterIR, GatewayIR, ListenerIR, TLSSecretIR } from '@gantry/ir';
import { Listener, Secret } from '@gantry/envoy-xds-proto';
import { TypeUrl, type EncodedResource, type ResourceSet, type XdsSnapshot } from '../resources.js';
import { ClusterEncoder } from './cluster.js';
import { encodeLoadAssignment } from './endpoints.js';
import { hashBytes, versionOf } from './hash.js';
import { buildListener } from './listener.js';
import { DEFAULT_LISTEN_ADDRESS, type XdsTranslateOptions } from './options.js';
import { RouteTableEncoder } from './route-config.js';
import { buildSecret } from './secret.js';
import { encodeMessage } from './wire.js';

export function encodedResource(name: string, bytes: Uint8Array): EncodedResource {
  return { name, version: versionOf(hashBytes(bytes)), bytes };
}

interface Previous {
  readonly ir: GatewayIR;
  readonly listenAddress: string;
  readonly snapshot: XdsSnapshot;
}

export class XdsTranslator {
  private readonly routeTables = new RouteTableEncoder();
  private readonly listeners = new WeakMap<ListenerIR, { readonly address: string; readonly resource: EncodedResource }>();
  private readonly clusters = new WeakMap<ClusterIR, EncodedResource>();
  private readonly assignments = new WeakMap<ClusterEndpointsIR, EncodedResource>();
  private readonly emptyAssignments = new WeakMap<ClusterIR, EncodedResource>();
  private readonly secrets = new WeakMap<TLSSecretIR, EncodedResource>();
  private readonly clusterEncoder = new ClusterEncoder();
  private previous: Previous | undefined;

  translate(ir: GatewayIR, opts: XdsTranslateOptions = {}): XdsSnapshot {
    const listenAddress = opts.listenAddress ?? DEFAULT_LISTEN_ADDRESS;
    const prev = this.previous;
    if (prev !== undefined && prev.ir === ir && prev.listenAddress === listenAddress) return prev.snapshot;

    const sameListeners = prev !== undefined && prev.ir.listeners === ir.listeners && prev.listenAddress === listenAddress;
    const sameClusters = prev !== undefined && prev.ir.clusters === ir.clusters;
    const snapshot: XdsSnapshot = {
      [TypeUrl.Listener]: sameListeners ? prev.snapshot[TypeUrl.Listener] : this.listenerSet(ir.listeners, listenAddress),
      [TypeUrl.RouteConfiguration]: sameListeners ? prev.snapshot[TypeUrl.RouteConfiguration] : this.routeConfigSet(ir.listeners),
      [TypeUrl.Cluster]: sameClusters ? prev.snapshot[TypeUrl.Cluster] : this.clusterSet(ir.clusters),
      [TypeUrl.ClusterLoadAssignment]:
        sameClusters && prev.ir.endpoints === ir.endpoints
          ? prev.snapshot[TypeUrl.ClusterLoadAssignment]
          : this.assignmentSet(ir.clusters, ir.endpoints),
      [TypeUrl.Secret]: prev !== undefined && prev.ir.secrets === ir.secrets ? prev.snapshot[TypeUrl.Secret] : this.secretSet(ir.secrets),
    };
    this.previous = { ir, listenAddress, snapshot };
    return snapshot;
  }

  // ---- listeners and routes ----

  private listenerSet(listeners: readonly ListenerIR[], address: string): ResourceSet {
    const out = new Map<string, EncodedResource>();
    for (const l of listeners) {
      // Envoy rejects a listener without filter chains (and with it the whole LDS update).
      if (l.filterChains.length === 0) continue;
      let cached = this.listeners.get(l);
      if (cached === undefined || cached.address !== address) {
        cached = { address, resource: encodedResource(l.name, encodeMessage(Listener.encode, buildListener(l, address))) };
        this.listeners.set(l, cached);
      }
      out.set(l.name, cached.resource);
    }
    return out;
  }

  private routeConfigSet(listeners: readonly ListenerIR[]): ResourceSet {
    return this.routeTables.encode(listeners);
  }

  // ---- clusters, endpoints, secrets ----

  private clusterSet(clusters: readonly ClusterIR[]): ResourceSet {
    const out = new Map<string, EncodedResource>();
    for (const c of clusters) {
      let resource = this.clusters.get(c);
      if (resource === undefined) {
        resource = encodedResource(c.name, this.clusterEncoder.encode(c));
        this.clusters.set(c, resource);
      }
      out.set(c.name, resource);
    }
    return out;
  }

  /**
   * One assignment per cluster. A cluster without endpoints still gets an empty one: an EDS
   * cluster stays warming (and holds up listener updates) until its assignment arrives.
   */
  private assignmentSet(clusters: readonly ClusterIR[], endpoints: readonly ClusterEndpointsIR[]): ResourceSet {
    const out = new Map<string, EncodedResource>();
    for (const e of endpoints) {
      let resource = this.assignments.get(e);
      if (resource === undefined) {
        resource = encodedResource(e.cluster, encodeLoadAssignment(e));
        this.assignments.set(e, resource);
      }
      out.set(e.cluster, resource);
    }
    // The gateway translator lists endpoints in cluster order, one per cluster: nothing to add then.
    if (alignedByName(clusters, endpoints)) return out;
    let added = false;
    for (const c of clusters) {
      if (out.has(c.name)) continue;
      let resource = this.emptyAssignments.get(c);
      if (resource === undefined) {
        resource = encodedResource(c.name, encodeLoadAssignment({ cluster: c.name, endpoints: [] }));
        this.emptyAssignments.set(c, resource);
      }
      out.set(c.name, resource);
      added = true;
    }
    return added ? new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : out;
  }

  private secretSet(secrets: readonly TLSSecretIR[]): ResourceSet {
    const out = new Map<string, EncodedResource>();
    for (const s of secrets) {
      let resource = this.secrets.get(s);
      if (resource === undefined) {
        resource = encodedResource(s.name, encodeMessage(Secret.encode, buildSecret(s)));
        this.secrets.set(s, resource);
      }
      out.set(s.name, resource);
    }
    return out;
  }
}

/** True when `endpoints[i]` is the assignment of `clusters[i]` for every i. */
function alignedByName(clusters: readonly ClusterIR[], endpoints: readonly ClusterEndpointsIR[]): boolean {
  if (clusters.length !== endpoints.length) return false;
  for (let i = 0; i < clusters.length; i++) if ((clusters[i] as ClusterIR).name !== (endpoints[i] as ClusterEndpointsIR).cluster) return false;
  return true;
}

/** One-shot translation (no memo kept): `gantry translate`, tests. */
export function translateXds(ir: GatewayIR, opts?: XdsTranslateOptions): XdsSnapshot {
  return new XdsTranslator().translate(ir, opts);
}
