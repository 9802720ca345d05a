// The translator's input: plain Kubernetes objects, grouped by kind. Sources (the kube store or
// files) build it; the gateway translator reads it and never mutates it.
import type { KubeObject } from './meta.js';
import type { GatewayClass, Gateway, HTTPRoute, ReferenceGrant } from './gateway-api.js';
import type { Namespace, Service, EndpointSlice, Secret } from './core.js';

export interface Snapshot {
  readonly gatewayClasses: readonly GatewayClass[];
  readonly gateways: readonly Gateway[];
  readonly httpRoutes: readonly HTTPRoute[];
  readonly referenceGrants: readonly ReferenceGrant[];
  readonly namespaces: readonly Namespace[];
  readonly services: readonly Service[];
  readonly endpointSlices: readonly EndpointSlice[];
  readonly secrets: readonly Secret[];
  /** Gantry's own kinds (Upstream, ...) arrive later; unknown kinds are kept here untyped. */
  readonly others?: readonly KubeObject[];
}

export function emptySnapshot(): Snapshot {
  return {
    gatewayClasses: [], gateways: [], httpRoutes: [], referenceGrants: [],
    namespaces: [], services: [], endpointSlices: [], secrets: [],
  };
}
