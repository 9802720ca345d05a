// The policy kinds Gantry resolves. A new kind: its module under policies/, one line here, and
// its entry in @gantry/api's kind table.
import { ROUTE_OPTION_POLICY } from './route-option.js';
import { backendTlsFor } from './backend-tls-policy.js';
import type { BackendContext } from '../backends/backend.js';
import { policyKindKey, type ExtensionRefPolicies, type ExtensionRefPolicy, type TargetRefPolicy } from './policy.js';

/** Kinds an HTTPRoute rule's ExtensionRef filter may name. */
const EXTENSION_REF_POLICIES: readonly ExtensionRefPolicy[] = [ROUTE_OPTION_POLICY];

/** Kinds that attach to routes by targetRefs. */
export const DEFAULT_TARGET_REF_POLICIES: readonly TargetRefPolicy[] = [ROUTE_OPTION_POLICY];

export const DEFAULT_EXTENSION_REF_POLICIES: ExtensionRefPolicies = new Map(EXTENSION_REF_POLICIES.map((p) => [policyKindKey(p.group, p.kind), p]));

/** TLS to backends from the policies that target them (BackendTLSPolicy). */
export const BACKEND_TLS: NonNullable<BackendContext['backendTls']> = backendTlsFor;
