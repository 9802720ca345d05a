// What the controller and standalone do when Envoy rejects part of a Gateway's configuration, so
// that the Gateway's other changes go on being applied:
//
// - a route table: the route its NACK names is withheld (answered 500, its match kept, reported on
//   its route; `withholdNackedRoute`); it is tried again once its object changes;
// - anything else (a Listener, Cluster, ClusterLoadAssignment, Secret or ScopedRouteConfiguration,
//   or a route table whose NACK names no route): `NackGuard`, between the pipeline and the cache,
//   finds the resource(s) Envoy refused and withholds them: Envoy keeps being served the version of
//   each it last ACKed (or, when it never ACKed one, the resource is left out) until its content
//   changes, when it is tried again. Which resources: of the resources of the NACKed type whose
//   content Envoy has not ACKed yet (the only ones that can be at fault), those the error detail
//   names; when it names none, the only one, or else a bisection: half of them are held back (on
//   probation, not reported) and the other half served again, until the NACK narrows to one.
import { TypeUrl, type EncodedResource, type ResourceSet, type XdsSnapshot } from '@gantry/xds/resources';
import { nackedRouteName } from '@gantry/xds/translator/nacked-route';
import type { ChangeHint } from '@gantry/xds/cache/changes';
import type { SnapshotCache } from '@gantry/xds/cache/snapshot-cache';
import type { Pipeline, PipelineFailure, SnapshotSink } from './pipeline.js';

/** The route withheld for this NACK, or undefined (another type, no route named, already withheld). */
export function withholdNackedRoute(pipeline: Pipeline, cache: SnapshotCache, gateway: string, typeUrl: string, message: string): string | undefined {
  if (typeUrl !== TypeUrl.RouteConfiguration) return undefined;
  const tables = cache.get(gateway)?.snapshot[TypeUrl.RouteConfiguration];
  const route = tables === undefined ? undefined : nackedRouteName(tables, message);
  if (route === undefined || !pipeline.withholdRoute(gateway, route, message)) return undefined;
  return route;
}

/**
 * What the controller and standalone do with a NACK: a route table's NACK that names a route goes
 * to the route-level withholding (`route`: newly withheld, else undefined: already withheld, or
 * the table has moved on); any other NACK to the guard (`resources`: what it withheld now).
 */
export function handleNack(pipeline: Pipeline, guard: NackGuard, cache: SnapshotCache, gateway: string, typeUrl: TypeUrl, message: string): { route?: string; resources?: string[] } {
  if (typeUrl === TypeUrl.RouteConfiguration) {
    const tables = cache.get(gateway)?.snapshot[TypeUrl.RouteConfiguration];
    if (tables !== undefined && nackedRouteName(tables, message) !== undefined) {
      const route = withholdNackedRoute(pipeline, cache, gateway, typeUrl, message);
      return route === undefined ? {} : { route };
    }
  }
  return { resources: guard.nack(gateway, typeUrl, message) };
}

/** The failure kind a withheld resource of each type is reported as (metrics label, status). */
export const WITHHELD_KIND: Readonly<Record<TypeUrl, PipelineFailure['kind']>> = {
  [TypeUrl.Listener]: 'listener',
  [TypeUrl.RouteConfiguration]: 'routeTable',
  [TypeUrl.ScopedRouteConfiguration]: 'scope',
  [TypeUrl.Cluster]: 'cluster',
  [TypeUrl.ClusterLoadAssignment]: 'endpoints',
  [TypeUrl.Secret]: 'secret',
};

export interface WithheldResource {
  readonly gateway: string;
  readonly typeUrl: TypeUrl;
  readonly name: string;
  /** Envoy's error detail. */
  readonly message: string;
  /** True: the version Envoy last ACKed is served instead; false: it is left out. */
  readonly lastGood: boolean;
}

interface Held {
  /** The content Envoy refused (or that is on probation): held while the resource still has it. */
  readonly version: string;
  readonly message: string;
}

interface GuardState {
  /** The pipeline's latest snapshot, unfiltered. */
  latest: XdsSnapshot;
  /** What was published, by cache version (the last few): an ACK names the version it ACKs. */
  readonly served: Map<number, XdsSnapshot>;
  lastServed: XdsSnapshot | undefined;
  /** The `latest` that `lastServed` was made from (they differ when something was withheld). */
  latestAtLastServe: XdsSnapshot | undefined;
  /** Per type, per name: the content Envoy last ACKed. */
  readonly good: Map<TypeUrl, ReadonlyMap<string, EncodedResource>>;
  /** Per type: refused resources (reported) and resources on probation during a bisection. */
  readonly withheld: Map<TypeUrl, Map<string, Held>>;
  readonly probation: Map<TypeUrl, Map<string, Held>>;
}

const SERVED_KEPT = 16;

/** Whether `message` names `name` as a whole (not as the prefix of a longer name). */
function names(message: string, name: string): boolean {
  let at = message.indexOf(name);
  while (at >= 0) {
    const before = at === 0 ? '' : message[at - 1]!;
    const after = message[at + name.length] ?? '';
    if (!/[A-Za-z0-9_./-]/.test(before) && !/[A-Za-z0-9_/-]/.test(after)) return true;
    at = message.indexOf(name, at + 1);
  }
  return false;
}

/** The Programmed message of a Gateway some of whose resources Envoy refused (each part names one). */
export function partlyRejectedMessage(parts: readonly string[]): string {
  return `Envoy rejected part of this Gateway's configuration (the rest is served): ${parts.join('; ')}`;
}

function withheldOf(gateway: string, st: GuardState): WithheldResource[] {
  const out: WithheldResource[] = [];
  for (const [typeUrl, held] of st.withheld) {
    for (const [name, h] of held) out.push({ gateway, typeUrl, name, message: h.message, lastGood: st.good.get(typeUrl)?.has(name) === true });
  }
  return out;
}

export class NackGuard implements SnapshotSink {
  private readonly gateways = new Map<string, GuardState>();

  /** `changed`: called after the guard republished a Gateway on its own (statuses may change). */
  constructor(
    private readonly cache: SnapshotCache,
    private readonly changed: (gateway: string) => void = () => undefined,
  ) {}

  set(gatewayKey: string, snapshot: XdsSnapshot, hint?: ChangeHint): void {
    let st = this.gateways.get(gatewayKey);
    if (st === undefined) {
      st = { latest: snapshot, served: new Map(), lastServed: undefined, latestAtLastServe: undefined, good: new Map(), withheld: new Map(), probation: new Map() };
      this.gateways.set(gatewayKey, st);
    }
    st.latest = snapshot;
    this.publish(gatewayKey, st, false, hint);
  }

  delete(gatewayKey: string): void {
    this.gateways.delete(gatewayKey);
    this.cache.delete(gatewayKey);
  }

  /**
   * One Gateway as the guard holds it: the pipeline's latest snapshot (what every replica computes
   * from the same objects), what is withheld from it now, and whether a bisection is still trying
   * halves (the outcome is not known yet).
   */
  gatewayState(gatewayKey: string): { readonly latest: XdsSnapshot; readonly withheld: readonly WithheldResource[]; readonly probing: boolean } | undefined {
    const st = this.gateways.get(gatewayKey);
    if (st === undefined) return undefined;
    return { latest: st.latest, withheld: withheldOf(gatewayKey, st), probing: [...st.probation.values()].some((m) => m.size > 0) };
  }

  /** Every resource withheld now (probation not included). */
  withheld(): WithheldResource[] {
    const out = [...this.gateways].flatMap(([gateway, st]) => withheldOf(gateway, st));
    return out.sort((a, b) => (a.gateway + a.typeUrl + a.name < b.gateway + b.typeUrl + b.name ? -1 : 1));
  }

  /** Withheld resources as pipeline failures (metrics, logs, the owning objects' statuses). */
  failures(): PipelineFailure[] {
    return this.withheld().map((w) => ({
      gateway: w.gateway,
      kind: WITHHELD_KIND[w.typeUrl],
      name: w.name,
      message: `Envoy rejected it (${w.lastGood ? 'its last accepted version is served' : 'left out'}): ${w.message.slice(-300)}`,
    }));
  }

  /** An Envoy ACKed a response of `typeUrl` from the snapshot published as `snapshotVersion`. */
  ack(gatewayKey: string, typeUrl: TypeUrl, snapshotVersion: number): void {
    const st = this.gateways.get(gatewayKey);
    const served = st?.served.get(snapshotVersion);
    if (st === undefined || served === undefined) return;
    // What Envoy holds of the type now is exactly that snapshot's set (kept by reference: an ACK
    // costs no copy of thousands of clusters).
    st.good.set(typeUrl, served[typeUrl]);
    // A bisection step passed: what was served is good; the half on probation is tried next.
    const probation = st.probation.get(typeUrl);
    if (probation !== undefined && probation.size > 0 && served === st.lastServed) {
      st.probation.delete(typeUrl);
      this.publish(gatewayKey, st, true);
    }
  }

  /**
   * Envoy NACKed a response of `typeUrl`: withholds what it refused and republishes. Returns the
   * names withheld (empty when nothing could be at fault, or while a bisection goes on).
   */
  nack(gatewayKey: string, typeUrl: TypeUrl, message: string): string[] {
    const st = this.gateways.get(gatewayKey);
    const served = st?.lastServed?.[typeUrl];
    if (st === undefined || served === undefined) return [];
    const good = st.good.get(typeUrl);
    // Only content Envoy has not ACKed can be at fault.
    const suspects = [...served.values()].filter((r) => good?.get(r.name)?.version !== r.version).map((r) => r.name).sort();
    if (suspects.length === 0) return [];
    const named = suspects.filter((n) => names(message, n));
    const refused = named.length > 0 ? named : suspects.length === 1 ? suspects : [];
    if (refused.length > 0) {
      let held = st.withheld.get(typeUrl);
      if (held === undefined) st.withheld.set(typeUrl, (held = new Map()));
      for (const name of refused) held.set(name, { version: served.get(name)!.version, message });
    } else {
      // Nothing named: hold back the second half of the suspects and serve the rest again.
      let held = st.probation.get(typeUrl);
      if (held === undefined) st.probation.set(typeUrl, (held = new Map()));
      for (const name of suspects.slice(Math.ceil(suspects.length / 2))) held.set(name, { version: served.get(name)!.version, message });
    }
    this.publish(gatewayKey, st, true);
    return refused;
  }

  /** The snapshot to serve: each withheld resource replaced by its last ACKed version, or left out. */
  private filter(st: GuardState): XdsSnapshot {
    let out: Record<TypeUrl, ResourceSet> | undefined;
    for (const holds of [st.withheld, st.probation]) {
      for (const [typeUrl, held] of holds) {
        const current = (out ?? st.latest)[typeUrl];
        let set: Map<string, EncodedResource> | undefined;
        for (const [name, h] of held) {
          const r = st.latest[typeUrl].get(name);
          // Gone or changed: tried again (a changed object may have been fixed).
          if (r === undefined || r.version !== h.version) {
            held.delete(name);
            continue;
          }
          set ??= new Map(current);
          const last = st.good.get(typeUrl)?.get(name);
          if (last !== undefined) set.set(name, last);
          else set.delete(name);
        }
        if (held.size === 0) holds.delete(typeUrl);
        if (set !== undefined) {
          out ??= { ...st.latest };
          out[typeUrl] = set;
        }
      }
    }
    return out ?? st.latest;
  }

  private publish(gatewayKey: string, st: GuardState, own: boolean, hint?: ChangeHint): void {
    const filtered = st.withheld.size > 0 || st.probation.size > 0;
    const snapshot = filtered ? this.filter(st) : st.latest;
    // The pipeline's hint is relative to its previous snapshot, not to a filtered one: the cache diffs.
    const wasFiltered = st.lastServed !== st.latestAtLastServe;
    const version = this.cache.set(gatewayKey, snapshot, own || snapshot !== st.latest || wasFiltered ? undefined : hint);
    st.lastServed = snapshot;
    st.latestAtLastServe = st.latest;
    st.served.set(version, snapshot);
    for (const v of st.served.keys()) {
      if (st.served.size <= SERVED_KEPT) break;
      st.served.delete(v);
    }
    if (own) this.changed(gatewayKey);
  }
}
