// @gantry/api: the types of every kind Gantry reads or owns, and the one kind table that every
// other list of kinds derives from. No dependencies: the translator, discovery and the runtime
// all build on it.
export * from './meta.js';
export * from './core.js';
export * from './gateway-api.js';
export * from './gantry/group.js';
export * from './gantry/gateway-parameters.js';
export * from './gantry/upstream.js';
export * from './gantry/route-option.js';
export * from './gantry/virtual-destination.js';
export * from './backend-tls-policy.js';
export * from './kinds.js';
export * from './snapshot.js';
export * from './crd.js';
export { checkSchema, isRecord, quoteValue, OBJECT_META, type ManifestSchema, type Schema } from './schema.js';
export * from './labels.js';
export { escapeCelProperty, unescapeCelProperty } from './cel-names.js';
