// The status to write for one object: the translator's desired status merged into what the API
// server has, or undefined when the write would change nothing. GatewayClass and Gateway status
// are wholly ours (except Gateway addresses, which the deployer supplies); HTTPRoute
// status.parents is shared with other controllers, so only our entries change; our own kinds'
// status (Upstream) is wholly ours.
import {
  GATEWAY_API_GROUP,
  KIND_TABLE,
  REPORTED_KINDS,
  type GatewayClassStatus,
  type GatewayStatus,
  type GatewayStatusAddress,
  type HTTPRouteStatus,
  type ListenerStatus,
  type ParentReference,
  type PolicyAncestorStatus,
  type RouteOptionStatus,
  type RouteParentStatus,
  type Condition,
  type UpstreamStatus,
  type VirtualDestinationStatus,
} from '@gantry/api';
import { CONTROLLER_NAME, type StatusReport } from '@gantry/translator';
import { mergeConditions } from './conditions.js';
import { jsonEqual } from './equality.js';

export interface MergeOptions {
  /** RFC 3339 time for conditions that transition in this write. */
  readonly now: string;
  /** observedGeneration for conditions that do not carry one (the object's metadata.generation). */
  readonly generation?: number;
}

export interface GatewayMergeOptions extends MergeOptions {
  /**
   * status.addresses from the deployer (the Envoy Service's address). Undefined keeps whatever
   * the object has, so a translation never wipes addresses it does not know; [] removes them.
   */
  readonly addresses?: readonly GatewayStatusAddress[];
}

export interface RouteMergeOptions extends MergeOptions {
  /** The route's namespace: a parentRef without namespace means this one. */
  readonly routeNamespace: string;
  /** Entries with this controllerName are ours; default gantry.dev/gatewayclass-controller. */
  readonly controllerName?: string;
}

function list<T>(value: readonly T[] | undefined): readonly T[] {
  return Array.isArray(value) ? value : [];
}

// ---- GatewayClass ------------------------------------------------------------------------------

export function mergeGatewayClassStatus(current: GatewayClassStatus | undefined, desired: GatewayClassStatus, opts: MergeOptions): GatewayClassStatus | undefined {
  const next: GatewayClassStatus = {
    conditions: mergeConditions(current?.conditions, list(desired.conditions), { now: opts.now, observedGeneration: opts.generation }),
    ...(desired.supportedFeatures !== undefined ? { supportedFeatures: desired.supportedFeatures.map((f) => ({ ...f })) } : {}),
  };
  return jsonEqual(current ?? {}, next) ? undefined : next;
}

// ---- Gateway -------------------------------------------------------------------------------------

function withAddressDefaults(addresses: readonly GatewayStatusAddress[]): GatewayStatusAddress[] {
  // The CRD defaults type to IPAddress; writing it out keeps our copy equal to the stored one.
  return addresses.map((a) => ({ type: a.type ?? 'IPAddress', value: a.value }));
}

function mergeListeners(current: readonly ListenerStatus[] | undefined, desired: readonly ListenerStatus[], opts: MergeOptions): ListenerStatus[] {
  const previous = new Map(list(current).map((l) => [l.name, l]));
  return desired.map((l) => ({
    name: l.name,
    supportedKinds: list(l.supportedKinds).map((k) => ({ group: k.group ?? GATEWAY_API_GROUP, kind: k.kind })),
    attachedRoutes: l.attachedRoutes,
    conditions: mergeConditions(previous.get(l.name)?.conditions, list(l.conditions), { now: opts.now, observedGeneration: opts.generation }),
  }));
}

export function mergeGatewayStatus(current: GatewayStatus | undefined, desired: GatewayStatus, opts: GatewayMergeOptions): GatewayStatus | undefined {
  const addresses = opts.addresses ?? desired.addresses ?? current?.addresses;
  const next: GatewayStatus = {
    ...(addresses !== undefined && addresses.length > 0 ? { addresses: withAddressDefaults(addresses) } : {}),
    conditions: mergeConditions(current?.conditions, list(desired.conditions), { now: opts.now, observedGeneration: opts.generation }),
    ...(desired.listeners !== undefined ? { listeners: mergeListeners(current?.listeners, desired.listeners, opts) } : {}),
    ...(desired.attachedListenerSets !== undefined ? { attachedListenerSets: desired.attachedListenerSets } : {}),
  };
  return jsonEqual(current ?? {}, next) ? undefined : next;
}

// ---- HTTPRoute -----------------------------------------------------------------------------------

/** The parentRef as the API server stores it: group and kind defaulted. */
export function normalizeParentRef(ref: ParentReference): ParentReference {
  return {
    group: ref.group ?? GATEWAY_API_GROUP,
    kind: ref.kind ?? 'Gateway',
    ...(ref.namespace !== undefined ? { namespace: ref.namespace } : {}),
    name: ref.name,
    ...(ref.sectionName !== undefined ? { sectionName: ref.sectionName } : {}),
    ...(ref.port !== undefined ? { port: ref.port } : {}),
  };
}

/** Identity of a parentRef with every default applied: two refs naming the same parent are equal. */
export function parentRefKey(ref: ParentReference, routeNamespace: string): string {
  return JSON.stringify([ref.group ?? GATEWAY_API_GROUP, ref.kind ?? 'Gateway', ref.namespace ?? routeNamespace, ref.name, ref.sectionName ?? '', ref.port ?? null]);
}

/**
 * status.parents with our entries replaced by the desired ones: other controllers' entries stay
 * untouched and in place, ours are updated in place, ours for parents no longer reported are
 * removed, and new ones are appended.
 */
export function mergeHTTPRouteStatus(current: HTTPRouteStatus | undefined, desired: HTTPRouteStatus, opts: RouteMergeOptions): HTTPRouteStatus | undefined {
  const controller = opts.controllerName ?? CONTROLLER_NAME;
  const wanted = new Map<string, RouteParentStatus>();
  for (const p of list(desired.parents)) {
    if (p.controllerName !== controller) continue; // a report only speaks for us
    const key = parentRefKey(p.parentRef, opts.routeNamespace);
    if (!wanted.has(key)) wanted.set(key, p);
  }
  const merged = (p: RouteParentStatus, previous: RouteParentStatus | undefined): RouteParentStatus => ({
    parentRef: normalizeParentRef(p.parentRef),
    controllerName: controller,
    conditions: mergeConditions(previous?.conditions, list(p.conditions), { now: opts.now, observedGeneration: opts.generation }),
  });

  const parents: RouteParentStatus[] = [];
  const placed = new Set<string>();
  for (const p of list(current?.parents)) {
    if (p.controllerName !== controller) {
      parents.push(p);
      continue;
    }
    const key = parentRefKey(p.parentRef, opts.routeNamespace);
    const want = wanted.get(key);
    if (want === undefined || placed.has(key)) continue; // stale, or a duplicate of ours
    parents.push(merged(want, p));
    placed.add(key);
  }
  for (const [key, p] of wanted) if (!placed.has(key)) parents.push(merged(p, undefined));

  const next: HTTPRouteStatus = { ...(current ?? {}), parents };
  // A route that never had a status gets none written just to say "no parents".
  return jsonEqual({ ...(current ?? {}), parents: list(current?.parents) }, next) ? undefined : next;
}

// ---- kinds of ours (Upstream, ...) ------------------------------------------------------------------

/** A status wholly ours: its conditions merged (lastTransitionTime kept), its other fields as desired. */
export function mergeOwnedStatus<S extends { conditions?: Condition[]; observedGeneration?: number }>(
  current: S | undefined,
  desired: S,
  opts: MergeOptions,
): S | undefined {
  const next: S = {
    ...desired,
    conditions: mergeConditions(current?.conditions, list(desired.conditions), { now: opts.now, observedGeneration: opts.generation }),
    ...(opts.generation !== undefined ? { observedGeneration: opts.generation } : {}),
  };
  return jsonEqual(current ?? {}, next) ? undefined : next;
}

// ---- policies (RouteOption) ----------------------------------------------------------------------

function ancestorKey(a: PolicyAncestorStatus, policyNamespace: string): string {
  const r = a.ancestorRef;
  return JSON.stringify([r.group ?? GATEWAY_API_GROUP, r.kind ?? 'Gateway', r.namespace ?? policyNamespace, r.name, r.sectionName ?? '']);
}

/**
 * status.ancestors is shared like a route's status.parents (only entries with our controllerName
 * change, others stay in place); status.conditions are ours.
 */
export function mergePolicyStatus(current: RouteOptionStatus | undefined, desired: RouteOptionStatus, opts: RouteMergeOptions): RouteOptionStatus | undefined {
  const controller = opts.controllerName ?? CONTROLLER_NAME;
  const cond = { now: opts.now, observedGeneration: opts.generation };
  const wanted = new Map<string, PolicyAncestorStatus>();
  for (const a of list(desired.ancestors)) if (a.controllerName === controller) wanted.set(ancestorKey(a, opts.routeNamespace), a);
  const merged = (a: PolicyAncestorStatus, previous: PolicyAncestorStatus | undefined): PolicyAncestorStatus => ({
    ancestorRef: { ...a.ancestorRef },
    controllerName: controller,
    conditions: mergeConditions(previous?.conditions, list(a.conditions), cond),
  });
  const ancestors: PolicyAncestorStatus[] = [];
  const placed = new Set<string>();
  for (const a of list(current?.ancestors)) {
    if (a.controllerName !== controller) {
      ancestors.push(a);
      continue;
    }
    const key = ancestorKey(a, opts.routeNamespace);
    const want = wanted.get(key);
    if (want === undefined || placed.has(key)) continue;
    ancestors.push(merged(want, a));
    placed.add(key);
  }
  for (const [key, a] of wanted) if (!placed.has(key)) ancestors.push(merged(a, undefined));
  // Kinds whose status has no conditions (Gateway API PolicyStatus: BackendTLSPolicy) get none.
  const conditions = desired.conditions === undefined && current?.conditions === undefined ? undefined : mergeConditions(current?.conditions, list(desired.conditions), cond);
  const next: RouteOptionStatus = {
    ...(current ?? {}),
    ancestors,
    ...(conditions !== undefined ? { conditions } : {}),
  };
  return jsonEqual(current ?? {}, next) ? undefined : next;
}

// ---- any report ------------------------------------------------------------------------------------

export type ObjectStatus = GatewayClassStatus | GatewayStatus | HTTPRouteStatus | UpstreamStatus | RouteOptionStatus | VirtualDestinationStatus;

export interface ReportMergeOptions {
  readonly now: string;
  readonly controllerName?: string;
  /** Gateway reports only: see GatewayMergeOptions.addresses. */
  readonly addresses?: readonly GatewayStatusAddress[];
}

/** mergeXStatus for the report's kind, as the kind table says its status is written. */
export function mergeReport(current: ObjectStatus | undefined, report: StatusReport, opts: ReportMergeOptions): ObjectStatus | undefined {
  const base = { now: opts.now, ...(report.generation !== undefined ? { generation: report.generation } : {}) };
  const merge = KIND_TABLE[report.kind].status.merge;
  switch (merge) {
    case 'gateway-class':
      return mergeGatewayClassStatus(current as GatewayClassStatus | undefined, report.status as GatewayClassStatus, base);
    case 'gateway':
      return mergeGatewayStatus(current as GatewayStatus | undefined, report.status as GatewayStatus, { ...base, ...(opts.addresses ? { addresses: opts.addresses } : {}) });
    case 'route-parents':
      return mergeHTTPRouteStatus(current as HTTPRouteStatus | undefined, report.status as HTTPRouteStatus, {
        ...base,
        routeNamespace: report.namespace ?? 'default',
        ...(opts.controllerName ? { controllerName: opts.controllerName } : {}),
      });
    case 'owned':
      return mergeOwnedStatus(current as UpstreamStatus | undefined, report.status as UpstreamStatus, base);
    case 'policy-ancestors':
      return mergePolicyStatus(current as RouteOptionStatus | undefined, report.status as RouteOptionStatus, {
        ...base,
        routeNamespace: report.namespace ?? 'default',
        ...(opts.controllerName ? { controllerName: opts.controllerName } : {}),
      });
  }
}

/** "Kind namespace/name": one key per object, for batching and logs. */
const reportKeys = new WeakMap<object, string>();

/** `Kind namespace/name`; remembered per report object (the translator reuses unchanged reports). */
export function reportKey(report: Pick<StatusReport, 'kind' | 'namespace' | 'name'>): string {
  let key = reportKeys.get(report);
  if (key === undefined) {
    key = `${report.kind} ${report.namespace !== undefined ? `${report.namespace}/` : ''}${report.name}`;
    reportKeys.set(report, key);
  }
  return key;
}

const KIND_PRIORITY = new Map<string, number>(REPORTED_KINDS.map((k) => [k, KIND_TABLE[k].status.order]));

/** Write order for a reportKey(): the kind table's status order (classes, Gateways, routes). */
export function reportKeyPriority(key: string): number {
  return KIND_PRIORITY.get(key.slice(0, key.indexOf(' '))) ?? REPORTED_KINDS.length;
}
