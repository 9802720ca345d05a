export { Discovery, type DiscoveryEvents, type DiscoveryOptions, type DiscoveryReader, type PassResult, type ApplyResult, type DeleteResult } from './reconciler.js';
export { inScope, ENABLED_ANNOTATION, SYSTEM_NAMESPACES, type DiscoveryScope } from './scope.js';
export { applyBody, desiredUpstreams, speaksHttp2, DISCOVERED_BY_LABEL, DISCOVERED_BY, DISCOVERED_SELECTOR, FIELD_MANAGER, MANAGED_BY_LABEL, type DesiredUpstream } from './desired.js';
export { discoveredName, alternateName } from './naming.js';
export { removeDiscoveredUpstreams } from './cleanup.js';
