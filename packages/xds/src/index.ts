export * from './cache/index.js';
export * from './server/index.js';
export * from './translator/index.js';
export * from './bootstrap/index.js';
export * from './resources.js';
export { SortedResourceSet } from './sorted-resource-set.js';
export * from './security/index.js';
