// Builds one Gateway's IR from its validated listeners and the routes placed on them, and keeps
// it up to date route by route: a changed route touches only the route lists of its hostnames,
// the virtual hosts built from those lists, and the objects above them. Everything unchanged
// keeps its identity.
//
// Route tables: each HTTP port has one (shared by its HTTP listeners); each HTTPS listener has
// its own (its filter chain is chosen by SNI). A request is served by the listener whose hostname
// matches its Host most specifically ("listener isolation"), and then by that listener's routes
// whose hostname matches, most specific hostname first, then by match precedence. Envoy picks
// exactly one virtual host (the most specific domain), so each virtual host carries its own
// routes followed by those of the listener's wider hostnames that cover it.
//
// On an HTTPS route table, a Host that belongs to another listener of the same port gets 421
// (Misdirected Request): the connection was negotiated for a different listener.
import {
  routeConfigName,
  listenerName,
  virtualHostName,
  type ClusterEndpointsIR,
  type ClusterIR,
  type FilterChainIR,
  type GatewayIR,
  type ListenerIR,
  type RouteConfigIR,
  type RouteIR,
  type TLSSecretIR,
  type VirtualHostIR,
} from '@gantry/ir';
import { sameElements } from './equality.js';
import { ANY_HOST, compareSpecificity, covers, isWildcard, widerPatterns } from './hostnames.js';
import type { ClusterUse, Flavor, GatewayContext, ListenerState, RouteEntry } from './model.js';
import { comparePrecedence } from './precedence.js';
import type { RouteTranslation } from './route-translation.js';
import { applySorted, compareStrings } from './sorted.js';

export type EndpointsOf = (use: ClusterUse) => ClusterEndpointsIR;

const MISDIRECTED: RouteIR = {
  name: 'misdirected-request',
  match: { path: { type: 'PathPrefix', value: '/' } },
  action: { kind: 'directResponse', status: 421 },
};

interface Owner {
  readonly listener: string;
  readonly host: string;
}

interface RouteConfigState {
  readonly name: string;
  readonly flavor: Flavor;
  /** Listeners whose routes this table serves. */
  readonly members: ReadonlySet<string>;
  /** Listeners competing for hostnames on this table (HTTPS: every listener of the port). */
  readonly owners: readonly Owner[];
  readonly ownerHosts: ReadonlySet<string>;
  /** listener → effective hostname → entries in precedence order. */
  readonly tables: Map<string, Map<string, readonly RouteEntry[]>>;
  readonly vhosts: Map<string, VirtualHostIR>;
  sorted: readonly VirtualHostIR[];
  ir: RouteConfigIR | undefined;
}

interface Contribution {
  readonly rc: RouteConfigState;
  readonly listener: string;
  readonly domain: string;
  readonly entries: readonly RouteEntry[];
}

interface RouteRecord {
  readonly contributions: readonly Contribution[];
  readonly clusters: readonly ClusterUse[];
}

interface PendingList {
  readonly rc: RouteConfigState;
  readonly listener: string;
  readonly domain: string;
  readonly removed: RouteEntry[];
  readonly added: RouteEntry[];
}

export class GatewayAssembler {
  private ctx!: GatewayContext;
  private rcs = new Map<string, RouteConfigState>();
  private listenerRc = new Map<string, RouteConfigState>();
  private readonly records = new Map<string, RouteRecord>();
  private readonly clusterRefs = new Map<string, { use: ClusterUse; count: number }>();
  private clusterList: readonly ClusterIR[] = [];
  private endpointList: readonly ClusterEndpointsIR[] = [];
  private secretList: readonly TLSSecretIR[] = [];
  private listenerList: readonly ListenerIR[] = [];
  private ir: GatewayIR | undefined;
  private pending = new Map<string, PendingList>();
  private listenersStale = true;
  private readonly clusterDirty = new Set<string>();
  private readonly listedClusters = new Map<string, ClusterIR>();
  private endpointsStale = false;
  private readonly previousVhosts = new Map<string, VirtualHostIR>();
  private readonly previousRouteConfigs = new Map<string, RouteConfigIR>();

  constructor(
    ctx: GatewayContext,
    private readonly endpointsOf: EndpointsOf,
  ) {
    this.reset(ctx, []);
  }

  get context(): GatewayContext {
    return this.ctx;
  }

  /** Starts over for a new context (listeners changed), re-placing the given routes. */
  reset(ctx: GatewayContext, routes: Iterable<RouteTranslation>): void {
    for (const rc of this.rcs.values()) {
      for (const vh of rc.vhosts.values()) this.previousVhosts.set(vh.name, vh);
      if (rc.ir) this.previousRouteConfigs.set(rc.name, rc.ir);
    }
    this.ctx = ctx;
    this.rcs = new Map();
    this.listenerRc = new Map();
    this.records.clear();
    for (const name of this.clusterRefs.keys()) this.clusterDirty.add(name);
    this.clusterRefs.clear();
    this.pending.clear();
    this.listenersStale = true;
    this.endpointsStale = true;
    this.buildRouteConfigs();
    this.secretList = collectSecrets(ctx.listeners);
    for (const t of routes) this.setRoute(t.key, t);
    this.flush();
    this.previousVhosts.clear();
    this.previousRouteConfigs.clear();
  }

  /** Places (or, with undefined, removes) a route. Takes effect at the next `build()`. */
  setRoute(key: string, t: RouteTranslation | undefined): void {
    const old = this.records.get(key);
    const contributions: Contribution[] = [];
    const placements = t?.placements.get(this.ctx.key);
    for (const p of placements ?? []) {
      const rc = this.listenerRc.get(p.listener);
      if (!rc || !t) continue;
      const entries = t.entriesFor(rc.flavor);
      for (const domain of p.domains) contributions.push({ rc, listener: p.listener, domain, entries });
    }
    const clusters = contributions.length > 0 && t ? t.clusters : [];
    if (old && sameContributions(old.contributions, contributions) && sameElements(old.clusters, clusters)) return;

    for (const c of old?.contributions ?? []) this.pendingFor(c).removed.push(...c.entries);
    for (const c of contributions) this.pendingFor(c).added.push(...c.entries);
    for (const u of old?.clusters ?? []) this.unrefCluster(u);
    for (const u of clusters) this.refCluster(u);
    if (contributions.length === 0 && clusters.length === 0) this.records.delete(key);
    else this.records.set(key, { contributions, clusters });
  }

  /** Endpoints of these clusters changed. */
  endpointsChanged(clusterNames: Iterable<string>): void {
    for (const n of clusterNames) {
      if (this.clusterRefs.has(n)) {
        this.endpointsStale = true;
        return;
      }
    }
  }

  /** The IR after all changes so far; the same object when nothing changed. */
  build(): GatewayIR {
    this.flush();
    return this.ir as GatewayIR;
  }

  // ---- internals ----------------------------------------------------------------------------

  private buildRouteConfigs(): void {
    const ready = this.ctx.listeners.filter((l) => l.ready);
    const http = new Map<number, ListenerState[]>();
    const https = new Map<number, ListenerState[]>();
    for (const l of ready) {
      const byPort = l.info.protocol === 'HTTPS' ? https : http;
      const list = byPort.get(l.info.port) ?? [];
      list.push(l);
      byPort.set(l.info.port, list);
    }
    for (const [port, ls] of http) {
      const owners = ls.map((l) => ({ listener: l.info.name, host: l.info.hostname ?? ANY_HOST }));
      const rc = this.newRouteConfig(routeConfigName('HTTP', port), { protocol: 'HTTP', port }, new Set(owners.map((o) => o.listener)), owners);
      for (const l of ls) this.listenerRc.set(l.info.name, rc);
    }
    for (const [port, ls] of https) {
      const owners = ls.map((l) => ({ listener: l.info.name, host: l.info.hostname ?? ANY_HOST }));
      for (const l of ls) {
        const rc = this.newRouteConfig(routeConfigName('HTTPS', port, l.info.name), { protocol: 'HTTPS', port }, new Set([l.info.name]), owners);
        this.listenerRc.set(l.info.name, rc);
      }
    }
    for (const rc of this.rcs.values()) {
      // Every listener hostname gets a virtual host, even without routes: it keeps requests for
      // that listener from falling into a wider listener's virtual host (isolation).
      for (const host of rc.ownerHosts) this.pendingFor({ rc, listener: '', domain: host });
    }
  }

  private newRouteConfig(name: string, flavor: Flavor, members: Set<string>, owners: Owner[]): RouteConfigState {
    const rc: RouteConfigState = {
      name,
      flavor,
      members,
      owners,
      ownerHosts: new Set(owners.map((o) => o.host)),
      tables: new Map(),
      vhosts: new Map(),
      sorted: [],
      ir: undefined,
    };
    this.rcs.set(name, rc);
    return rc;
  }

  private pendingFor(c: { rc: RouteConfigState; listener: string; domain: string }): PendingList {
    const k = `${c.rc.name}\u0000${c.listener}\u0000${c.domain}`;
    let p = this.pending.get(k);
    if (!p) this.pending.set(k, (p = { rc: c.rc, listener: c.listener, domain: c.domain, removed: [], added: [] }));
    return p;
  }

  private refCluster(u: ClusterUse): void {
    const r = this.clusterRefs.get(u.cluster.name);
    if (r) {
      r.count++;
      if (r.use.cluster !== u.cluster || r.use.source !== u.source) {
        r.use = u;
        this.clusterDirty.add(u.cluster.name);
      }
    } else {
      this.clusterRefs.set(u.cluster.name, { use: u, count: 1 });
      this.clusterDirty.add(u.cluster.name);
    }
  }

  private unrefCluster(u: ClusterUse): void {
    const r = this.clusterRefs.get(u.cluster.name);
    if (!r) return;
    if (--r.count === 0) {
      this.clusterRefs.delete(u.cluster.name);
      this.clusterDirty.add(u.cluster.name);
    }
  }

  private flush(): void {
    const touched = new Map<RouteConfigState, Set<string>>();
    for (const p of this.pending.values()) {
      const affected = touched.get(p.rc) ?? new Set<string>();
      touched.set(p.rc, affected);
      if (p.listener !== '') {
        let table = p.rc.tables.get(p.listener);
        if (!table) p.rc.tables.set(p.listener, (table = new Map()));
        const before = table.get(p.domain) ?? [];
        const [removed, added] = cancelOut(p.removed, p.added);
        const after = applySorted(before, comparePrecedence, removed, added);
        if (after === before) continue;
        if (after.length === 0) table.delete(p.domain);
        else table.set(p.domain, after);
      }
      this.affectedDomains(p.rc, p.domain, affected);
    }
    this.pending.clear();

    let rcChanged = false;
    for (const [rc, domains] of touched) {
      if (domains.size > 0 && this.updateVirtualHosts(rc, domains)) rcChanged = true;
    }
    if (rcChanged || this.listenersStale) {
      this.listenersStale = false;
      this.listenerList = this.buildListeners();
    }
    if (this.clusterDirty.size > 0) this.rebuildClusters();
    if (this.endpointsStale) this.rebuildEndpoints();

    const next: GatewayIR = {
      key: this.ctx.key,
      namespace: this.ctx.attachment.namespace,
      name: this.ctx.attachment.name,
      listeners: this.listenerList,
      clusters: this.clusterList,
      endpoints: this.endpointList,
      secrets: this.secretList,
    };
    const prev = this.ir;
    if (
      !prev ||
      prev.key !== next.key ||
      prev.listeners !== next.listeners ||
      prev.clusters !== next.clusters ||
      prev.endpoints !== next.endpoints ||
      !sameElements(prev.secrets, next.secrets)
    ) {
      this.ir = next;
    }
  }

  /** Domains whose virtual host may change when the list of `domain` changes. */
  private affectedDomains(rc: RouteConfigState, domain: string, out: Set<string>): void {
    out.add(domain);
    if (domain !== ANY_HOST && !isWildcard(domain)) return;
    for (const d of rc.vhosts.keys()) if (covers(domain, d)) out.add(d);
  }

  /** Returns true when the route table's IR changed. */
  private updateVirtualHosts(rc: RouteConfigState, domains: Set<string>): boolean {
    const removed: VirtualHostIR[] = [];
    const added: VirtualHostIR[] = [];
    for (const d of domains) {
      const before = rc.vhosts.get(d);
      const after = this.virtualHost(rc, d, before);
      if (after === before) continue;
      if (before) removed.push(before);
      if (after) {
        added.push(after);
        rc.vhosts.set(d, after);
      } else rc.vhosts.delete(d);
    }
    const sorted = applySorted(rc.sorted, compareVirtualHosts, removed, added);
    if (sorted === rc.sorted && rc.ir) return false;
    const before = rc.ir;
    const reusable = before ?? this.previousRouteConfigs.get(rc.name);
    if (reusable && sameElements(reusable.virtualHosts, sorted)) {
      rc.ir = reusable;
      rc.sorted = reusable.virtualHosts;
    } else {
      rc.sorted = sorted;
      rc.ir = { name: rc.name, virtualHosts: sorted };
    }
    return rc.ir !== before;
  }

  private ownerOf(rc: RouteConfigState, domain: string): Owner | undefined {
    let best: Owner | undefined;
    for (const o of rc.owners) {
      if (covers(o.host, domain) && (!best || compareSpecificity(o.host, best.host) < 0)) best = o;
    }
    return best;
  }

  private virtualHost(rc: RouteConfigState, domain: string, before: VirtualHostIR | undefined): VirtualHostIR | undefined {
    const owner = this.ownerOf(rc, domain);
    if (!owner) return undefined;
    const isListenerHost = rc.ownerHosts.has(domain);
    let routes: readonly RouteIR[];
    if (!rc.members.has(owner.listener)) {
      if (!isListenerHost) return undefined;
      routes = [MISDIRECTED];
    } else {
      const table = rc.tables.get(owner.listener);
      const own = table?.get(domain);
      if (!isListenerHost && !own) return undefined;
      routes = chainRoutes(own, table, domain);
    }
    const reusable = before ?? this.previousVhosts.get(virtualHostName(rc.name, domain));
    if (reusable && sameElements(reusable.routes, routes)) return reusable;
    return { name: virtualHostName(rc.name, domain), domains: [domain], routes };
  }

  private buildListeners(): readonly ListenerIR[] {
    const byPort = new Map<number, { protocol: 'HTTP' | 'HTTPS'; chains: FilterChainIR[] }>();
    for (const l of this.ctx.listeners) {
      if (!l.ready) continue;
      const rc = this.listenerRc.get(l.info.name);
      if (!rc?.ir) continue;
      const protocol = l.info.protocol === 'HTTPS' ? 'HTTPS' : 'HTTP';
      let entry = byPort.get(l.info.port);
      if (!entry) byPort.set(l.info.port, (entry = { protocol, chains: [] }));
      if (protocol === 'HTTP') {
        if (entry.chains.length === 0) entry.chains.push({ name: rc.name, serverNames: [], routeConfig: rc.ir });
      } else {
        entry.chains.push({
          name: rc.name,
          serverNames: l.info.hostname ? [l.info.hostname] : [],
          tlsSecrets: l.tlsSecrets.map((s) => s.name),
          routeConfig: rc.ir,
        });
      }
    }
    const previous = new Map(this.listenerList.map((l) => [l.name, l]));
    const out: ListenerIR[] = [];
    for (const port of [...byPort.keys()].sort((a, b) => a - b)) {
      const { protocol, chains } = byPort.get(port) as { protocol: 'HTTP' | 'HTTPS'; chains: FilterChainIR[] };
      chains.sort((a, b) => compareStrings(a.name, b.name));
      const name = listenerName(protocol, port);
      const prev = previous.get(name);
      const reusedChains = chains.map((c) => {
        const p = prev?.filterChains.find((x) => x.name === c.name);
        return p && p.routeConfig === c.routeConfig && sameElements(p.serverNames, c.serverNames) && sameElements(p.tlsSecrets, c.tlsSecrets)
          ? p
          : c;
      });
      if (prev && prev.port === port && prev.protocol === protocol && sameElements(prev.filterChains, reusedChains)) out.push(prev);
      else out.push({ name, port, protocol, filterChains: reusedChains });
    }
    return sameElements(out, this.listenerList) ? this.listenerList : out;
  }

  private rebuildClusters(): void {
    const removed: ClusterIR[] = [];
    const added: ClusterIR[] = [];
    for (const name of this.clusterDirty) {
      const now = this.clusterRefs.get(name)?.use.cluster;
      const listed = this.listedClusters.get(name);
      if (now === listed) continue;
      if (listed) removed.push(listed);
      if (now) {
        added.push(now);
        this.listedClusters.set(name, now);
      } else this.listedClusters.delete(name);
    }
    this.clusterDirty.clear();
    // Sources may change without the cluster changing: endpoints are refreshed either way.
    this.endpointsStale = true;
    this.clusterList = applySorted(this.clusterList, compareClusters, removed, added);
  }

  private rebuildEndpoints(): void {
    this.endpointsStale = false;
    const next = this.clusterList.map((c) => this.endpointsOf((this.clusterRefs.get(c.name) as { use: ClusterUse }).use));
    if (!sameElements(next, this.endpointList)) this.endpointList = next;
  }
}

/** Drops entries that are both removed and re-added (a route re-placed unchanged). */
function cancelOut(removed: RouteEntry[], added: RouteEntry[]): [RouteEntry[], RouteEntry[]] {
  if (removed.length === 0 || added.length === 0) return [removed, added];
  const again = new Set(added);
  const gone = removed.filter((e) => !again.has(e));
  const kept = new Set(removed);
  return [gone, added.filter((e) => !kept.has(e))];
}

function compareClusters(a: ClusterIR, b: ClusterIR): number {
  return compareStrings(a.name, b.name);
}

function compareVirtualHosts(a: VirtualHostIR, b: VirtualHostIR): number {
  return compareSpecificity(a.domains[0] ?? '', b.domains[0] ?? '');
}

/** The domain's own routes, then those of the wider hostnames of the same listener. */
function chainRoutes(
  own: readonly RouteEntry[] | undefined,
  table: ReadonlyMap<string, readonly RouteEntry[]> | undefined,
  domain: string,
): readonly RouteIR[] {
  const lists: (readonly RouteEntry[])[] = [];
  if (own) lists.push(own);
  if (table) {
    for (const w of widerPatterns(domain)) {
      const l = table.get(w);
      if (l) lists.push(l);
    }
  }
  if (lists.length === 0) return [];
  if (lists.length === 1) return routesOf(lists[0] as readonly RouteEntry[]);
  const seen = new Set<RouteIR>();
  const out: RouteIR[] = [];
  for (const l of lists) {
    for (const e of l) {
      if (seen.has(e.route)) continue;
      seen.add(e.route);
      out.push(e.route);
    }
  }
  return out;
}

const routesMemo = new WeakMap<readonly RouteEntry[], readonly RouteIR[]>();

function routesOf(entries: readonly RouteEntry[]): readonly RouteIR[] {
  let r = routesMemo.get(entries);
  if (!r) {
    r = entries.map((e) => e.route);
    routesMemo.set(entries, r);
  }
  return r;
}

function sameContributions(a: readonly Contribution[], b: readonly Contribution[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as Contribution;
    const y = b[i] as Contribution;
    if (x.rc !== y.rc || x.listener !== y.listener || x.domain !== y.domain || x.entries !== y.entries) return false;
  }
  return true;
}

function collectSecrets(listeners: readonly ListenerState[]): readonly TLSSecretIR[] {
  const byName = new Map<string, TLSSecretIR>();
  for (const l of listeners) {
    if (!l.ready) continue;
    for (const s of l.tlsSecrets) if (!byName.has(s.name)) byName.set(s.name, s);
  }
  return [...byName.values()].sort((a, b) => compareStrings(a.name, b.name));
}
