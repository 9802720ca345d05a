// The gateway translator's public surface: Snapshot → per-Gateway GatewayIR + status reports,
// implementing Gateway API v1.6.1 for Gateways and HTTPRoutes. Decisions worth knowing:
//   - Match precedence: see precedence.ts (RegularExpression paths rank after Exact, before any
//     PathPrefix, longer first). Hostname specificity comes first: a virtual host holds its own
//     routes, then those of the same listener's wider hostnames that cover it.
//   - Listener isolation: a request is served by the most specific matching listener only; on
//     HTTPS, a Host belonging to another listener of the port gets 421.
//   - Invalid backendRefs keep their rule: all invalid → 500; some → the IR's
//     invalidBackendWeight share gets 500. Unresolvable ExtensionRef filters → 500.
//   - Invalid rules are dropped (PartiallyInvalid, "Dropped Rule"); all invalid → not Accepted.
//   - Programmed conditions are Unknown/Pending: the translator cannot know whether Envoy took
//     the configuration. markProgrammed() turns them into the data plane's answer.
import type { Snapshot } from '@gantry/api';
import { GatewayTranslator, type GatewayTranslatorOptions, type TranslationResult } from './core/translator.js';

export { CONTROLLER_NAME, DEFAULT_INSTALL_NAMESPACE, GatewayTranslator } from './core/translator.js';
export type { GatewayTranslatorOptions, TranslationResult } from './core/translator.js';
export { compareReports, markProgrammed } from './status/reports.js';
export type { ReportedKind, ReportRef, StatusReport } from './status/reports.js';
export type { GatewayClassStatus, GatewayStatus, HTTPRouteStatus } from '@gantry/api';
export { SUPPORTED_FEATURES } from './gateway/features.js';
export { ConditionType, Reason } from './status/conditions.js';
export { parseDurationMs } from './core/duration.js';
export { backendKindKey } from './backends/backend.js';
export { DEFAULT_BACKEND_RESOLVERS } from './backends/registry.js';
export { serviceResolver } from './backends/service.js';
export type { BackendContext, BackendResolution, BackendResolver, BackendResolvers } from './backends/backend.js';

/** One-shot convenience: a fresh translator, one snapshot. */
export function translate(snapshot: Snapshot, opts?: GatewayTranslatorOptions): TranslationResult {
  return new GatewayTranslator(opts).translate(snapshot);
}
