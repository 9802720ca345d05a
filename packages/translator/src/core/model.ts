// The translator's internal vocabulary: what a Gateway offers routes (attachment), what a route
// contributes to a Gateway (placements, entries, clusters), and how lookups are recorded.
import type { ClusterIR, RouteIR, TLSSecretIR } from '@gantry/ir';
import type { Condition, Gateway, KubeObject, LabelSelector, ReferenceGrant, RouteGroupKind, Secret, Service } from '@gantry/api';

export type HTTPProtocol = 'HTTP' | 'HTTPS';

/** The parts of a Gateway listener that decide which routes attach to it. */
export interface ListenerInfo {
  readonly name: string;
  readonly port: number;
  readonly protocol: string;
  /** Lower-cased; undefined = any host. */
  readonly hostname?: string;
  /** Route kinds that may attach, as `group/kind` (only kinds Gantry supports). */
  readonly routeKinds: readonly string[];
  readonly namespacesFrom: 'All' | 'Same' | 'Selector' | 'None';
  readonly selector?: LabelSelector;
}

/**
 * What routes see of a Gateway of ours. Rebuilt only when one of these fields changes, so a
 * certificate rotation does not re-translate the routes attached to the Gateway.
 */
export interface GatewayAttachment {
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly listeners: readonly ListenerInfo[];
}

/** A listener after validation: its status (minus attachedRoutes) and what it serves. */
export interface ListenerState {
  readonly info: ListenerInfo;
  /** Produces data plane configuration (accepted, not conflicted, has what it needs). */
  readonly ready: boolean;
  readonly supportedKinds: readonly RouteGroupKind[];
  readonly conditions: readonly Condition[];
  /** HTTPS: the valid certificates, in certificateRefs order. */
  readonly tlsSecrets: readonly TLSSecretIR[];
}

export interface GatewayContext {
  readonly gateway: Gateway;
  readonly key: string;
  readonly attachment: GatewayAttachment;
  /** Accepted Gateways produce a GatewayIR. */
  readonly accepted: boolean;
  readonly listeners: readonly ListenerState[];
  readonly conditions: readonly Condition[];
}

/** Identifies the Envoy route table flavour a RouteIR is built for (redirects depend on it). */
export interface Flavor {
  readonly protocol: HTTPProtocol;
  readonly port: number;
  /** `protocol/port`, built once: every route placed on the table looks its entries up by it. */
  readonly key: string;
}

export function flavor(protocol: HTTPProtocol, port: number): Flavor {
  return { protocol, port, key: `${protocol}/${port}` };
}

/** One RouteIR with the facts that order it among all routes of a virtual host. */
export interface RouteEntry {
  readonly route: RouteIR;
  /** 0 Exact, 1 RegularExpression, 2 PathPrefix. */
  readonly pathRank: number;
  readonly pathLength: number;
  readonly hasMethod: boolean;
  readonly headerCount: number;
  readonly queryCount: number;
  /** creationTimestamp of the HTTPRoute ('' when unknown). */
  readonly created: string;
  /** `namespace/name` of the HTTPRoute. */
  readonly routeKey: string;
  readonly ruleIndex: number;
  readonly matchIndex: number;
}

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
}

export type EndpointSource = ServiceEndpointSource;

export interface ClusterUse {
  readonly cluster: ClusterIR;
  readonly source: EndpointSource;
}

/** A route accepted on one listener of one Gateway, with its effective hostnames there. */
export interface Placement {
  readonly gatewayKey: string;
  readonly listener: string;
  readonly domains: readonly string[];
}

/**
 * Every read a translation makes goes through this, so the translator can record what the result
 * depends on and redo it only when one of those inputs changes.
 */
export interface Lookups {
  /** A Gateway of ours (undefined: absent, or another controller's). */
  gateway(namespace: string, name: string): GatewayAttachment | undefined;
  /** `key`: the caller's `namespace/name` when it has built one (saves building it twice). */
  service(namespace: string, name: string, key?: string): Service | undefined;
  secret(namespace: string, name: string): Secret | undefined;
  /** Labels of a namespace, always including `kubernetes.io/metadata.name`. */
  namespaceLabels(name: string): Readonly<Record<string, string>>;
  referenceGrants(namespace: string): readonly ReferenceGrant[];
  /** Any other object (Gantry kinds, ...) by API group and kind. */
  object(group: string, kind: string, namespace: string, name: string): KubeObject | undefined;
}

/** Dependency keys, shared by the recorder and the invalidation index. */
export const Dep = {
  gatewayClass: (name: string) => `gc:${name}`,
  namespace: (name: string) => `ns:${name}`,
  grants: (namespace: string) => `grant:${namespace}`,
  secret: (key: string) => `secret:${key}`,
  object: (group: string, kind: string, key: string) => `obj:${group}/${kind}/${key}`,
} as const;

/**
 * A right-sized copy of an array built with push(). V8 grows pushed arrays with spare capacity
 * (16+ slots); retained by the thousand, that slack is most of the translator's memory and GC time.
 */
export function exact<T>(a: T[]): T[] {
  return a.slice();
}

/**
 * Appends to a list that is created at its exact size by the first element: most lists the
 * translator builds hold one element, and a pushed-to `[]` reserves 17 slots.
 */
export function append<T>(list: T[] | undefined, item: T): T[] {
  if (list === undefined) return [item];
  list.push(item);
  return list;
}

/** A list built with append(), right-sized (see exact). */
export function exactList<T>(list: T[]): T[] {
  return list.length > 1 ? list.slice() : list;
}

/**
 * The same string, flat. V8 builds `a + b` (and template literals) as a tree with a 32-byte node
 * per join, which lives as long as the string and is flattened (copied) anyway the first time the
 * string is hashed or written out. Names and keys the translator keeps are flattened at birth, so
 * the tree dies young: a route name costs ~70 bytes instead of ~290. (trim() returns V8's flat
 * copy; a string with surrounding whitespace, which no valid Kubernetes name has, is left as is.)
 */
export function flat(s: string): string {
  const t = s.trim();
  return t.length === s.length ? t : s;
}

/** Strips `readonly` (for building IR objects field by field before handing them out). */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export function objectKey(o: KubeObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

export function namespaceOf(o: KubeObject): string {
  return o.metadata.namespace ?? 'default';
}

/** API group of an apiVersion: `gateway.networking.k8s.io/v1` → `gateway.networking.k8s.io`, `v1` → ''. */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}
