// Status of policy objects (RouteOption, ...): which routes each one applies to and what it did
// there, gathered from the route translations (their PolicyUses), plus the policy's own verdict.
// Kept incrementally: a report is rebuilt only for policies whose object or uses changed.
import { GATEWAY_API_GROUP, kindSpec, type Condition, type KubeObject, type PolicyAncestorStatus, type RouteOptionStatus } from '@gantry/api';
import type { PolicyResolution, PolicyUse } from '../policies/policy.js';
import { policyKey } from '../policies/policy.js';
import { condition, ConditionType, Reason } from './conditions.js';
import type { StatusReport } from './reports.js';

/** Gateway API's limit on status.ancestors. */
const MAX_ANCESTORS = 16;

/** Policy kinds whose status Gantry writes as PolicyAncestorStatus (the kind table says which). */
export function reportsPolicyStatus(group: string, kind: string): boolean {
  const spec = kindSpec(kind);
  return spec !== undefined && spec.group === group && spec.status?.merge === 'policy-ancestors';
}

interface RouteUses {
  readonly namespace: string;
  readonly name: string;
  readonly uses: readonly PolicyUse[];
}

export class PolicyReports {
  /** Policy key → route key → what the policy did to that route's rules. */
  private readonly uses = new Map<string, Map<string, RouteUses>>();
  private readonly reports = new Map<string, StatusReport>();

  constructor(private readonly controllerName: string) {}

  /** A route's uses changed: returns (adds to `dirty`) the policies concerned. */
  routeChanged(routeKey: string, route: { readonly namespace: string; readonly name: string }, before: readonly PolicyUse[], after: readonly PolicyUse[], dirty: Set<string>): void {
    if (before === after) return;
    const { namespace: ns, name } = route;
    for (const u of before) {
      if (!reportsPolicyStatus(u.policy.group, u.policy.kind)) continue;
      const k = policyKey(u.policy);
      this.uses.get(k)?.delete(routeKey);
      dirty.add(k);
    }
    const byPolicy = new Map<string, PolicyUse[]>();
    for (const u of after) {
      if (!reportsPolicyStatus(u.policy.group, u.policy.kind)) continue;
      const k = policyKey(u.policy);
      const list = byPolicy.get(k);
      if (list) list.push(u);
      else byPolicy.set(k, [u]);
    }
    for (const [k, list] of byPolicy) {
      let routes = this.uses.get(k);
      if (!routes) this.uses.set(k, (routes = new Map()));
      routes.set(routeKey, { namespace: ns, name, uses: list });
      dirty.add(k);
    }
  }

  /**
   * Rebuilds the report of each dirty policy (`object` undefined: it is gone) and pushes the
   * changes as [before, after] pairs.
   */
  refresh(
    dirty: ReadonlySet<string>,
    object: (key: string) => KubeObject | undefined,
    resolve: (policy: KubeObject) => PolicyResolution | undefined,
    changes: [StatusReport | undefined, StatusReport | undefined][],
  ): void {
    for (const key of dirty) {
      const prev = this.reports.get(key);
      const obj = object(key);
      if (!obj) {
        if (prev) {
          this.reports.delete(key);
          changes.push([prev, undefined]);
        }
        if (this.uses.get(key)?.size === 0) this.uses.delete(key);
        continue;
      }
      const resolution = resolve(obj);
      if (!resolution) continue;
      const next = this.report(obj, resolution, this.uses.get(key));
      if (prev && JSON.stringify(prev) === JSON.stringify(next)) continue;
      this.reports.set(key, next);
      changes.push([prev, next]);
    }
  }

  private report(obj: KubeObject, resolution: PolicyResolution, routes: ReadonlyMap<string, RouteUses> | undefined): StatusReport {
    const gen = obj.metadata.generation;
    const sorted = [...(routes?.values() ?? [])].sort((a, b) => (a.namespace + '/' + a.name < b.namespace + '/' + b.name ? -1 : 1));
    const ancestors: PolicyAncestorStatus[] = sorted.slice(0, MAX_ANCESTORS).map((r) => ({
      ancestorRef: { group: GATEWAY_API_GROUP, kind: 'HTTPRoute', namespace: r.namespace, name: r.name },
      controllerName: this.controllerName,
      conditions: ancestorConditions(r.uses, resolution, gen),
    }));
    let accepted: Condition;
    if (!resolution.ok) accepted = condition(ConditionType.Accepted, 'False', Reason.Invalid, resolution.message, gen);
    else if (sorted.length === 0) {
      accepted = condition(
        ConditionType.Accepted,
        'False',
        Reason.TargetNotFound,
        'No HTTPRoute rule uses it: no ExtensionRef filter names it and its targetRefs match no rule of a route attached to a Gateway of ours',
        gen,
      );
    } else {
      const more = sorted.length > MAX_ANCESTORS ? ` (status lists the first ${MAX_ANCESTORS})` : '';
      accepted = condition(ConditionType.Accepted, 'True', Reason.Accepted, `Applies to ${sorted.length} HTTPRoute(s)${more}`, gen);
    }
    const status: RouteOptionStatus = { ancestors, conditions: [accepted] };
    const ns = obj.metadata.namespace ?? 'default';
    return {
      apiVersion: obj.apiVersion,
      kind: 'RouteOption',
      namespace: ns,
      name: obj.metadata.name,
      ...(gen !== undefined ? { generation: gen } : {}),
      status,
    };
  }
}

function ancestorConditions(uses: readonly PolicyUse[], resolution: PolicyResolution, gen: number | undefined): Condition[] {
  if (!resolution.ok) return [condition(ConditionType.Accepted, 'False', Reason.Invalid, resolution.message, gen)];
  const rules = [...new Set(uses.map((u) => `rule ${u.rule} (${u.via})`))].join(', ');
  const accepted = condition(ConditionType.Accepted, 'True', Reason.Accepted, `Applies to ${rules}`, gen);
  const applied = uses.some((u) => u.applied.length > 0);
  const overridden = uses.filter((u) => u.overridden.length > 0).map((u) => `rule ${u.rule}: ${u.overridden.join(', ')}`);
  if (overridden.length === 0) return [accepted, condition(ConditionType.Attached, 'True', Reason.Attached, 'Every option it sets is applied', gen)];
  const message = `Overridden: ${overridden.join('; ')}`;
  return [accepted, applied
    ? condition(ConditionType.Attached, 'True', Reason.Merged, `Applied in part. ${message}`, gen)
    : condition(ConditionType.Attached, 'False', Reason.Overridden, `Nothing applied. ${message}`, gen)];
}
