export * from './cache/index.js';
export * from './server/index.js';
