// One HTTPRoute, translated: its outcome on each parent of ours (status), where it is placed
// (Gateway listener + effective hostnames), the clusters it uses, and its RouteIR entries per
// route-table flavour (built lazily, reusing the previous translation's objects when equal).
import { routeName, type RedirectActionIR, type RouteActionIR, type RouteIR } from '@gantry/ir';
import type { HTTPRoute, HTTPRouteStatus, RouteParentStatus } from '../api/gateway-api.js';
import type { Condition } from '../api/meta.js';
import { attachToParent, type ListenerAttachment, type ParentOutcome } from './attachment.js';
import type { BackendContext, BackendResolvers } from './backends.js';
import { condition, ConditionType, Reason } from './conditions.js';
import { deepEqual } from './equality.js';
import { flavorKey, namespaceOf, type ClusterUse, type Flavor, type Lookups, type RouteEntry } from './model.js';
import { compileRules, type CompiledRule, type RedirectTemplate } from './route-rules.js';
import type { StatusReport } from './status.js';

export interface RouteTranslationOptions {
  readonly controllerName: string;
  readonly resolvers: BackendResolvers;
  readonly cluster: BackendContext['cluster'];
}

export class RouteTranslation {
  readonly key: string;
  /** Undefined when no parentRef names a Gateway of ours. */
  readonly report: StatusReport | undefined;
  /** Accepted placements, merged per Gateway and listener. */
  readonly placements: ReadonlyMap<string, readonly ListenerAttachment[]>;
  readonly clusters: readonly ClusterUse[];
  private readonly rules: readonly CompiledRule[];
  private readonly created: string;
  private readonly entries = new Map<string, readonly RouteEntry[]>();
  private readonly reusable: Map<string, readonly RouteEntry[]>;

  constructor(
    readonly route: HTTPRoute,
    lookups: Lookups,
    opts: RouteTranslationOptions,
    previous?: RouteTranslation,
  ) {
    const ns = namespaceOf(route);
    this.key = `${ns}/${route.metadata.name}`;
    this.created = route.metadata.creationTimestamp ?? '';
    this.reusable = previous ? previous.entries : new Map();

    const hostnames = route.spec?.hostnames ?? [];
    const parents: ParentOutcome[] = [];
    for (const ref of route.spec?.parentRefs ?? []) {
      const outcome = attachToParent(ref, ns, hostnames, lookups);
      if (outcome) parents.push(outcome);
    }
    if (parents.length === 0) {
      this.report = undefined;
      this.placements = new Map();
      this.clusters = [];
      this.rules = [];
      return;
    }
    const compiled = compileRules(route, { fromKind: 'HTTPRoute', fromNamespace: ns, lookups, cluster: opts.cluster }, opts.resolvers);
    this.rules = compiled.rules;
    const usable = compiled.rules.length > 0;
    this.clusters = usable ? compiled.clusters : [];

    const gen = route.metadata.generation;
    const resolved: Condition =
      compiled.refProblems.length === 0
        ? condition(ConditionType.ResolvedRefs, 'True', Reason.ResolvedRefs, 'All references resolved', gen)
        : condition(
            ConditionType.ResolvedRefs,
            'False',
            (compiled.refProblems[0] as { reason: string }).reason,
            compiled.refProblems.map((p) => p.message).join('; '),
            gen,
          );
    const firstInvalid = compiled.invalid[0];
    const dropped = compiled.invalid.map((p) => p.message).join('; ');
    const statusParents: RouteParentStatus[] = [];
    const placements = new Map<string, Map<string, Set<string>>>();
    for (const p of parents) {
      const conditions: Condition[] = [];
      let attached = p.accepted;
      if (!p.accepted) {
        conditions.push(condition(ConditionType.Accepted, 'False', p.reason, p.message, gen));
      } else if (!usable && firstInvalid) {
        attached = false;
        conditions.push(condition(ConditionType.Accepted, 'False', firstInvalid.reason, `All rules are invalid: ${dropped}`, gen));
      } else {
        conditions.push(condition(ConditionType.Accepted, 'True', Reason.Accepted, p.message, gen));
      }
      conditions.push(resolved);
      if (attached && firstInvalid) {
        conditions.push(condition(ConditionType.PartiallyInvalid, 'True', Reason.UnsupportedValue, `Dropped Rule(s): ${dropped}`, gen));
      }
      statusParents.push({ parentRef: p.ref, controllerName: opts.controllerName, conditions });
      if (!attached) continue;
      let byListener = placements.get(p.gatewayKey);
      if (!byListener) placements.set(p.gatewayKey, (byListener = new Map()));
      for (const l of p.listeners) {
        let domains = byListener.get(l.listener);
        if (!domains) byListener.set(l.listener, (domains = new Set()));
        for (const d of l.domains) domains.add(d);
      }
    }
    this.placements = new Map(
      [...placements].map(([gw, byListener]) => [
        gw,
        [...byListener].map(([listener, domains]) => ({ listener, domains: [...domains].sort() })),
      ]),
    );
    const status: HTTPRouteStatus = { parents: statusParents };
    this.report = {
      apiVersion: route.apiVersion,
      kind: 'HTTPRoute',
      namespace: ns,
      name: route.metadata.name,
      ...(gen !== undefined ? { generation: gen } : {}),
      status,
    };
  }

  /** RouteIR entries for a route table of this flavour, in rule and match order. */
  entriesFor(flavor: Flavor): readonly RouteEntry[] {
    const fk = flavorKey(flavor);
    let list = this.entries.get(fk);
    if (list) return list;
    const old = this.reusable.get(fk);
    const out: RouteEntry[] = [];
    const [ns, name] = splitKey(this.key);
    for (const rule of this.rules) {
      for (const m of rule.matches) {
        const route: RouteIR = {
          name: routeName('HTTPRoute', ns, name, rule.index, m.index),
          match: m.match,
          action: actionFor(rule, flavor),
          ...(rule.requestHeaders ? { requestHeaders: rule.requestHeaders } : {}),
          ...(rule.responseHeaders ? { responseHeaders: rule.responseHeaders } : {}),
          ...(rule.cors ? { cors: rule.cors } : {}),
        };
        const entry: RouteEntry = {
          route,
          pathRank: m.pathRank,
          pathLength: m.pathLength,
          hasMethod: m.hasMethod,
          headerCount: m.headerCount,
          queryCount: m.queryCount,
          created: this.created,
          routeKey: this.key,
          ruleIndex: rule.index,
          matchIndex: m.index,
        };
        out.push(reuseEntry(old?.[out.length], entry));
      }
    }
    list = old && old.length === out.length && out.every((e, i) => e === old[i]) ? old : out;
    this.entries.set(fk, list);
    return list;
  }
}

function splitKey(key: string): [string, string] {
  const i = key.indexOf('/');
  return [key.slice(0, i), key.slice(i + 1)];
}

function actionFor(rule: CompiledRule, flavor: Flavor): RouteActionIR {
  const a = rule.action;
  switch (a.kind) {
    case 'forward':
    case 'directResponse':
      return a.action;
    case 'redirect':
      return redirectFor(a.redirect, flavor);
  }
}

/**
 * The spec's port rules: an explicit port wins; else a scheme given by the filter brings its
 * well-known port; else the listener's port. The scheme defaults to the listener's.
 */
export function redirectFor(t: RedirectTemplate, flavor: Flavor): RedirectActionIR {
  const scheme = t.scheme ?? (flavor.protocol === 'HTTPS' ? 'https' : 'http');
  const port = t.port ?? (t.scheme ? (t.scheme === 'https' ? 443 : 80) : flavor.port);
  return {
    kind: 'redirect',
    scheme,
    ...(t.hostname ? { hostname: t.hostname } : {}),
    port,
    ...(t.path ? { path: t.path } : {}),
    statusCode: t.statusCode,
  };
}

/** Keep the previous entry (or at least its RouteIR) when nothing about it changed. */
function reuseEntry(old: RouteEntry | undefined, next: RouteEntry): RouteEntry {
  if (!old) return next;
  const route = old.route === next.route || deepEqual(old.route, next.route) ? old.route : next.route;
  if (
    route === old.route &&
    old.pathRank === next.pathRank &&
    old.pathLength === next.pathLength &&
    old.hasMethod === next.hasMethod &&
    old.headerCount === next.headerCount &&
    old.queryCount === next.queryCount &&
    old.created === next.created &&
    old.routeKey === next.routeKey &&
    old.ruleIndex === next.ruleIndex &&
    old.matchIndex === next.matchIndex
  ) {
    return old;
  }
  return route === next.route ? next : { ...next, route };
}
