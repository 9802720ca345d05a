// The policy kinds Gantry resolves. A new kind: its module under policies/, one line here, and
// its entry in @gantry/api's kind table.
import { policyKindKey, type ExtensionRefPolicies, type ExtensionRefPolicy, type TargetRefPolicy } from './policy.js';

/** Kinds an HTTPRoute rule's ExtensionRef filter may name. */
const EXTENSION_REF_POLICIES: readonly ExtensionRefPolicy[] = [];

/** Kinds that attach to routes by targetRefs. */
export const DEFAULT_TARGET_REF_POLICIES: readonly TargetRefPolicy[] = [];

export const DEFAULT_EXTENSION_REF_POLICIES: ExtensionRefPolicies = new Map(EXTENSION_REF_POLICIES.map((p) => [policyKindKey(p.group, p.kind), p]));
