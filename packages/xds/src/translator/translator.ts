// GatewayIR -> XdsSnapshot: every Envoy resource encoded once, versioned by content.
//
// Work follows what changed. The gateway translator hands over unchanged IR objects by identity,
// so every encoding is memoised on the IR object it came from (WeakMaps: entries go when the IR
// does). A route change re-encodes that route, then re-assembles its route table from the cached
// bytes of everything else (route-config.ts); clusters, endpoints, secrets and listeners are
// reused as they are, resource sets whose IR array did not change are reused whole, and the
// cluster and endpoint sets (sorted by name) are patched where a few entries changed.
import type { ClusterEndpointsIR, ClusterIR, GatewayIR, L4ListenerIR, ListenerIR, TLSSecretIR } from '@gantry/ir';
import { Listener } from '@gantry/envoy-xds-proto/generated/envoy/config/listener/v3/listener';
import { Secret } from '@gantry/envoy-xds-proto/generated/envoy/extensions/transport_sockets/tls/v3/secret';
import { TypeUrl, type EncodedResource, type ResourceSet, type XdsSnapshot } from '../resources.js';
import { diffResourceSets, type ChangeHint } from '../cache/changes.js';
import { SortedResourceSet } from '../sorted-resource-set.js';
import { ClusterEncoder } from './cluster.js';
import { usesEds } from './cluster-discovery.js';
import { encodeLoadAssignment } from './endpoints.js';
import { hashBytes, versionOf } from './hash.js';
import { buildL4Listener, buildListener, type HcmOptions } from './listener.js';
import { DEFAULT_LISTEN_ADDRESS, accessLogKey, type XdsTranslateOptions } from './options.js';
import { DEFAULT_ROUTE_LAYOUT, RouteTableEncoder, type RouteLayout } from './route-config.js';
import { NO_CHANGES, findSorted, sortedChanges, type SortedChanges } from './sorted-diff.js';
import { buildSecret } from './secret.js';
import { encodeMessage } from './wire.js';
import type { XdsFailure } from './failures.js';
import { safeErrorMessage } from '@gantry/ir';

export function encodedResource(name: string, bytes: Uint8Array): EncodedResource {
  return { name, version: versionOf(hashBytes(bytes)), bytes };
}

interface Previous {
  readonly ir: GatewayIR;
  readonly listenAddress: string;
  /** accessLogKey of the options' access log. */
  readonly accessLog: string;
  readonly layout: RouteLayout;
  readonly snapshot: XdsSnapshot;
}

/** Above this many changed clusters or endpoints a set is rebuilt rather than patched. */
const PATCH_LIMIT = 256;

const clusterName = (c: ClusterIR): string => c.name;
const endpointsName = (e: ClusterEndpointsIR): string => e.cluster;

export class XdsTranslator {
  private readonly routeTables = new RouteTableEncoder();
  private readonly listeners = new WeakMap<ListenerIR | L4ListenerIR, { readonly address: string; readonly accessLog: string; readonly layout: RouteLayout; readonly resource: EncodedResource }>();
  /** The last HTTP listener encoded under each name, with the IR it was encoded from. */
  private readonly listenerByName = new Map<string, { readonly ir: ListenerIR; readonly address: string; readonly accessLog: string; readonly layout: RouteLayout; readonly resource: EncodedResource }>();
  private readonly clusters = new WeakMap<ClusterIR, EncodedResource>();
  private readonly assignments = new WeakMap<ClusterEndpointsIR, EncodedResource>();
  private readonly emptyAssignments = new WeakMap<ClusterIR, EncodedResource>();
  private readonly secrets = new WeakMap<TLSSecretIR, EncodedResource>();
  private readonly clusterEncoder = new ClusterEncoder();
  /** IR objects whose encoding threw, with what failed (kept while the object is in the IR). */
  private readonly failed = new Map<object, XdsFailure>();
  private previous: Previous | undefined;

  /**
   * What the last translate() changed since the one before, per type (a missing type did not
   * change), for SnapshotCache.set: a few names instead of a diff of ten thousand entries.
   * Undefined after the first translation, which has nothing to compare with.
   */
  lastChanges: ChangeHint | undefined;

  translate(ir: GatewayIR, opts: XdsTranslateOptions = {}): XdsSnapshot {
    const listenAddress = opts.listenAddress ?? DEFAULT_LISTEN_ADDRESS;
    const accessLog = accessLogKey(opts.accessLog);
    const layout = opts.routeLayout ?? DEFAULT_ROUTE_LAYOUT;
    const prev = this.previous;
    if (prev !== undefined && prev.ir === ir && prev.listenAddress === listenAddress && prev.accessLog === accessLog && prev.layout === layout) {
      this.lastChanges = {};
      return prev.snapshot;
    }

    const sameListeners =
      prev !== undefined &&
      prev.ir.listeners === ir.listeners &&
      prev.ir.l4Listeners === ir.l4Listeners &&
      prev.listenAddress === listenAddress &&
      prev.accessLog === accessLog &&
      prev.layout === layout;
    const routeTables = sameListeners ? undefined : this.routeTables.encode(ir.listeners, layout);
    const sameClusters = prev !== undefined && prev.ir.clusters === ir.clusters;
    // Which clusters changed, walked once for both the cluster and the assignment set.
    const clusterChanges = prev === undefined ? undefined : sameClusters ? NO_CHANGES : sortedChanges(prev.ir.clusters, ir.clusters, clusterName, PATCH_LIMIT);
    const snapshot: XdsSnapshot = {
      [TypeUrl.Listener]: sameListeners ? prev.snapshot[TypeUrl.Listener] : this.listenerSet(ir.listeners, ir.l4Listeners, listenAddress, { layout, ...(opts.accessLog !== undefined ? { accessLog: opts.accessLog } : {}) }),
      [TypeUrl.RouteConfiguration]: routeTables === undefined ? prev!.snapshot[TypeUrl.RouteConfiguration] : routeTables.routes,
      [TypeUrl.ScopedRouteConfiguration]: routeTables === undefined ? prev!.snapshot[TypeUrl.ScopedRouteConfiguration] : this.sameOr(prev?.snapshot[TypeUrl.ScopedRouteConfiguration], routeTables.scopes),
      [TypeUrl.Cluster]: sameClusters ? prev.snapshot[TypeUrl.Cluster] : this.clusterSet(ir.clusters, prev, clusterChanges),
      [TypeUrl.ClusterLoadAssignment]:
        sameClusters && prev.ir.endpoints === ir.endpoints
          ? prev.snapshot[TypeUrl.ClusterLoadAssignment]
          : this.assignmentSet(ir.clusters, ir.endpoints, prev, clusterChanges),
      [TypeUrl.Secret]: prev !== undefined && prev.ir.secrets === ir.secrets ? prev.snapshot[TypeUrl.Secret] : this.secretSet(ir.secrets),
    };
    this.lastChanges = prev === undefined ? undefined : this.changesSince(prev.snapshot, snapshot);
    this.pruneFailures(ir);
    this.previous = { ir, listenAddress, accessLog, layout, snapshot };
    return snapshot;
  }

  /**
   * What could not be encoded in the current snapshot (empty nearly always). Each failing object
   * was left out, or replaced by a stand-in (a route answering 500, a cluster without hosts).
   */
  get failures(): readonly XdsFailure[] {
    return [...this.failed.values(), ...this.routeTables.failures.values()];
  }

  private isolated<T>(key: object, kind: XdsFailure['kind'], name: string, encode: () => T): T | undefined {
    try {
      return encode();
    } catch (err) {
      this.failed.set(key, { kind, name, message: safeErrorMessage(err) });
      return undefined;
    }
  }

  /** Forgets failures of objects no longer in the IR (a walk, only while there are failures). */
  private pruneFailures(ir: GatewayIR): void {
    const routeFailures = this.routeTables.failures;
    if (this.failed.size === 0 && routeFailures.size === 0) return;
    const present = new Set<object>([...ir.listeners, ...ir.clusters, ...ir.endpoints, ...ir.secrets]);
    for (const l of ir.listeners) {
      for (const chain of l.filterChains) for (const vh of chain.routeConfig.virtualHosts) for (const r of vh.routes) present.add(r);
    }
    for (const key of this.failed.keys()) if (!present.has(key)) this.failed.delete(key);
    for (const key of routeFailures.keys()) if (!present.has(key)) routeFailures.delete(key);
  }

  /** Sets sorted by name are compared in one walk of mostly identical entries; the rest are small. */
  private changesSince(before: XdsSnapshot, after: XdsSnapshot): ChangeHint {
    const out: Partial<Record<TypeUrl, Iterable<string>>> = {};
    for (const type of Object.values(TypeUrl)) {
      if (before[type] !== after[type]) out[type] = diffResourceSets(before[type], after[type]);
    }
    return out;
  }

  // ---- listeners and routes ----

  private listenerSet(listeners: readonly ListenerIR[], l4: readonly L4ListenerIR[] | undefined, address: string, opts: HcmOptions): ResourceSet {
    const out = new Map<string, EncodedResource>();
    const logKey = accessLogKey(opts.accessLog);
    const layout = opts.layout ?? DEFAULT_ROUTE_LAYOUT;
    for (const l of l4 ?? []) {
      if (l.chains.length === 0) continue;
      let cached = this.listeners.get(l);
      if (cached === undefined || cached.address !== address) {
        cached = { address, accessLog: logKey, layout, resource: encodedResource(l.name, encodeMessage(Listener.encode, buildL4Listener(l, address))) };
        this.listeners.set(l, cached);
      }
      out.set(l.name, cached.resource);
    }
    for (const l of listeners) {
      // Envoy rejects a listener without filter chains (and with it the whole LDS update).
      if (l.filterChains.length === 0) continue;
      let cached = this.listeners.get(l);
      if (cached === undefined || cached.address !== address || cached.accessLog !== logKey || cached.layout !== layout) {
        // A route change makes a new ListenerIR (its route table changed), but the listener's
        // bytes name its route tables, not their contents: the last encoding of this listener
        // name is reused when everything it is made of is the same.
        const last = this.listenerByName.get(l.name);
        if (last !== undefined && last.address === address && last.accessLog === logKey && last.layout === layout && sameListenerShape(last.ir, l)) {
          this.listeners.set(l, { address, accessLog: logKey, layout, resource: last.resource });
          this.listenerByName.set(l.name, { ...last, ir: l });
          out.set(l.name, last.resource);
          continue;
        }
        const resource = this.isolated(l, 'listener', l.name, () => encodedResource(l.name, encodeMessage(Listener.encode, buildListener(l, address, opts))));
        // A listener that cannot be encoded is left out; the other listeners are served.
        if (resource === undefined) continue;
        cached = { address, accessLog: logKey, layout, resource };
        this.listeners.set(l, cached);
        this.listenerByName.set(l.name, { ...cached, ir: l });
      }
      out.set(l.name, cached.resource);
    }
    if (this.listenerByName.size > listeners.length) for (const name of this.listenerByName.keys()) if (!out.has(name)) this.listenerByName.delete(name);
    return out;
  }

  /** The scopes only change with a table's shard count: keep the previous set when they did not. */
  private sameOr(before: ResourceSet | undefined, after: Map<string, EncodedResource>): ResourceSet {
    if (before === undefined || before.size !== after.size) return after;
    for (const [name, resource] of after) if (before.get(name) !== resource) return after;
    return before;
  }

  // ---- clusters, endpoints, secrets ----

  private clusterSet(clusters: readonly ClusterIR[], prev: Previous | undefined, changes: SortedChanges<ClusterIR> | undefined): ResourceSet {
    const before = prev?.snapshot[TypeUrl.Cluster];
    if (changes !== undefined && before instanceof SortedResourceSet) {
      return before.with(changes.removed.map(clusterName), changes.added.map((c) => this.clusterResource(c)));
    }
    return SortedResourceSet.of(clusters.map((c) => this.clusterResource(c)));
  }

  private clusterResource(c: ClusterIR): EncodedResource {
    let resource = this.clusters.get(c);
    if (resource === undefined) {
      // A cluster that cannot be encoded is served without its policies and hosts (requests to it
      // fail) rather than failing the whole snapshot.
      resource =
        this.isolated(c, 'cluster', c.name, () => encodedResource(c.name, this.clusterEncoder.encode(c))) ??
        encodedResource(c.name, this.clusterEncoder.encode({ name: c.name, protocol: c.protocol, discovery: { type: 'static', hosts: [] } }));
      this.clusters.set(c, resource);
    }
    return resource;
  }

  /**
   * One assignment per EDS cluster. A cluster without endpoints still gets an empty one: an EDS
   * cluster stays warming (and holds up listener updates) until its assignment arrives. Clusters
   * with hosts of their own (static, strict DNS) get none, and endpoints listed for them are
   * ignored (validate() reports them).
   */
  private assignmentSet(
    clusters: readonly ClusterIR[],
    endpoints: readonly ClusterEndpointsIR[],
    prev: Previous | undefined,
    clusterChanges: SortedChanges<ClusterIR> | undefined,
  ): ResourceSet {
    const before = prev?.snapshot[TypeUrl.ClusterLoadAssignment];
    if (prev !== undefined && clusterChanges !== undefined && before instanceof SortedResourceSet) {
      const endpointChanges = sortedChanges(prev.ir.endpoints, endpoints, endpointsName, PATCH_LIMIT);
      if (endpointChanges !== undefined) {
        const names = new Set<string>();
        for (const c of [...clusterChanges.removed, ...clusterChanges.added]) names.add(c.name);
        for (const e of [...endpointChanges.removed, ...endpointChanges.added]) names.add(e.cluster);
        const removed: string[] = [];
        const upserts: EncodedResource[] = [];
        for (const name of names) {
          const resource = this.assignmentOf(name, clusters, endpoints);
          if (resource === undefined) removed.push(name);
          else upserts.push(resource);
        }
        return before.with(removed, upserts);
      }
    }
    const paired = this.pairedAssignments(clusters, endpoints);
    if (paired !== undefined) return SortedResourceSet.of(paired);
    const ownHosts = new Set<string>();
    for (const c of clusters) if (!usesEds(c)) ownHosts.add(c.name);
    const resources: EncodedResource[] = [];
    for (const e of endpoints) if (!ownHosts.has(e.cluster)) resources.push(this.assignmentResource(e));
    const listed = new Set(endpoints.map(endpointsName));
    for (const c of clusters) if (usesEds(c) && !listed.has(c.name)) resources.push(this.emptyAssignment(c));
    return SortedResourceSet.of(resources);
  }

  /**
   * The gateway translator lists endpoints in cluster order, one per EDS cluster (and none, or
   * one, for the others): then the assignments follow from one walk, without name sets.
   * Undefined when the lists are not paired so.
   */
  private pairedAssignments(clusters: readonly ClusterIR[], endpoints: readonly ClusterEndpointsIR[]): EncodedResource[] | undefined {
    const out: EncodedResource[] = [];
    let j = 0;
    for (const c of clusters) {
      const e = endpoints[j];
      if (e !== undefined && e.cluster === c.name) {
        j++;
        if (usesEds(c)) out.push(this.assignmentResource(e));
      } else if (usesEds(c)) {
        return undefined;
      }
    }
    return j === endpoints.length ? out : undefined;
  }

  /** The assignment served for a cluster name: its endpoints, else empty if it is an EDS cluster. */
  private assignmentOf(name: string, clusters: readonly ClusterIR[], endpoints: readonly ClusterEndpointsIR[]): EncodedResource | undefined {
    const c = findSorted(clusters, clusterName, name);
    if (c !== undefined && !usesEds(c)) return undefined;
    const e = findSorted(endpoints, endpointsName, name);
    if (e !== undefined) return this.assignmentResource(e);
    return c === undefined ? undefined : this.emptyAssignment(c);
  }

  private assignmentResource(e: ClusterEndpointsIR): EncodedResource {
    let resource = this.assignments.get(e);
    if (resource === undefined) {
      resource =
        this.isolated(e, 'endpoints', e.cluster, () => encodedResource(e.cluster, encodeLoadAssignment(e))) ??
        encodedResource(e.cluster, encodeLoadAssignment({ cluster: e.cluster, endpoints: [] }));
      this.assignments.set(e, resource);
    }
    return resource;
  }

  private emptyAssignment(c: ClusterIR): EncodedResource {
    let resource = this.emptyAssignments.get(c);
    if (resource === undefined) {
      resource = encodedResource(c.name, encodeLoadAssignment({ cluster: c.name, endpoints: [] }));
      this.emptyAssignments.set(c, resource);
    }
    return resource;
  }

  private secretSet(secrets: readonly TLSSecretIR[]): ResourceSet {
    const out = new Map<string, EncodedResource>();
    for (const s of secrets) {
      let resource = this.secrets.get(s);
      if (resource === undefined) {
        resource = this.isolated(s, 'secret', s.name, () => encodedResource(s.name, encodeMessage(Secret.encode, buildSecret(s))));
        if (resource === undefined) continue;
        this.secrets.set(s, resource);
      }
      out.set(s.name, resource);
    }
    return out;
  }
}

function sameStrings(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Whether two HTTP listeners encode to the same bytes: everything buildListener reads (name, port,
 * protocol, and per chain its name, SNI names, secrets, client validation and route table name),
 * never the routes, which come over RDS.
 */
function sameListenerShape(a: ListenerIR, b: ListenerIR): boolean {
  if (a.name !== b.name || a.port !== b.port || a.protocol !== b.protocol || a.filterChains.length !== b.filterChains.length) return false;
  for (let i = 0; i < a.filterChains.length; i++) {
    const x = a.filterChains[i]!;
    const y = b.filterChains[i]!;
    if (x === y) continue;
    if (x.name !== y.name || x.routeConfig.name !== y.routeConfig.name || x.clientValidation !== y.clientValidation) return false;
    if (!sameStrings(x.serverNames, y.serverNames) || !sameStrings(x.tlsSecrets, y.tlsSecrets)) return false;
  }
  return true;
}

/** One-shot translation (no memo kept): `gantry translate`, tests. */
export function translateXds(ir: GatewayIR, opts?: XdsTranslateOptions): XdsSnapshot {
  return new XdsTranslator().translate(ir, opts);
}
