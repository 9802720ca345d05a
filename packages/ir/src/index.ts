export * from './types.js';
export * from './names.js';
export * from './redact.js';
export * from './validate.js';
