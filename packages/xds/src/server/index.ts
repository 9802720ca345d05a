export {
  AdsServer,
  type AdsServerOptions,
  type AdsServerTls,
  type AdsServerEvents,
  type AckedTypeState,
  type EnvoyStatus,
  type GatewayCounters,
  type NackInfo,
} from './ads-server.js';
export { GATEWAY_METADATA_KEY, gatewayKeyOfNode, isGatewayKey } from './node-identity.js';
export { noopLogger, jsonLogger, type AdsLogger, type LogFields } from './logger.js';
export { redactSecrets } from './redact.js';
export { contentVersion } from './versions.js';
export { encodeDiscoveryResponse, encodeDeltaDiscoveryResponse } from './wire.js';
export type { Transport } from './session.js';
export { shortType } from './session.js';
