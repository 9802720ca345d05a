// One route, translated: its outcome on each parent of ours (status), where it is placed
// (Gateway listener + effective hostnames), the clusters it uses, and its RouteIR entries per
// route-table flavour (built lazily, reusing the previous translation's objects when equal).
import { routeName, safeErrorMessage, type RedirectActionIR, type RouteActionIR, type RouteIR, type WeightedBackendIR } from '@gantry/ir';
import type { Condition, HTTPRouteStatus, ParentReference, RouteParentStatus } from '@gantry/api';
import { attachToParent, type ListenerAttachment, type ParentOutcome } from './attachment.js';
import type { BackendContext } from '../backends/backend.js';
import { condition, ConditionType, Reason } from '../status/conditions.js';
import { deepEqual } from '../core/equality.js';
import type { ClusterUse } from '../backends/backend.js';
import { namespaceOf } from '../core/keys.js';
import type { Lookups } from '../core/lookups.js';
import { append, exactList, flat, type Mutable } from '../core/memory.js';
import type { Flavor, RouteEntry } from './model.js';
import type { CompiledRule, CompiledRules, CompileTables, RedirectTemplate, RouteKind, RouteObject } from './route-kind.js';
import type { StatusReport } from '../status/reports.js';

import type { PolicyUse } from '../policies/policy.js';

export interface RouteTranslationOptions {
  readonly controllerName: string;
  readonly tables: CompileTables;
  readonly cluster: BackendContext['cluster'];
  readonly clusterLike: BackendContext['clusterLike'];
  readonly installNamespace: string;
  readonly kubernetesDestinations: boolean;
  readonly backendTls?: BackendContext['backendTls'];
  /** The translator's interned all-good conditions (see CommonConditions). */
  readonly common: CommonConditions;
}

export interface RecordedDeps {
  readonly deps: readonly string[];
  readonly serviceDeps: readonly string[];
}

export interface GatewayPlacement {
  readonly gatewayKey: string;
  readonly listeners: readonly ListenerAttachment[];
}

const NO_PLACEMENTS: readonly GatewayPlacement[] = [];
const NO_CLUSTERS: readonly ClusterUse[] = [];
const NO_RULES: readonly CompiledRule[] = [];
const NO_STRINGS: readonly string[] = [];
const NO_PARENT_REFS: readonly ParentReference[] = [];
const NO_POLICY_USES: readonly PolicyUse[] = [];
const NO_BACKENDS: readonly WeightedBackendIR[] = [];
const NO_PARENT_PLACEMENTS: readonly (GatewayPlacement | undefined)[] = [];

export class RouteTranslation {
  /** Undefined when no parentRef names a Gateway of ours. */
  readonly report: StatusReport | undefined;
  /** Dependency keys read (other than Services and Gateways). */
  readonly deps: readonly string[];
  /** `namespace/name` of every Service read. */
  readonly serviceDeps: readonly string[];
  /** Accepted placements, merged per Gateway and listener. */
  readonly placements: readonly GatewayPlacement[];
  readonly clusters: readonly ClusterUse[];
  /** What policies (RouteOptions, ...) did to its rules: for their status. */
  readonly policyUses: readonly PolicyUse[];
  /**
   * Per entry of the report's `status.parents` (same index): where that parentRef attached the
   * route, or undefined when it did not. Lets a pass across routes reject one parentRef
   * (`withRejectedParents`).
   */
  readonly parentPlacements: readonly (GatewayPlacement | undefined)[];
  private readonly rules: readonly CompiledRule[];
  private readonly created: string;
  private readonly namespace: string;
  private readonly name: string;
  /** Entries per flavour key; most routes only ever need one flavour. */
  private entries: FlavorEntries | undefined;
  private readonly reusable: FlavorEntries | undefined;

  constructor(
    /** `namespace/name` of the route. */
    readonly key: string,
    readonly route: RouteObject,
    readonly kind: RouteKind,
    lookups: Lookups,
    opts: RouteTranslationOptions,
    previous: RouteTranslation | undefined,
    /** What this translation read: the Lookups fill it while the constructor runs. */
    recorded: RecordedDeps,
  ) {
    const ns = namespaceOf(route);
    this.namespace = ns;
    this.name = route.metadata.name;
    this.created = route.metadata.creationTimestamp ?? '';
    this.reusable = previous?.entries;

    const hostnames = route.spec?.hostnames ?? NO_STRINGS;
    let parents: ParentOutcome[] | undefined;
    for (const ref of route.spec?.parentRefs ?? NO_PARENT_REFS) {
      const outcome = attachToParent(ref, ns, hostnames, lookups, kind);
      if (outcome) parents = append(parents, outcome);
    }
    if (parents === undefined) {
      this.report = undefined;
      this.deps = recorded.deps;
      this.serviceDeps = recorded.serviceDeps;
      this.placements = NO_PLACEMENTS;
      this.clusters = NO_CLUSTERS;
      this.rules = NO_RULES;
      this.policyUses = NO_POLICY_USES;
      this.parentPlacements = NO_PARENT_PLACEMENTS;
      return;
    }
    const ctx: BackendContext = {
      fromKind: kind.kind, fromNamespace: ns, lookups, cluster: opts.cluster, clusterLike: opts.clusterLike, installNamespace: opts.installNamespace,
      kubernetesDestinations: opts.kubernetesDestinations,
      ...(opts.backendTls ? { backendTls: opts.backendTls } : {}),
    };
    const compiled = compileIsolated(kind, route, ctx, opts.tables);
    this.rules = compiled.rules;
    this.policyUses = compiled.policyUses;
    const usable = compiled.rules.length > 0;
    this.clusters = usable ? compiled.clusters : NO_CLUSTERS;

    const gen = route.metadata.generation;
    const common = opts.common.of(gen);
    const resolved: Condition =
      compiled.refProblems.length === 0
        ? compiled.notes.length === 0
          ? common.resolved
          : condition(ConditionType.ResolvedRefs, 'True', Reason.ResolvedRefs, `All references resolved; ${compiled.notes.join('; ')}`, gen)
        : condition(
            ConditionType.ResolvedRefs,
            'False',
            (compiled.refProblems[0] as { reason: string }).reason,
            compiled.refProblems.map((p) => p.message).join('; '),
            gen,
          );
    const firstInvalid = compiled.invalid[0];
    const dropped = firstInvalid ? compiled.invalid.map((p) => p.message).join('; ') : '';
    const statusParents = new Array<RouteParentStatus>(parents.length);
    const parentPlacements = new Array<GatewayPlacement | undefined>(parents.length);
    let placements: { gatewayKey: string; listeners: readonly ListenerAttachment[] }[] | undefined;
    for (let i = 0; i < parents.length; i++) {
      const p = parents[i] as ParentOutcome;
      let attached = p.accepted;
      let accepted: Condition;
      if (!p.accepted) {
        accepted = condition(ConditionType.Accepted, 'False', p.reason, p.message, gen);
      } else if (!usable && firstInvalid) {
        attached = false;
        accepted = condition(ConditionType.Accepted, 'False', firstInvalid.reason, `All rules are invalid: ${dropped}`, gen);
      } else {
        accepted = common.accepted;
      }
      let conditions: Condition[];
      if (attached && firstInvalid) {
        conditions = [accepted, resolved, condition(ConditionType.PartiallyInvalid, 'True', Reason.UnsupportedValue, `Dropped Rule(s): ${dropped}`, gen)];
      } else if (accepted === common.accepted && resolved === common.resolved) conditions = common.both;
      else conditions = [accepted, resolved];
      statusParents[i] = { parentRef: p.ref, controllerName: opts.controllerName, conditions };
      if (!attached) continue;
      parentPlacements[i] = { gatewayKey: p.gatewayKey, listeners: p.listeners };
      const existing = placements?.find((x) => x.gatewayKey === p.gatewayKey);
      if (!existing) placements = append(placements, { gatewayKey: p.gatewayKey, listeners: p.listeners });
      else existing.listeners = mergeAttachments(existing.listeners, p.listeners);
    }
    this.placements = placements ? exactList(placements) : NO_PLACEMENTS;
    this.parentPlacements = parentPlacements;
    this.deps = recorded.deps;
    this.serviceDeps = recorded.serviceDeps;
    const status: HTTPRouteStatus = { parents: statusParents };
    // Two literals rather than a spread: the same field order, without a temporary object.
    this.report =
      gen !== undefined
        ? { apiVersion: route.apiVersion, kind: kind.kind, namespace: ns, name: route.metadata.name, generation: gen, status }
        : { apiVersion: route.apiVersion, kind: kind.kind, namespace: ns, name: route.metadata.name, status };
  }

  /**
   * This translation with some parentRefs (by index in `status.parents`) not accepted: their
   * condition says why (`Accepted=False`, reason, message) and the route leaves their listeners.
   * Everything else (rules, clusters, route entries) is shared with this one.
   */
  withRejectedParents(rejected: ReadonlyMap<number, { readonly reason: string; readonly message: string }>): RouteTranslation {
    const report = this.report;
    if (!report || rejected.size === 0) return this;
    const gen = this.route.metadata.generation;
    const status = report.status as HTTPRouteStatus;
    const parents = status.parents.map((p, i) => {
      const r = rejected.get(i);
      if (!r) return p;
      // The Accepted condition replaced, ResolvedRefs kept; PartiallyInvalid only says what an accepted route dropped.
      const rest = p.conditions.filter((c) => c.type !== ConditionType.Accepted && c.type !== ConditionType.PartiallyInvalid);
      return { ...p, conditions: [condition(ConditionType.Accepted, 'False', r.reason, r.message, gen), ...rest] };
    });
    let placements: { gatewayKey: string; listeners: readonly ListenerAttachment[] }[] | undefined;
    for (const [i, pp] of this.parentPlacements.entries()) {
      if (!pp || rejected.has(i)) continue;
      const existing = placements?.find((x) => x.gatewayKey === pp.gatewayKey);
      if (!existing) placements = append(placements, { gatewayKey: pp.gatewayKey, listeners: pp.listeners });
      else existing.listeners = mergeAttachments(existing.listeners, pp.listeners);
    }
    const derived = Object.assign(Object.create(RouteTranslation.prototype) as RouteTranslation, this);
    const fields = derived as unknown as { report: StatusReport; placements: readonly GatewayPlacement[] };
    fields.report = { ...report, status: { ...status, parents } } as StatusReport;
    fields.placements = placements ? exactList(placements) : NO_PLACEMENTS;
    return derived;
  }

  /** Kinds that forward connections (TLSRoute, ...): the backends of the rule served; empty: none. */
  l4Backends(): readonly WeightedBackendIR[] {
    const a = this.rules[0]?.action;
    return a !== undefined && a.kind === 'forward' ? a.backends : NO_BACKENDS;
  }

  /** This route's listeners (with hostnames) on one Gateway. */
  placementsOn(gatewayKey: string): readonly ListenerAttachment[] | undefined {
    for (const p of this.placements) if (p.gatewayKey === gatewayKey) return p.listeners;
    return undefined;
  }

  /** RouteIR entries for a route table of this flavour, in rule and match order. */
  entriesFor(flavor: Flavor): readonly RouteEntry[] {
    const fk = flavor.key;
    let list = lookupFlavor(this.entries, fk);
    if (list) return list;
    const old = lookupFlavor(this.reusable, fk);
    let count = 0;
    for (const rule of this.rules) count += rule.matches.length;
    const out = new Array<RouteEntry>(count);
    let n = 0;
    let same = old !== undefined && old.length === count;
    for (const rule of this.rules) {
      for (const m of rule.matches) {
        const route: Mutable<RouteIR> = {
          name: flat(routeName(this.kind.kind, this.namespace, this.name, rule.index, m.index)),
          match: m.match,
          action: actionFor(rule, flavor),
        };
        if (rule.requestHeaders) route.requestHeaders = rule.requestHeaders;
        if (rule.responseHeaders) route.responseHeaders = rule.responseHeaders;
        if (rule.cors) route.cors = rule.cors;
        if (rule.faults) route.faults = rule.faults;
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
        const previous = old?.[n];
        const e = reuseEntry(previous, entry);
        if (e !== previous) same = false;
        out[n++] = e;
      }
    }
    list = same ? (old as readonly RouteEntry[]) : out;
    this.entries = storeFlavor(this.entries, fk, list);
    return list;
  }
}

type FlavorEntries = { readonly key: string; readonly list: readonly RouteEntry[]; readonly next?: FlavorEntries };

function lookupFlavor(f: FlavorEntries | undefined, key: string): readonly RouteEntry[] | undefined {
  for (let x = f; x; x = x.next) if (x.key === key) return x.list;
  return undefined;
}

function storeFlavor(f: FlavorEntries | undefined, key: string, list: readonly RouteEntry[]): FlavorEntries {
  return f ? { key, list, next: f } : { key, list };
}

interface Common {
  readonly accepted: Condition;
  readonly resolved: Condition;
  /** `[accepted, resolved]`: the whole condition list of an all-good parent (shared: never mutated). */
  readonly both: Condition[];
}

/**
 * The conditions every all-good route of a generation reports, made once per translator (reports
 * are immutable, so thousands of routes can share them).
 */
export class CommonConditions {
  private readonly byGeneration = new Map<number | undefined, Common>();
  private last: Common | undefined;
  private lastGeneration: number | undefined;

  of(gen: number | undefined): Common {
    if (this.last !== undefined && this.lastGeneration === gen) return this.last;
    let c = this.byGeneration.get(gen);
    if (!c) {
      const accepted = condition(ConditionType.Accepted, 'True', Reason.Accepted, 'Route is accepted', gen);
      const resolved = condition(ConditionType.ResolvedRefs, 'True', Reason.ResolvedRefs, 'All references resolved', gen);
      c = { accepted, resolved, both: [accepted, resolved] };
      if (this.byGeneration.size < 1024) this.byGeneration.set(gen, c);
    }
    this.last = c;
    this.lastGeneration = gen;
    return c;
  }
}

/** Merges another parentRef's listeners into a Gateway's placements (union of hostnames). */
function mergeAttachments(current: readonly ListenerAttachment[], more: readonly ListenerAttachment[]): ListenerAttachment[] {
  const into = current.slice();
  for (const l of more) {
    const i = into.findIndex((x) => x.listener === l.listener);
    if (i < 0) {
      into.push(l);
      continue;
    }
    const cur = into[i] as ListenerAttachment;
    const domains = [...new Set([...cur.domains, ...l.domains])].sort();
    into[i] = { listener: l.listener, domains };
  }
  return into;
}

function actionFor(rule: CompiledRule, flavor: Flavor): RouteActionIR {
  const a = rule.action;
  switch (a.kind) {
    case 'forward':
    case 'directResponse':
      return a;
    case 'redirectTemplate':
      return redirectFor(a, flavor);
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

/**
 * A route kind's compile, isolated: an exception (a bug, or an input nobody thought of) drops this
 * route's rules and reports it on the route, instead of stopping the translation of every Gateway.
 */
function compileIsolated(kind: RouteKind, route: RouteObject, ctx: BackendContext, tables: CompileTables): CompiledRules {
  try {
    return kind.compile(route, ctx, tables);
  } catch (err) {
    return {
      rules: NO_RULES,
      invalid: [{ rule: 0, reason: Reason.UnsupportedValue, message: `this route could not be translated: ${safeErrorMessage(err)}` }],
      refProblems: [],
      notes: [],
      clusters: NO_CLUSTERS,
      policyUses: NO_POLICY_USES,
    };
  }
}
