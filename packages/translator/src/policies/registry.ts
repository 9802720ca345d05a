// The policy kinds Gantry resolves. A new kind: its module under policies/, one line here, and
// its entry in @gantry/api's kind table.
import type { ExtensionRefPolicies, ExtensionRefPolicy } from './policy.js';
import { policyKindKey } from './policy.js';

const EXTENSION_REF_POLICIES: readonly ExtensionRefPolicy[] = [];

export const DEFAULT_EXTENSION_REF_POLICIES: ExtensionRefPolicies = new Map(EXTENSION_REF_POLICIES.map((p) => [policyKindKey(p.group, p.kind), p]));
