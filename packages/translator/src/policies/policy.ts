// Policies: objects that change how routes behave, reached through an HTTPRoute rule's
// ExtensionRef filter (e.g. RouteOption) or attached by targetRefs. Each kind is one module
// listed in registry.ts; what a policy contributes to a rule is expressed in IR pieces, so
// policies and route kinds never import each other.
import type { CorsIR, ForwardActionIR, HeaderModifierIR, RetryIR, TimeoutsIR } from '@gantry/ir';
import type { KubeObject, LocalObjectReference } from '@gantry/api';
import type { Lookups } from '../core/lookups.js';
import { Reason } from '../status/conditions.js';

/** What a policy sets on a route rule; a field a policy leaves out keeps the rule's own value. */
export interface RuleOptions {
  readonly urlRewrite?: ForwardActionIR['urlRewrite'];
  readonly timeouts?: TimeoutsIR;
  readonly retry?: RetryIR;
  readonly requestHeaders?: HeaderModifierIR;
  readonly responseHeaders?: HeaderModifierIR;
  readonly cors?: CorsIR;
}

export type PolicyResolution =
  | { readonly ok: true; readonly options: RuleOptions }
  | { readonly ok: false; readonly reason: string; readonly message: string };

/** A policy kind an ExtensionRef filter may name (in the route's namespace, by group and kind). */
export interface ExtensionRefPolicy {
  readonly group: string;
  readonly kind: string;
  /** The object, read through Lookups (so a change to it re-translates the route) → options. */
  resolve(policy: KubeObject, lookups: Lookups): PolicyResolution;
}

/** Keyed `group/kind`. */
export type ExtensionRefPolicies = ReadonlyMap<string, ExtensionRefPolicy>;

export function policyKindKey(group: string, kind: string): string {
  return `${group}/${kind}`;
}

/** An ExtensionRef filter's policy, resolved: unknown kinds are InvalidKind, missing objects NotFound. */
export function resolveExtensionRef(ref: LocalObjectReference, namespace: string, lookups: Lookups, policies: ExtensionRefPolicies): PolicyResolution {
  const where = `ExtensionRef ${ref.group}/${ref.kind} ${ref.name}`;
  const policy = policies.get(policyKindKey(ref.group, ref.kind));
  if (!policy) return { ok: false, reason: Reason.InvalidKind, message: `${where}: kind not supported` };
  const obj = lookups.object(ref.group, ref.kind, namespace, ref.name);
  if (!obj) return { ok: false, reason: Reason.BackendNotFound, message: `${where} not found in namespace ${namespace}` };
  return policy.resolve(obj, lookups);
}

/** Options applied over a rule's own (later policies win field by field). */
export function applyRuleOptions<T extends RuleOptions>(rule: T, options: RuleOptions): T {
  return { ...rule, ...options };
}
