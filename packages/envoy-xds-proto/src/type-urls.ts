// Type URLs of the xDS resources Gantry serves. Envoy matches them exactly, so they live in one place.

/** The prefix Envoy (and every xDS implementation) puts before a fully-qualified message name. */
export const TYPE_URL_PREFIX = 'type.googleapis.com/';

export const LISTENER_TYPE_URL = 'type.googleapis.com/envoy.config.listener.v3.Listener';
export const ROUTE_CONFIGURATION_TYPE_URL = 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration';
export const CLUSTER_TYPE_URL = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
export const CLUSTER_LOAD_ASSIGNMENT_TYPE_URL = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';
export const SECRET_TYPE_URL = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret';

/** Resource type URLs by their usual xDS short names (LDS, RDS, CDS, EDS, SDS). */
export const RESOURCE_TYPE_URLS = {
  listener: LISTENER_TYPE_URL,
  route: ROUTE_CONFIGURATION_TYPE_URL,
  cluster: CLUSTER_TYPE_URL,
  endpoint: CLUSTER_LOAD_ASSIGNMENT_TYPE_URL,
  secret: SECRET_TYPE_URL,
} as const;

export type ResourceKind = keyof typeof RESOURCE_TYPE_URLS;
export type ResourceTypeUrl = (typeof RESOURCE_TYPE_URLS)[ResourceKind];

/** `type.googleapis.com/<name>` for a fully-qualified message name such as `envoy.config.listener.v3.Listener`. */
export function typeUrlForName(fullName: string): string {
  return TYPE_URL_PREFIX + fullName;
}

/** The fully-qualified message name in a type URL: everything after the last `/`. */
export function messageNameOfTypeUrl(typeUrl: string): string {
  return typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
}
