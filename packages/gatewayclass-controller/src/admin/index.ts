export { LOG_LEVELS, createAdminServer } from './server.js';
export type { AdminServer, AdminServerOptions, DebugSource, LogLevelControl, Readiness } from './server.js';
export { envoyToJson } from './envoys.js';
export type { EnvoyJson } from './envoys.js';
