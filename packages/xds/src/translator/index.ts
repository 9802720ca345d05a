export { XdsTranslator, translateXds, encodedResource } from './translator.js';
export type { XdsTranslateOptions } from './options.js';
export { DEFAULT_LISTEN_ADDRESS } from './options.js';
export { snapshotToEnvoyJson, resourceToEnvoyJson, JSON_TYPE_ORDER, type EnvoyJsonOptions } from './json.js';
export { HTTP_FILTERS, CORS_FILTER, ROUTER_FILTER, type HttpFilterRow } from './http-filters.js';
export { INVALID_BACKEND_CLUSTER } from './route.js';
export { DEFAULT_ROUTE_LAYOUT, type RouteLayout } from './route-config.js';
export { SCOPE_COUNT, SCOPE_HEADER, hostScope } from './route-scopes.js';
