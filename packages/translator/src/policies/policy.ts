// Policies: objects that change how routes behave, reached through an HTTPRoute rule's
// ExtensionRef filter (e.g. RouteOption) or attached by targetRefs. Each kind is one module
// listed in registry.ts; what a policy contributes to a rule is expressed in IR pieces, so
// policies and route kinds never import each other.
import type { CorsIR, ForwardActionIR, HeaderModifierIR, RetryIR, TimeoutsIR } from '@gantry/ir';
import type { KubeObject, LocalObjectReference } from '@gantry/api';
import type { Lookups } from '../core/lookups.js';
import { targetRefsOf, type Target } from '../core/object-queries.js';
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

/** A policy kind: how one of its objects turns into rule options. */
export interface RoutePolicy {
  readonly group: string;
  readonly kind: string;
  /** The object (read through Lookups, so a change to it re-translates the route) → options. */
  resolve(policy: KubeObject, lookups: Lookups): PolicyResolution;
}

/** A policy kind an ExtensionRef filter may name (in the route's namespace, by group and kind). */
export type ExtensionRefPolicy = RoutePolicy;

/** Keyed `group/kind`. */
export type ExtensionRefPolicies = ReadonlyMap<string, ExtensionRefPolicy>;

/** A policy kind that attaches to routes by targetRefs (a whole route, or a rule by sectionName). */
export type TargetRefPolicy = RoutePolicy;

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

const RULE_OPTION_KEYS = ['urlRewrite', 'timeouts', 'retry', 'requestHeaders', 'responseHeaders', 'cors'] as const;
// Compile-time: a field added to RuleOptions must be listed above.
const everyOptionListed: Exclude<keyof RuleOptions, (typeof RULE_OPTION_KEYS)[number]> extends never ? true : never = true;
void everyOptionListed;

/** The options set over a rule's own, field by field (an ExtensionRef names it on the rule itself). */
export function applyRuleOptions<T extends RuleOptions>(rule: T, options: RuleOptions): T {
  return mergeOptions(rule, options, true);
}

/** The options under a rule's own: they fill only what the rule leaves unset (targetRef policies). */
export function fillRuleOptions<T extends RuleOptions>(rule: T, options: RuleOptions): T {
  return mergeOptions(rule, options, false);
}

function mergeOptions<T extends RuleOptions>(rule: T, options: RuleOptions, override: boolean): T {
  const out = { ...rule } as Record<string, unknown>;
  for (const k of RULE_OPTION_KEYS) {
    const v = options[k];
    if (v !== undefined && (override || out[k] === undefined)) out[k] = v;
  }
  return out as T;
}

/** Options from targetRef policies: for the whole route, and per rule name (sectionName). */
export interface AttachedOptions {
  readonly route: RuleOptions | undefined;
  readonly byRule: ReadonlyMap<string, RuleOptions>;
}

export const NO_ATTACHED_OPTIONS: AttachedOptions = { route: undefined, byRule: new Map() };

/**
 * The options that targetRef policies give a route: older policies first, so a newer one wins a
 * field both set; a policy naming a rule (sectionName) applies over the route-wide ones. A policy
 * that cannot be resolved is not applied (its own status says why). What the rule says itself
 * (its filters, then its ExtensionRefs) wins over all of them.
 */
export function attachedOptions(target: Target, lookups: Lookups, policies: readonly TargetRefPolicy[]): AttachedOptions {
  if (policies.length === 0) return NO_ATTACHED_OPTIONS;
  let route: RuleOptions | undefined;
  const byRule = new Map<string, RuleOptions>();
  for (const kind of policies) {
    for (const policy of lookups.targeting(kind.group, kind.kind, target)) {
      const res = kind.resolve(policy, lookups);
      if (!res.ok) continue;
      for (const ref of targetRefsOf(policy)) {
        if ((ref.group ?? '') !== target.group || ref.kind !== target.kind || ref.name !== target.name) continue;
        if (ref.sectionName === undefined) route = applyRuleOptions(route ?? {}, res.options);
        else byRule.set(ref.sectionName, applyRuleOptions(byRule.get(ref.sectionName) ?? {}, res.options));
      }
    }
  }
  return route === undefined && byRule.size === 0 ? NO_ATTACHED_OPTIONS : { route, byRule };
}

/** The targetRef options for one rule (its name may be unset). */
export function ruleAttachedOptions(attached: AttachedOptions, ruleName: string | undefined): RuleOptions | undefined {
  const own = ruleName !== undefined ? attached.byRule.get(ruleName) : undefined;
  if (own === undefined) return attached.route;
  return attached.route === undefined ? own : applyRuleOptions(attached.route, own);
}
