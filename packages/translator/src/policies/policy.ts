// Policies: objects that change how routes behave, reached through an HTTPRoute rule's
// ExtensionRef filter (e.g. RouteOption) or attached by targetRefs. Each kind is one module
// listed in registry.ts; what a policy contributes to a rule is expressed in IR pieces, so
// policies and route kinds never import each other.
import type { CorsIR, DirectResponseActionIR, FaultIR, HashPolicyIR, HeaderModifierIR, PathModifierIR, RetryIR, TimeoutsIR } from '@gantry/ir';
import type { KubeObject, LocalObjectReference } from '@gantry/api';
import type { Lookups } from '../core/lookups.js';
import { targetRefsOf, type Target } from '../core/object-queries.js';
import { Reason } from '../status/conditions.js';

/** How the Host header is rewritten: a literal, or the DNS name of the host Envoy picked. */
export type HostRewriteIR = { readonly hostname: string } | { readonly auto: true };

/**
 * What a policy sets on a route rule, one field per thing it can set; the rule's own filters set
 * the same fields (RuleStructure). Precedence is decided per field (mergeRuleOptions).
 */
export interface RuleOptions {
  readonly pathRewrite?: PathModifierIR;
  readonly hostRewrite?: HostRewriteIR;
  /** Whole request and per backend attempt. */
  readonly timeouts?: TimeoutsIR;
  readonly idleTimeoutMs?: number;
  readonly retry?: RetryIR;
  readonly requestHeaders?: HeaderModifierIR;
  readonly responseHeaders?: HeaderModifierIR;
  readonly cors?: CorsIR;
  readonly faults?: FaultIR;
  /** Replaces the backends' own hash policies. */
  readonly hashPolicies?: readonly HashPolicyIR[];
  /** The rule answers this itself and forwards nothing. */
  readonly directResponse?: DirectResponseActionIR;
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

/** Each option, with how users name it (RouteOption fields) and the rule's own way to set it. */
const RULE_OPTION_FIELDS: { readonly [K in keyof Required<RuleOptions>]: { readonly option: string; readonly core?: string } } = {
  pathRewrite: { option: 'prefixRewrite/regexRewrite', core: "the rule's URLRewrite filter (path)" },
  hostRewrite: { option: 'hostRewrite/autoHostRewrite', core: "the rule's URLRewrite filter (hostname)" },
  timeouts: { option: 'timeout', core: "the rule's timeouts" },
  idleTimeoutMs: { option: 'idleTimeout' },
  retry: { option: 'retries', core: "the rule's retry" },
  requestHeaders: { option: 'headerManipulation (request)', core: "the rule's RequestHeaderModifier filter" },
  responseHeaders: { option: 'headerManipulation (response)', core: "the rule's ResponseHeaderModifier filter" },
  cors: { option: 'cors', core: "the rule's CORS filter" },
  faults: { option: 'faults' },
  hashPolicies: { option: 'lbHash' },
  directResponse: { option: 'directResponse', core: "the rule's RequestRedirect filter" },
};
const RULE_OPTION_KEYS = Object.keys(RULE_OPTION_FIELDS) as (keyof RuleOptions)[];

/** A policy's options for one rule, where they come from (for status), in precedence order. */
export interface OptionSource {
  readonly policy: PolicyRef;
  readonly via: 'ExtensionRef' | 'targetRef';
  readonly options: RuleOptions;
}

export interface PolicyRef {
  readonly group: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

export function policyRefOf(policy: KubeObject): PolicyRef {
  const slash = policy.apiVersion.indexOf('/');
  return { group: slash < 0 ? '' : policy.apiVersion.slice(0, slash), kind: policy.kind, namespace: policy.metadata.namespace ?? 'default', name: policy.metadata.name };
}

export function policyKey(p: PolicyRef): string {
  return `${p.group}/${p.kind}/${p.namespace}/${p.name}`;
}

/** What one policy did to one rule: for the policy's status. */
export interface PolicyUse {
  readonly policy: PolicyRef;
  readonly rule: number;
  readonly via: 'ExtensionRef' | 'targetRef';
  /** Option names applied. */
  readonly applied: readonly string[];
  /** Options not applied, each with what set it instead. */
  readonly overridden: readonly string[];
}

/**
 * THE precedence rule, in one place. The rule's own settings (its core filters, timeouts and
 * retry: `own`, plus `taken` for things outside RuleOptions such as a redirect) win; then the
 * sources in the order given: the rule's ExtensionRef filters in list order, then targetRef
 * policies naming the rule (sectionName), oldest first, then those naming the whole route, oldest
 * first. Per field: the first that sets it wins, the others are reported as overridden.
 */
export function mergeRuleOptions<T extends RuleOptions>(
  own: T,
  taken: ReadonlyMap<keyof RuleOptions, string>,
  sources: readonly OptionSource[],
  rule: number,
  uses: PolicyUse[],
): T {
  if (sources.length === 0) return own;
  const out = { ...own } as Record<string, unknown>;
  const setBy = new Map<string, string>(taken);
  for (const k of RULE_OPTION_KEYS) if (own[k] !== undefined && !setBy.has(k)) setBy.set(k, RULE_OPTION_FIELDS[k].core ?? "the rule's own settings");
  for (const src of sources) {
    const applied: string[] = [];
    const overridden: string[] = [];
    for (const k of RULE_OPTION_KEYS) {
      const v = src.options[k];
      if (v === undefined) continue;
      const by = setBy.get(k);
      if (by !== undefined) {
        overridden.push(`${RULE_OPTION_FIELDS[k].option} (set by ${by})`);
        continue;
      }
      out[k] = v;
      setBy.set(k, `${src.policy.kind} ${src.policy.name}`);
      applied.push(RULE_OPTION_FIELDS[k].option);
    }
    uses.push({ policy: src.policy, rule, via: src.via, applied, overridden });
  }
  return out as T;
}

/** Options from targetRef policies, in precedence order: for the whole route, and per rule name. */
export interface AttachedOptions {
  readonly route: readonly OptionSource[];
  readonly byRule: ReadonlyMap<string, readonly OptionSource[]>;
}

export const NO_ATTACHED_OPTIONS: AttachedOptions = { route: [], byRule: new Map() };

/**
 * The options targetRef policies give a route, oldest policy first (creationTimestamp, then
 * name). A policy that cannot be resolved is not applied (its own status says why).
 */
export function attachedOptions(target: Target, lookups: Lookups, policies: readonly TargetRefPolicy[]): AttachedOptions {
  if (policies.length === 0) return NO_ATTACHED_OPTIONS;
  const route: OptionSource[] = [];
  const byRule = new Map<string, OptionSource[]>();
  for (const kind of policies) {
    for (const policy of lookups.policiesNaming(kind.group, kind.kind, target)) {
      const res = kind.resolve(policy, lookups);
      if (!res.ok) continue;
      const ref = policyRefOf(policy);
      for (const t of targetRefsOf(policy)) {
        if ((t.group ?? '') !== target.group || t.kind !== target.kind || t.name !== target.name) continue;
        const src: OptionSource = { policy: ref, via: 'targetRef', options: res.options };
        if (t.sectionName === undefined) route.push(src);
        else {
          const list = byRule.get(t.sectionName);
          if (list) list.push(src);
          else byRule.set(t.sectionName, [src]);
        }
      }
    }
  }
  return route.length === 0 && byRule.size === 0 ? NO_ATTACHED_OPTIONS : { route, byRule };
}

/** The targetRef sources for one rule (its name may be unset), in precedence order. */
export function ruleAttachedOptions(attached: AttachedOptions, ruleName: string | undefined): readonly OptionSource[] {
  const own = ruleName !== undefined ? attached.byRule.get(ruleName) : undefined;
  if (own === undefined) return attached.route;
  return attached.route.length === 0 ? own : [...own, ...attached.route];
}
