// The gateway translator's public surface.
import type { Snapshot } from '../api/snapshot.js';
import { GatewayTranslator, type GatewayTranslatorOptions, type TranslationResult } from './translator.js';

export { CONTROLLER_NAME, GatewayTranslator } from './translator.js';
export type { GatewayTranslatorOptions, TranslationResult } from './translator.js';
export { compareReports, markProgrammed } from './status.js';
export type { ReportedKind, StatusReport } from './status.js';
export type { GatewayClassStatus, GatewayStatus, HTTPRouteStatus } from '../api/gateway-api.js';
export { SUPPORTED_FEATURES } from './features.js';
export { parseDurationMs } from './duration.js';
export { DEFAULT_BACKEND_RESOLVERS, backendKindKey, serviceResolver } from './backends.js';
export type { BackendContext, BackendResolution, BackendResolver, BackendResolvers } from './backends.js';

/** One-shot convenience: a fresh translator, one snapshot. */
export function translate(snapshot: Snapshot, opts?: GatewayTranslatorOptions): TranslationResult {
  return new GatewayTranslator(opts).translate(snapshot);
}
