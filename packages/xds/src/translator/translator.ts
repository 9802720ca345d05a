// GatewayIR -> XdsSnapshot: every Envoy resource encoded once, versioned by content.
//
// Work follows what changed. The gateway translator hands over unchanged IR objects by identity,
// so every encoding is memoised on the IR object it came from (WeakMaps: entries go when the IR
// does). A route change re-encodes that route, then re-assembles its virtual host and route table
// from the cached bytes of everything else; clusters, endpoints, secrets and listeners are reused
// as they are, and resource sets whose IR array did not change are reused whole.
import type {
  ClusterEndpointsIR,
  ClusterIR,
  GatewayIR,
  ListenerIR,
  RouteConfigIR,
  RouteIR,
  TLSSecretIR,
  VirtualHostIR,
} from '@gantry/ir';
import { Cluster, ClusterLoadAssignment, Listener, Secret } from '@gantry/envoy-xds-proto';
import { TypeUrl, type EncodedResource, type ResourceSet, type XdsSnapshot } from '../resources.js';
import { buildCluster } from './cluster.js';
import { buildLoadAssignment } from './endpoints.js';
import { hashBytes, versionOf } from './hash.js';
import { buildListener } from './listener.js';
import { DEFAULT_LISTEN_ADDRESS, type XdsTranslateOptions } from './options.js';
import { dependsOnListener, type ListenerContext } from './route.js';
import {
  encodeRouteConfiguration,
  encodeRoutePart,
  encodeVirtualHostPart,
  type EncodedPart,
} from './route-config.js';
import { buildSecret } from './secret.js';

/** A cached encoding, valid for one listener (`listener` set) or for all (`undefined`). */
interface Variant<T> {
  readonly listener: string | undefined;
  readonly value: T;
}

function findVariant<T>(variants: readonly Variant<T>[] | undefined, listener: string): T | undefined {
  if (variants === undefined) return undefined;
  for (const v of variants) if (v.listener === undefined || v.listener === listener) return v.value;
  return undefined;
}

function addVariant<K extends object, T>(cache: WeakMap<K, Variant<T>[]>, key: K, variant: Variant<T>): void {
  const list = cache.get(key);
  if (list === undefined) cache.set(key, [variant]);
  else list.push(variant);
}

export function encodedResource(name: string, bytes: Uint8Array): EncodedResource {
  return { name, version: versionOf(hashBytes(bytes)), bytes };
}

function listenerKey(l: ListenerIR): string {
  return `${l.protocol}:${l.port}`;
}

interface Previous {
  readonly ir: GatewayIR;
  readonly listenAddress: string;
  readonly snapshot: XdsSnapshot;
}

export class XdsTranslator {
  private readonly routes = new WeakMap<RouteIR, Variant<EncodedPart>[]>();
  private readonly virtualHosts = new WeakMap<VirtualHostIR, Variant<EncodedPart>[]>();
  private readonly routeConfigs = new WeakMap<RouteConfigIR, Variant<EncodedResource>[]>();
  private readonly listeners = new WeakMap<ListenerIR, { readonly address: string; readonly resource: EncodedResource }>();
  private readonly clusters = new WeakMap<ClusterIR, EncodedResource>();
  private readonly assignments = new WeakMap<ClusterEndpointsIR, EncodedResource>();
  private readonly emptyAssignments = new WeakMap<ClusterIR, EncodedResource>();
  private readonly secrets = new WeakMap<TLSSecretIR, EncodedResource>();
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
      let cached = this.listeners.get(l);
      if (cached === undefined || cached.address !== address) {
        cached = { address, resource: encodedResource(l.name, Listener.encode(buildListener(l, address)).finish()) };
        this.listeners.set(l, cached);
      }
      out.set(l.name, cached.resource);
    }
    return out;
  }

  private routeConfigSet(listeners: readonly ListenerIR[]): ResourceSet {
    const out = new Map<string, EncodedResource>();
    for (const l of listeners) {
      const ctx: ListenerContext = { protocol: l.protocol, port: l.port };
      const key = listenerKey(l);
      for (const chain of l.filterChains) {
        const rc = chain.routeConfig;
        let resource = findVariant(this.routeConfigs.get(rc), key);
        if (resource === undefined) {
          let listenerSpecific = false;
          const vhosts = rc.virtualHosts.map((vh) => {
            const part = this.virtualHostPart(vh, ctx, key);
            listenerSpecific ||= part.listenerSpecific;
            return part.part;
          });
          const { bytes, hash } = encodeRouteConfiguration(rc.name, vhosts);
          resource = { name: rc.name, version: versionOf(hash), bytes };
          addVariant(this.routeConfigs, rc, { listener: listenerSpecific ? key : undefined, value: resource });
        }
        out.set(rc.name, resource);
      }
    }
    return out;
  }

  private virtualHostPart(vh: VirtualHostIR, ctx: ListenerContext, key: string): { part: EncodedPart; listenerSpecific: boolean } {
    const variants = this.virtualHosts.get(vh);
    if (variants !== undefined) {
      for (const v of variants) {
        if (v.listener === undefined || v.listener === key) return { part: v.value, listenerSpecific: v.listener !== undefined };
      }
    }
    let listenerSpecific = false;
    const routes = vh.routes.map((r) => {
      listenerSpecific ||= dependsOnListener(r);
      return this.routePart(r, ctx, key);
    });
    const part = encodeVirtualHostPart(vh.name, vh.domains, routes);
    addVariant(this.virtualHosts, vh, { listener: listenerSpecific ? key : undefined, value: part });
    return { part, listenerSpecific };
  }

  private routePart(r: RouteIR, ctx: ListenerContext, key: string): EncodedPart {
    let part = findVariant(this.routes.get(r), key);
    if (part === undefined) {
      part = encodeRoutePart(r, ctx);
      addVariant(this.routes, r, { listener: dependsOnListener(r) ? key : undefined, value: part });
    }
    return part;
  }

  // ---- clusters, endpoints, secrets ----

  private clusterSet(clusters: readonly ClusterIR[]): ResourceSet {
    const out = new Map<string, EncodedResource>();
    for (const c of clusters) {
      let resource = this.clusters.get(c);
      if (resource === undefined) {
        resource = encodedResource(c.name, Cluster.encode(buildCluster(c)).finish());
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
        resource = encodedResource(e.cluster, ClusterLoadAssignment.encode(buildLoadAssignment(e)).finish());
        this.assignments.set(e, resource);
      }
      out.set(e.cluster, resource);
    }
    if (out.size < clusters.length) {
      for (const c of clusters) {
        if (out.has(c.name)) continue;
        let resource = this.emptyAssignments.get(c);
        if (resource === undefined) {
          const bytes = ClusterLoadAssignment.encode(buildLoadAssignment({ cluster: c.name, endpoints: [] })).finish();
          resource = encodedResource(c.name, bytes);
          this.emptyAssignments.set(c, resource);
        }
        out.set(c.name, resource);
      }
      return new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return out;
  }

  private secretSet(secrets: readonly TLSSecretIR[]): ResourceSet {
    const out = new Map<string, EncodedResource>();
    for (const s of secrets) {
      let resource = this.secrets.get(s);
      if (resource === undefined) {
        resource = encodedResource(s.name, Secret.encode(buildSecret(s)).finish());
        this.secrets.set(s, resource);
      }
      out.set(s.name, resource);
    }
    return out;
  }
}

/** One-shot translation (no memo kept): `gantry translate`, tests. */
export function translateXds(ir: GatewayIR, opts?: XdsTranslateOptions): XdsSnapshot {
  return new XdsTranslator().translate(ir, opts);
}
