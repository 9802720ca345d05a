// The boundary between the xds translator and the cache/ADS server: resources already encoded
// once, with a content version, grouped by type URL. The server never re-encodes a resource.

export const TypeUrl = {
  Listener: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  RouteConfiguration: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  ScopedRouteConfiguration: 'type.googleapis.com/envoy.config.route.v3.ScopedRouteConfiguration',
  Cluster: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  ClusterLoadAssignment: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  Secret: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
} as const;
export type TypeUrl = (typeof TypeUrl)[keyof typeof TypeUrl];

/**
 * The order a change reaches Envoy in, so that no request fails mid-update: what a listener or
 * route will point at (clusters, endpoints, secrets) exists first. Removals go in reverse.
 */
export const PUSH_ORDER: readonly TypeUrl[] = [
  TypeUrl.Cluster,
  TypeUrl.ClusterLoadAssignment,
  TypeUrl.Secret,
  TypeUrl.Listener,
  TypeUrl.RouteConfiguration,
  // After the shards they name (Envoy applies a scope once its RouteConfiguration arrived).
  TypeUrl.ScopedRouteConfiguration,
];

export interface EncodedResource {
  readonly name: string;
  /** Changes exactly when the bytes change (a content hash). */
  readonly version: string;
  /** The resource message's protobuf encoding (not wrapped in Any). */
  readonly bytes: Uint8Array;
}

/** Resources of one type, by name. */
export type ResourceSet = ReadonlyMap<string, EncodedResource>;

/** Everything one Gateway's Envoy is served. Every TypeUrl has an entry (possibly empty). */
export type XdsSnapshot = Readonly<Record<TypeUrl, ResourceSet>>;
