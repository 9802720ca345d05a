// HTTPRoutes and GRPCRoutes on one listener with intersecting hostnames. The GRPCRoute spec
// (v1.6.1, GRPCRouteSpec.hostnames): when a route of one of these kinds is attached to a listener
// that already has a route of the other kind attached, and their hostnames intersect, exactly one
// of the two is accepted: the oldest (creationTimestamp), then the first by `{namespace}/{name}`;
// the other gets `Accepted=False` in the RouteParentStatus of that parent.
//
// So the routes of such listeners are taken in that order, and each parentRef of a route is
// accepted unless, on one of its listeners, an accepted route of the other kind has a hostname
// intersecting one of its own there; a rejected parentRef leaves all its listeners (it is not
// accepted) and blocks no later route. The work is per Gateway, and only for Gateways with a
// listener carrying routes of both kinds (others cost an index update).
import { Reason } from '../status/conditions.js';
import { compareCreated, compareStrings } from '../core/sorted.js';
import { intersect } from './hostnames.js';
import type { RouteTranslation } from './route-translation.js';

export const HTTP_ROUTE = 'HTTPRoute';
export const GRPC_ROUTE = 'GRPCRoute';

export interface ParentRejection {
  readonly reason: string;
  readonly message: string;
}

type Kind = typeof HTTP_ROUTE | typeof GRPC_ROUTE;

function kindOf(t: RouteTranslation): Kind | undefined {
  const k = t.kind.kind;
  return k === HTTP_ROUTE || k === GRPC_ROUTE ? k : undefined;
}

/** Routes of each kind on one listener. */
interface ListenerRoutes {
  readonly HTTPRoute: Set<string>;
  readonly GRPCRoute: Set<string>;
}

export class KindConflicts {
  /** The translations (before this pass) of the HTTPRoutes and GRPCRoutes, by route key. */
  private readonly raw = new Map<string, RouteTranslation>();
  /** Gateway → listener → the routes of each kind placed there. */
  private readonly byListener = new Map<string, Map<string, ListenerRoutes>>();
  /** Route key → Gateway → rejected parents (index in status.parents). */
  private readonly rejected = new Map<string, Map<string, ReadonlyMap<number, ParentRejection>>>();

  /**
   * Takes the changed translations; returns the keys of routes whose rejections changed (other
   * than the changed ones, these routes need their effective translation again too).
   */
  update(changes: Iterable<readonly [string, RouteTranslation | undefined, RouteTranslation | undefined]>): Set<string> {
    const gateways = new Set<string>();
    for (const [key, prev, next] of changes) {
      if (prev && kindOf(prev)) this.unplace(key, prev, gateways);
      if (next && kindOf(next)) this.place(key, next, gateways);
      if (next && kindOf(next)) this.raw.set(key, next);
      else this.raw.delete(key);
    }
    const changed = new Set<string>();
    for (const gw of gateways) this.resolve(gw, changed);
    return changed;
  }

  /** The parents of this route rejected on any Gateway (by index), or undefined. */
  rejectionsOf(key: string): ReadonlyMap<number, ParentRejection> | undefined {
    const perGateway = this.rejected.get(key);
    if (!perGateway) return undefined;
    const out = new Map<number, ParentRejection>();
    for (const m of perGateway.values()) for (const [i, r] of m) out.set(i, r);
    return out.size > 0 ? out : undefined;
  }

  private place(key: string, t: RouteTranslation, gateways: Set<string>): void {
    const kind = kindOf(t) as Kind;
    for (const pp of t.parentPlacements) {
      if (!pp) continue;
      gateways.add(pp.gatewayKey);
      let listeners = this.byListener.get(pp.gatewayKey);
      if (!listeners) this.byListener.set(pp.gatewayKey, (listeners = new Map()));
      for (const a of pp.listeners) {
        let routes = listeners.get(a.listener);
        if (!routes) listeners.set(a.listener, (routes = { HTTPRoute: new Set(), GRPCRoute: new Set() }));
        routes[kind].add(key);
      }
    }
  }

  private unplace(key: string, t: RouteTranslation, gateways: Set<string>): void {
    const kind = kindOf(t) as Kind;
    for (const pp of t.parentPlacements) {
      if (!pp) continue;
      gateways.add(pp.gatewayKey);
      const listeners = this.byListener.get(pp.gatewayKey);
      if (!listeners) continue;
      for (const a of pp.listeners) {
        const routes = listeners.get(a.listener);
        if (!routes) continue;
        routes[kind].delete(key);
        if (routes.HTTPRoute.size === 0 && routes.GRPCRoute.size === 0) listeners.delete(a.listener);
      }
      if (listeners.size === 0) this.byListener.delete(pp.gatewayKey);
    }
  }

  /** Judges the routes of one Gateway's listeners that carry both kinds. */
  private resolve(gw: string, changed: Set<string>): void {
    const mixed = new Set<string>();
    const candidates = new Set<string>();
    for (const [listener, routes] of this.byListener.get(gw) ?? []) {
      if (routes.HTTPRoute.size === 0 || routes.GRPCRoute.size === 0) continue;
      mixed.add(listener);
      for (const k of routes.HTTPRoute) candidates.add(k);
      for (const k of routes.GRPCRoute) candidates.add(k);
    }
    const next = new Map<string, Map<number, ParentRejection>>();
    if (mixed.size > 0) {
      const ordered = [...candidates].map((k) => this.raw.get(k)).filter((t): t is RouteTranslation => t !== undefined).sort(compareRoutes);
      /** Per mixed listener and kind: the accepted routes' hostnames there. */
      const accepted = new Map<string, { HTTPRoute: { key: string; domains: readonly string[] }[]; GRPCRoute: { key: string; domains: readonly string[] }[] }>();
      for (const t of ordered) {
        const kind = kindOf(t) as Kind;
        const other: Kind = kind === HTTP_ROUTE ? GRPC_ROUTE : HTTP_ROUTE;
        for (const [i, pp] of t.parentPlacements.entries()) {
          if (!pp || pp.gatewayKey !== gw) continue;
          let conflict: { listener: string; with: string; host: string } | undefined;
          for (const a of pp.listeners) {
            if (!mixed.has(a.listener)) continue;
            for (const o of accepted.get(a.listener)?.[other] ?? []) {
              const host = firstIntersection(a.domains, o.domains);
              if (host !== undefined) {
                conflict = { listener: a.listener, with: o.key, host };
                break;
              }
            }
            if (conflict) break;
          }
          if (conflict) {
            let m = next.get(t.key);
            if (!m) next.set(t.key, (m = new Map()));
            m.set(i, {
              reason: Reason.HostnameConflict,
              message: `Hostname ${conflict.host} is also served by ${other} ${nsName(conflict.with)} on listener ${conflict.listener}, which takes precedence (older, or first by namespace/name)`,
            });
            continue;
          }
          for (const a of pp.listeners) {
            if (!mixed.has(a.listener)) continue;
            let entry = accepted.get(a.listener);
            if (!entry) accepted.set(a.listener, (entry = { HTTPRoute: [], GRPCRoute: [] }));
            entry[kind].push({ key: t.key, domains: a.domains });
          }
        }
      }
    }
    // Replace this Gateway's verdicts; report the routes whose verdicts changed.
    for (const [key, perGateway] of this.rejected) {
      if (!perGateway.has(gw) || next.has(key)) continue;
      perGateway.delete(gw);
      if (perGateway.size === 0) this.rejected.delete(key);
      changed.add(key);
    }
    for (const [key, m] of next) {
      let perGateway = this.rejected.get(key);
      if (!perGateway) this.rejected.set(key, (perGateway = new Map()));
      const old = perGateway.get(gw);
      if (!old || !sameRejections(old, m)) changed.add(key);
      perGateway.set(gw, m);
    }
  }
}

function firstIntersection(a: readonly string[], b: readonly string[]): string | undefined {
  for (const x of a) for (const y of b) {
    const i = intersect(x, y);
    if (i !== undefined) return i;
  }
  return undefined;
}

function sameRejections(a: ReadonlyMap<number, ParentRejection>, b: ReadonlyMap<number, ParentRejection>): boolean {
  if (a.size !== b.size) return false;
  for (const [i, r] of a) {
    const o = b.get(i);
    if (!o || o.reason !== r.reason || o.message !== r.message) return false;
  }
  return true;
}

/** The oldest first (no timestamp: last), then by `namespace/name`, then kind. */
function compareRoutes(a: RouteTranslation, b: RouteTranslation): number {
  return compareCreated(a.route, b.route) || compareStrings(nsName(a.key), nsName(b.key)) || compareStrings(a.kind.kind, b.kind.kind);
}

/** Route keys are `Kind/namespace/name`. */
function nsName(key: string): string {
  return key.slice(key.indexOf('/') + 1);
}
