export { XdsTranslator, translateXds, encodedResource } from './translator.js';
export type { AccessLogOptions, XdsTranslateOptions } from './options.js';
export { DEFAULT_LISTEN_ADDRESS, accessLogKey } from './options.js';
export { snapshotToEnvoyJson, resourceToEnvoyJson, JSON_TYPE_ORDER, type EnvoyJsonOptions } from './json.js';
export { HTTP_FILTERS, CORS_FILTER, ROUTER_FILTER, type HttpFilterRow } from './http-filters.js';
export { INVALID_BACKEND_CLUSTER } from './route.js';
export type { XdsFailure } from './failures.js';
export { nackedRouteName } from './nacked-route.js';
