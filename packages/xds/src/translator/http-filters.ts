// The ONE table that orders HTTP filters in every HTTP connection manager. A feature that needs an
// HTTP filter adds a row here; the order of rows is the order of the filter chain. The router
// terminates the chain and is always last.
import { Cors } from '@gantry/envoy-xds-proto/generated/envoy/extensions/filters/http/cors/v3/cors';
import { HTTPFault } from '@gantry/envoy-xds-proto/generated/envoy/extensions/filters/http/fault/v3/fault';
import { Router } from '@gantry/envoy-xds-proto/generated/envoy/extensions/filters/http/router/v3/router';
import { packAny } from '@gantry/envoy-xds-proto/any';
import type { Any } from '@gantry/envoy-xds-proto';

export const CORS_FILTER = 'envoy.filters.http.cors';
export const FAULT_FILTER = 'envoy.filters.http.fault';
export const ROUTER_FILTER = 'envoy.filters.http.router';

export interface HttpFilterRow {
  /** Also the key of the filter's per-route config in typed_per_filter_config. */
  readonly name: string;
  /** The listener-level config (per-route behaviour comes from typed_per_filter_config). */
  readonly typedConfig: () => Any;
}

export const HTTP_FILTERS: readonly HttpFilterRow[] = [
  // Without a per-route CorsPolicy the CORS filter passes requests through untouched, so it is
  // always installed and a route enabling CORS never changes the listener.
  { name: CORS_FILTER, typedConfig: () => packAny(Cors.fromPartial({})) },
  // Likewise without faults configured: a route's HTTPFault (typed_per_filter_config) replaces
  // this empty one. After CORS, so preflight requests are answered even on a faulty route.
  { name: FAULT_FILTER, typedConfig: () => packAny(HTTPFault.fromPartial({})) },
  { name: ROUTER_FILTER, typedConfig: () => packAny(Router.fromPartial({})) },
];
