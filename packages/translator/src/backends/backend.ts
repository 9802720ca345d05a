// What a backend kind is to the translator: a resolver from a backendRef to a cluster and where
// its endpoints come from, looked up by `group/kind`. Each kind is one module (service.ts, ...)
// listed in registry.ts.
import type { ClusterIR, HashPolicyIR, UpstreamProtocol, UpstreamTlsIR } from '@gantry/ir';
import type { BackendObjectReference, KubeObject } from '@gantry/api';
import { Reason } from '../status/conditions.js';
import type { Lookups } from '../core/lookups.js';
import type { PodSelector } from '../core/pod-index.js';
import type { StatusReport } from '../status/reports.js';

export interface BackendContext {
  /** The referring route: its kind and namespace (for defaults and ReferenceGrants). */
  readonly fromKind: string;
  readonly fromNamespace: string;
  readonly lookups: Lookups;
  /** Interns ClusterIR objects so that equal clusters keep one identity. */
  readonly cluster: (name: string, protocol: UpstreamProtocol) => ClusterIR;
  /** The same for a cluster with more than a name and protocol (the equal interned one, or this). */
  readonly clusterLike: (cluster: ClusterIR) => ClusterIR;
  /**
   * The controller's install namespace: Upstreams there (the administrators' and discovery's)
   * may name Services in any namespace.
   */
  readonly installNamespace: string;
  /** Routes may name Services directly (false: only Upstreams; the switch of the same name). */
  readonly kubernetesDestinations: boolean;
  /** TLS to a backend from a policy that targets it (BackendTLSPolicy); undefined: none. */
  readonly backendTls?: (target: BackendTlsTarget, lookups: Lookups) => BackendTlsChoice | undefined;
}

/** A backend object a TLS policy may target: a Service (sectionName: its port's name), an Upstream. */
export interface BackendTlsTarget {
  readonly group: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly sectionName?: string;
}

/** TLS settings for a backend, or why requests to it must fail (never plaintext instead). */
export type BackendTlsChoice =
  | { readonly ok: true; readonly tls: UpstreamTlsIR; readonly policy: string }
  | { readonly ok: false; readonly policy: string; readonly message: string };

export type BackendResolution =
  | {
      readonly ok: true;
      readonly cluster: ClusterIR;
      readonly source: EndpointSource;
      readonly websocket: boolean;
      /** What a consistent-hash load balancer of the cluster hashes on (the route carries it). */
      readonly hashPolicies?: readonly HashPolicyIR[];
      /** Said in the route's ResolvedRefs message although the reference resolved (e.g. an ignored port). */
      readonly note?: string;
      /** The Host header sent to this backend (a VirtualDestination's host with rewriteHost). */
      readonly hostRewrite?: string;
    }
  | { readonly ok: false; readonly reason: string; readonly message: string };

export interface BackendResolver {
  /** The backendRef's group ('' for core) and kind this resolver serves. */
  readonly group: string;
  readonly kind: string;
  resolve(ref: BackendObjectReference, ctx: BackendContext): BackendResolution;
  /**
   * Kinds of ours whose objects carry a status Gantry writes (Upstream): every object's, whether
   * a route uses it or not. Reads go through ctx.lookups, so the report is redone when they change.
   */
  report?(obj: KubeObject, ctx: BackendStatusContext): StatusReport;
}

export interface BackendStatusContext {
  readonly lookups: Lookups;
  readonly installNamespace: string;
  /** The ready endpoints a Service source selects now (after its pod selector). */
  /**
   * How many endpoints the source gives; `cluster`: the cluster they feed, whose endpoints, once
   * computed for a Gateway, are counted instead of reading the EndpointSlices again.
   */
  endpointCount(source: ServiceEndpointSource, cluster?: string): number;
}

export type BackendResolvers = ReadonlyMap<string, BackendResolver>;

export function backendKindKey(group: string, kind: string): string {
  return `${group}/${kind}`;
}

/** Resolves any backend reference: unknown kinds are InvalidKind. */
export function resolveBackend(ref: BackendObjectReference, ctx: BackendContext, resolvers: BackendResolvers): BackendResolution {
  const group = ref.group ?? '';
  const kind = ref.kind ?? 'Service';
  // Most refs are to Services: skip building their key.
  const resolver = resolvers.get(group === '' && kind === 'Service' ? SERVICE_KIND_KEY : backendKindKey(group, kind));
  if (!resolver) {
    return { ok: false, reason: Reason.InvalidKind, message: `backendRef ${group === '' ? 'core' : group}/${kind} ${ref.name}: kind not supported` };
  }
  return resolver.resolve(ref, ctx);
}

const SERVICE_KIND_KEY = backendKindKey('', 'Service');

/** Where a route's endpoints come from (a hook: other backend kinds bring other sources). */
export interface ServiceEndpointSource {
  readonly kind: 'service';
  /** `namespace/name` of the Service. */
  readonly serviceKey: string;
  readonly namespace: string;
  readonly service: string;
  readonly port: number;
  /** The Service port's name ('' when unnamed): EndpointSlice ports are matched by name. */
  readonly portName: string;
  /** Only endpoints whose Pod carries these labels (an Upstream's kube.selector). */
  readonly podSelector?: PodSelector;
}

/** The cluster carries its own hosts (ClusterIR.discovery): no endpoints to compute or send. */
export interface OwnHostsSource {
  readonly kind: 'ownHosts';
}

/**
 * The ready endpoints of several Service ports, possibly in several Kubernetes clusters (a
 * VirtualDestination), each part with its locality and priority.
 */
export interface ServicesEndpointSource {
  readonly kind: 'services';
  /** Canonical: equal keys, equal parts (the cluster table compares sources by it). */
  readonly key: string;
  readonly parts: readonly ServicePart[];
}

export interface ServicePart {
  /**
   * `namespace/name` of a local Service; `@<cluster>/namespace/name` of a remote cluster's (see
   * remoteServiceKey).
   */
  readonly serviceKey: string;
  /** The Service port's name ('' when unnamed): EndpointSlice ports are matched by name. */
  readonly portName: string;
  /** The endpoints' locality (their cluster's name); absent with one cluster. */
  readonly locality?: string;
  /** The endpoints' priority (0 when absent). */
  readonly priority?: number;
  /** Fixed addresses instead of a Service's endpoints (an Upstream's static IP hosts). */
  readonly hosts?: readonly { readonly address: string; readonly port: number }[];
}

/** The key of a remote cluster's Service in the indexes the local ones share. */
export function remoteServiceKey(cluster: string, namespace: string, name: string): string {
  return `@${cluster}/${namespace}/${name}`;
}

export function servicesSourceKey(parts: readonly ServicePart[]): string {
  return parts
    .map((p) => `${p.serviceKey}:${p.portName}:${p.priority ?? 0}:${p.locality ?? ''}${p.hosts ? `:${p.hosts.map((h) => `${h.address}/${h.port}`).join(',')}` : ''}`)
    .join('|');
}

export type EndpointSource = ServiceEndpointSource | OwnHostsSource | ServicesEndpointSource;

export interface ClusterUse {
  readonly cluster: ClusterIR;
  readonly source: EndpointSource;
}
