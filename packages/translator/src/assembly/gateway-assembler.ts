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
  type L4ListenerIR,
  type ListenerIR,
  type RouteConfigIR,
  type RouteIR,
  type TLSSecretIR,
  type VirtualHostIR,
} from '@gantry/ir';
import { sameElements } from '../core/equality.js';
import { ANY_HOST, compareSpecificity, covers, isWildcard, widerPatterns } from '../routes/hostnames.js';
import type { ClusterUse } from '../backends/backend.js';
import { exact } from '../core/memory.js';
import type { GatewayContext, ListenerState } from '../gateway/model.js';
import { flavor, type Flavor, type RouteEntry } from '../routes/model.js';
import { comparePrecedence } from '../routes/precedence.js';
import type { RouteTranslation } from '../routes/route-translation.js';
import { applySorted, compareStrings, indexOf, lowerBound } from '../core/sorted.js';
import { buildL4Listeners, l4ListenerNames } from './l4-listeners.js';
import { MixedPortMemo } from './mixed-ports.js';

export type EndpointsOf = (use: ClusterUse) => ClusterEndpointsIR;

const MISDIRECTED: RouteIR = {
  name: 'misdirected-request',
  match: { path: { type: 'PathPrefix', value: '/' } },
  action: { kind: 'directResponse', status: 421 },
};

const NO_ENTRIES: readonly RouteEntry[] = [];
const NO_CONTRIBUTIONS: Contribution[] = [];
const NO_CLUSTERS: readonly ClusterUse[] = [];

interface Owner {
  readonly listener: string;
  readonly host: string;
}

/** One listener's routes in one route table, by effective hostname, in precedence order. */
class DomainTable {
  readonly lists = new Map<string, readonly RouteEntry[]>();
  /** The wildcard (and `*`) hostnames present: the only ones a virtual host can fall through to. */
  readonly wide = new Set<string>();

  set(domain: string, list: readonly RouteEntry[]): void {
    if (list.length === 0) {
      this.lists.delete(domain);
      this.wide.delete(domain);
      return;
    }
    this.lists.set(domain, list);
    if (domain === ANY_HOST || isWildcard(domain)) this.wide.add(domain);
  }

  /** The lists of the wider hostnames covering `domain`, most specific first. */
  widerLists(domain: string): (readonly RouteEntry[])[] {
    if (this.wide.size === 0) return [];
    const out: (readonly RouteEntry[])[] = [];
    if (this.wide.size <= 8) {
      const hosts: string[] = [];
      for (const w of this.wide) if (w !== domain && covers(w, domain)) hosts.push(w);
      if (hosts.length > 1) hosts.sort(compareSpecificity);
      for (const h of hosts) out.push(this.lists.get(h) as readonly RouteEntry[]);
      return out;
    }
    for (const w of widerPatterns(domain)) {
      const l = this.lists.get(w);
      if (l) out.push(l);
    }
    return out;
  }
}

interface RouteConfigState {
  readonly name: string;
  readonly flavor: Flavor;
  /** Listeners whose routes this table serves. */
  readonly members: ReadonlySet<string>;
  /** Listeners competing for hostnames on this table (HTTPS: every listener of the port). */
  readonly owners: readonly Owner[];
  readonly ownerHosts: ReadonlySet<string>;
  readonly tables: Map<string, DomainTable>;
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

/** A cluster and how many placed routes use it (a lone user is stored as its ClusterUse). */
class SharedCluster {
  constructor(
    public use: ClusterUse,
    public count: number,
  ) {}
}

interface PendingList {
  readonly rc: RouteConfigState;
  readonly listener: string;
  readonly domain: string;
  removed: RouteEntry[];
  added: RouteEntry[];
}

export class GatewayAssembler {
  private ctx: GatewayContext;
  private rcs = new Map<string, RouteConfigState>();
  private listenerRc = new Map<string, RouteConfigState>();
  /**
   * The translations placed, by route key. What each contributes is derived again when needed
   * (the route tables it maps to stay the same until the next reset), rather than kept per route.
   */
  private readonly placed = new Map<string, RouteTranslation>();
  private readonly clusterRefs = new Map<string, ClusterUse | SharedCluster>();
  private clusterList: readonly ClusterIR[] = [];
  private endpointList: readonly ClusterEndpointsIR[] = [];
  private secretList: readonly TLSSecretIR[] = [];
  private listenerList: readonly ListenerIR[] = [];
  private ir: GatewayIR | undefined;
  private readonly pending = new Map<RouteConfigState, Map<string, PendingList>>();
  private listenersStale = true;
  private readonly clusterDirty = new Set<string>();
  /** Set by reset(): the cluster list is rebuilt whole, so single clusters need not be marked. */
  private clustersRebuild = false;
  private readonly endpointDirty = new Set<string>();
  private endpointsRebuild = true;
  private readonly previousVhosts = new Map<string, VirtualHostIR>();
  private readonly previousRouteConfigs = new Map<string, RouteConfigIR>();
  /** Listeners that forward connections or datagrams (TLS, TCP, UDP), and the routes on them. */
  private l4Names: ReadonlySet<string> = new Set();
  private readonly l4Routes = new Map<string, RouteTranslation>();
  private l4List: readonly L4ListenerIR[] | undefined;
  private l4Stale = true;
  private readonly mixedPorts = new MixedPortMemo();

  constructor(
    ctx: GatewayContext,
    private readonly endpointsOf: EndpointsOf,
  ) {
    this.ctx = ctx;
  }

  get context(): GatewayContext {
    return this.ctx;
  }

  /**
   * Starts over for a (new) context, placing the given routes in bulk: lists are sorted once and
   * virtual hosts built once, while objects equal to the previous build keep their identity.
   */
  reset(ctx: GatewayContext, routes: Iterable<RouteTranslation>): void {
    for (const rc of this.rcs.values()) {
      for (const vh of rc.vhosts.values()) this.previousVhosts.set(vh.name, vh);
      if (rc.ir) this.previousRouteConfigs.set(rc.name, rc.ir);
    }
    this.ctx = ctx;
    this.rcs = new Map();
    this.listenerRc = new Map();
    this.placed.clear();
    this.clusterRefs.clear();
    this.clusterDirty.clear();
    this.clustersRebuild = true;
    this.pending.clear();
    this.listenersStale = true;
    this.endpointsRebuild = true;
    this.buildRouteConfigs();
    this.l4Names = l4ListenerNames(ctx.listeners);
    this.l4Routes.clear();
    this.l4Stale = true;
    this.secretList = reuseSecrets(this.secretList, collectSecrets(ctx.listeners, ctx.backendClientCertificate));

    // Bulk placement: push entries unsorted, sort each list once. (What contributionsOf() would
    // list, walked directly: no Contribution objects for ten thousand routes.)
    const unsorted = new Set<RouteEntry[]>();
    for (const t of routes) {
      const placements = t.placementsOn(this.ctx.key);
      if (!placements) continue;
      let placedHere = false;
      for (const p of placements) {
        const rc = this.listenerRc.get(p.listener);
        if (!rc) {
          if (this.l4Names.has(p.listener)) {
            placedHere = true;
            this.l4Routes.set(t.key, t);
          }
          continue;
        }
        placedHere = true;
        const entries = t.entriesFor(rc.flavor);
        if (entries.length === 0) continue;
        const table = tableOf(rc, p.listener);
        for (const domain of p.domains) {
          const list = table.lists.get(domain) as RouteEntry[] | undefined;
          if (list) {
            for (const e of entries) list.push(e);
            unsorted.add(list);
          } else {
            const fresh = entries.slice();
            table.set(domain, fresh);
            if (fresh.length > 1) unsorted.add(fresh);
          }
        }
      }
      if (!placedHere) continue;
      for (const u of t.clusters) this.refCluster(u);
      this.placed.set(t.key, t);
    }
    for (const list of unsorted) list.sort(comparePrecedence);

    for (const rc of this.rcs.values()) {
      const domains = new Set<string>(rc.ownerHosts);
      for (const table of rc.tables.values()) for (const d of table.lists.keys()) domains.add(d);
      const vhosts: VirtualHostIR[] = [];
      for (const d of domains) {
        const vh = this.virtualHost(rc, d, undefined);
        if (!vh) continue;
        rc.vhosts.set(d, vh);
        vhosts.push(vh);
      }
      vhosts.sort(compareVirtualHosts);
      this.setRouteConfigIR(rc, vhosts);
    }
    this.finish(true);
    this.previousVhosts.clear();
    this.previousRouteConfigs.clear();
  }

  /** Places (or, with undefined, removes) a route. Takes effect at the next `build()`. */
  setRoute(key: string, t: RouteTranslation | undefined): void {
    const old = this.placed.get(key);
    if (old === t) return;
    const oldContributions = old ? this.contributionsOf(old) : NO_CONTRIBUTIONS;
    const contributions = t ? this.contributionsOf(t) : NO_CONTRIBUTIONS;
    // Routes on TLS, TCP and UDP listeners: their listeners are rebuilt (they are few).
    const oldL4 = this.l4Routes.has(key);
    const newL4 = t !== undefined && this.onL4(t);
    if (oldL4 || newL4) {
      this.l4Stale = true;
      if (newL4) this.l4Routes.set(key, t);
      else this.l4Routes.delete(key);
    }
    const oldClusters = old ? old.clusters : NO_CLUSTERS;
    const clusters = (contributions.length > 0 || newL4) && t ? t.clusters : NO_CLUSTERS;
    if (old && !oldL4 && !newL4 && sameContributions(oldContributions, contributions) && sameElements(oldClusters, clusters)) {
      if (t) this.placed.set(key, t);
      return;
    }

    for (const c of oldContributions) {
      const p = this.pendingFor(c.rc, c.listener, c.domain);
      for (const e of c.entries) p.removed.push(e);
    }
    for (const c of contributions) {
      const p = this.pendingFor(c.rc, c.listener, c.domain);
      for (const e of c.entries) p.added.push(e);
    }
    for (const u of oldClusters) this.unrefCluster(u);
    for (const u of clusters) this.refCluster(u);
    if ((contributions.length === 0 && !newL4) || !t) this.placed.delete(key);
    else this.placed.set(key, t);
  }

  private onL4(t: RouteTranslation): boolean {
    if (this.l4Names.size === 0) return false;
    for (const p of t.placementsOn(this.ctx.key) ?? []) if (this.l4Names.has(p.listener)) return true;
    return false;
  }

  /** Whether any placed route uses this cluster. */
  usesCluster(name: string): boolean {
    return this.clusterRefs.has(name);
  }

  get clusterCount(): number {
    return this.clusterRefs.size;
  }

  /** Endpoints of these clusters changed. */
  endpointsChanged(clusterNames: Iterable<string>): void {
    for (const n of clusterNames) if (this.clusterRefs.has(n)) this.endpointDirty.add(n);
  }

  /** The IR after all changes so far; the same object when nothing changed. */
  build(): GatewayIR {
    this.flush();
    return this.ir as GatewayIR;
  }

  // ---- internals ----------------------------------------------------------------------------

  private contributionsOf(t: RouteTranslation): Contribution[] {
    const placements = t.placementsOn(this.ctx.key);
    if (!placements) return NO_CONTRIBUTIONS;
    // The common case: one listener, one hostname.
    if (placements.length === 1 && (placements[0] as { domains: readonly string[] }).domains.length === 1) {
      const p = placements[0] as { listener: string; domains: readonly string[] };
      const rc = this.listenerRc.get(p.listener);
      return rc ? [{ rc, listener: p.listener, domain: p.domains[0] as string, entries: t.entriesFor(rc.flavor) }] : NO_CONTRIBUTIONS;
    }
    const out: Contribution[] = [];
    for (const p of placements) {
      const rc = this.listenerRc.get(p.listener);
      if (!rc) continue;
      const entries = t.entriesFor(rc.flavor);
      for (const domain of p.domains) out.push({ rc, listener: p.listener, domain, entries });
    }
    return exact(out);
  }

  private buildRouteConfigs(): void {
    const http = new Map<number, ListenerState[]>();
    const https = new Map<number, ListenerState[]>();
    for (const l of this.ctx.listeners) {
      if (!l.ready || (l.info.protocol !== 'HTTP' && l.info.protocol !== 'HTTPS')) continue;
      const byPort = l.info.protocol === 'HTTPS' ? https : http;
      const list = byPort.get(l.info.port) ?? [];
      list.push(l);
      byPort.set(l.info.port, list);
    }
    for (const [port, ls] of http) {
      const owners = ls.map((l) => ({ listener: l.info.name, host: l.info.hostname ?? ANY_HOST }));
      const rc = this.newRouteConfig(routeConfigName('HTTP', port), flavor('HTTP', port), new Set(owners.map((o) => o.listener)), owners);
      for (const l of ls) this.listenerRc.set(l.info.name, rc);
    }
    for (const [port, ls] of https) {
      const owners = ls.map((l) => ({ listener: l.info.name, host: l.info.hostname ?? ANY_HOST }));
      for (const l of ls) {
        const rc = this.newRouteConfig(routeConfigName('HTTPS', port, l.info.name), flavor('HTTPS', port), new Set([l.info.name]), owners);
        this.listenerRc.set(l.info.name, rc);
      }
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

  private pendingFor(rc: RouteConfigState, listener: string, domain: string): PendingList {
    let byRc = this.pending.get(rc);
    if (!byRc) this.pending.set(rc, (byRc = new Map()));
    const k = `${listener}\u0000${domain}`;
    let p = byRc.get(k);
    if (!p) byRc.set(k, (p = { rc, listener, domain, removed: [], added: [] }));
    return p;
  }

  private refCluster(u: ClusterUse): void {
    const name = u.cluster.name;
    const r = this.clusterRefs.get(name);
    if (r === undefined) {
      this.clusterRefs.set(name, u);
      if (!this.clustersRebuild) this.clusterDirty.add(name);
      return;
    }
    const shared = r instanceof SharedCluster ? r : new SharedCluster(r, 1);
    if (shared !== r) this.clusterRefs.set(name, shared);
    shared.count++;
    if (shared.use.cluster !== u.cluster || shared.use.source !== u.source) {
      shared.use = u;
      if (!this.clustersRebuild) this.clusterDirty.add(name);
    }
  }

  private unrefCluster(u: ClusterUse): void {
    const name = u.cluster.name;
    const r = this.clusterRefs.get(name);
    if (r === undefined) return;
    if (r instanceof SharedCluster && --r.count > 0) return;
    this.clusterRefs.delete(name);
    if (!this.clustersRebuild) this.clusterDirty.add(name);
  }

  /** The ClusterUse listed for a cluster name. */
  private useOf(name: string): ClusterUse | undefined {
    const r = this.clusterRefs.get(name);
    return r instanceof SharedCluster ? r.use : r;
  }

  private flush(): void {
    let rcChanged = false;
    for (const [rc, lists] of this.pending) {
      const affected = new Set<string>();
      for (const p of lists.values()) {
        const table = tableOf(rc, p.listener);
        const before = table.lists.get(p.domain) ?? NO_ENTRIES;
        const [removed, added] = cancelOut(p.removed, p.added);
        const after = applySorted(before, comparePrecedence, removed, added);
        if (after === before) continue;
        table.set(p.domain, after);
        this.affectedDomains(rc, p.domain, affected);
      }
      if (affected.size > 0 && this.updateVirtualHosts(rc, affected)) rcChanged = true;
    }
    this.pending.clear();
    this.finish(rcChanged);
  }

  /** Clusters as the Gateway serves them: TLS ones carry its backend client certificate (spec.tls.backend). */
  private withClientCertificate(list: readonly ClusterIR[]): readonly ClusterIR[] {
    const secret = this.ctx.backendClientCertificate?.name;
    if (secret === undefined) return list;
    if (this.clientCerts?.list === list && this.clientCerts.secret === secret) return this.clientCerts.out;
    const memo = this.clientCerts?.secret === secret ? this.clientCerts.clusters : new WeakMap<ClusterIR, ClusterIR>();
    const out = list.map((c) => {
      if (c.tls === undefined) return c;
      let withCert = memo.get(c);
      if (!withCert) memo.set(c, (withCert = { ...c, tls: { ...c.tls, clientCertificate: secret } }));
      return withCert;
    });
    this.clientCerts = { list, secret, out, clusters: memo };
    return out;
  }
  private clientCerts: { list: readonly ClusterIR[]; secret: string; out: readonly ClusterIR[]; clusters: WeakMap<ClusterIR, ClusterIR> } | undefined;

  /** Rebuilds what sits above the route tables, keeping whatever did not change. */
  private finish(rcChanged: boolean): void {
    if (rcChanged || this.listenersStale) {
      this.listenersStale = false;
      this.listenerList = this.buildListeners();
    }
    if (this.l4Stale) {
      this.l4Stale = false;
      this.l4List = buildL4Listeners(this.ctx.key, this.ctx.listeners, this.l4Routes.values(), this.l4List);
    }
    if (this.clustersRebuild || this.clusterDirty.size > 0) this.rebuildClusters();
    if (this.endpointsRebuild) this.rebuildEndpoints();
    else if (this.endpointDirty.size > 0) this.patchEndpoints();

    const endpoints = this.publishedEndpoints();
    // HTTPS and TLS listeners of one port become one listener (TLSRouteModeMixed).
    const ports = this.mixedPorts.merge(this.listenerList, this.l4List);
    const prev = this.ir;
    if (
      !prev ||
      prev.listeners !== ports.listeners ||
      prev.l4Listeners !== ports.l4Listeners ||
      prev.clusters !== this.withClientCertificate(this.clusterList) ||
      prev.endpoints !== endpoints ||
      prev.secrets !== this.secretList
    ) {
      this.ir = {
        key: this.ctx.key,
        namespace: this.ctx.attachment.namespace,
        name: this.ctx.attachment.name,
        listeners: ports.listeners,
        clusters: this.withClientCertificate(this.clusterList),
        endpoints,
        secrets: this.secretList,
        ...(ports.l4Listeners ? { l4Listeners: ports.l4Listeners } : {}),
      };
    }
  }

  /**
   * The endpoint list the IR carries: the internal one holds an entry per cluster (so that it stays
   * aligned with the cluster list); clusters with hosts of their own are left out of the IR.
   */
  private publishedEndpoints(): readonly ClusterEndpointsIR[] {
    const internal = this.endpointList;
    if (this.published.from === internal) return this.published.list;
    if (this.ownHosts.clusters !== this.clusterList) {
      // Counted as the list changes (rebuildClusters), not by a walk of every cluster per change.
      this.ownHosts = { clusters: this.clusterList, any: this.ownHostClusters > 0 };
    }
    const list = this.ownHosts.any ? internal.filter((_, i) => this.clusterList[i]?.discovery === undefined) : internal;
    this.published = { from: internal, list };
    return list;
  }

  private published: { from: readonly ClusterEndpointsIR[] | undefined; list: readonly ClusterEndpointsIR[] } = { from: undefined, list: [] };
  /** How many listed clusters have hosts of their own (discovery set), kept by rebuildClusters. */
  private ownHostClusters = 0;
  /** Whether the cluster list has clusters with hosts of their own (computed once per list). */
  private ownHosts: { clusters: readonly ClusterIR[] | undefined; any: boolean } = { clusters: undefined, any: false };

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
    const before = rc.ir;
    const sorted = applySorted(rc.sorted, compareVirtualHosts, removed, added);
    if (sorted === rc.sorted && before) return false;
    this.setRouteConfigIR(rc, sorted);
    return rc.ir !== before;
  }

  private setRouteConfigIR(rc: RouteConfigState, sorted: readonly VirtualHostIR[]): void {
    const reusable = rc.ir ?? this.previousRouteConfigs.get(rc.name);
    if (reusable && sameElements(reusable.virtualHosts, sorted)) {
      rc.ir = reusable;
      rc.sorted = reusable.virtualHosts;
    } else {
      rc.sorted = sorted;
      rc.ir = { name: rc.name, virtualHosts: sorted };
    }
  }

  private ownerOf(rc: RouteConfigState, domain: string): Owner | undefined {
    let best: Owner | undefined;
    for (const o of rc.owners) {
      if (covers(o.host, domain) && (!best || compareSpecificity(o.host, best.host) < 0)) best = o;
    }
    return best;
  }

  private virtualHost(rc: RouteConfigState, domain: string, before: VirtualHostIR | undefined): VirtualHostIR | undefined {
    const owner = rc.owners.length === 1 ? (covers((rc.owners[0] as Owner).host, domain) ? rc.owners[0] : undefined) : this.ownerOf(rc, domain);
    if (!owner) return undefined;
    const isListenerHost = rc.ownerHosts.has(domain);
    let routes: readonly RouteIR[];
    if (!rc.members.has(owner.listener)) {
      if (!isListenerHost) return undefined;
      routes = MISDIRECTED_ROUTES;
    } else {
      const table = rc.tables.get(owner.listener);
      const own = table?.lists.get(domain);
      if (!isListenerHost && !own) return undefined;
      routes = chainRoutes(own, table, domain);
    }
    const name = before?.name ?? virtualHostName(rc.name, domain);
    const reusable = before ?? this.previousVhosts.get(name);
    if (reusable && sameElements(reusable.routes, routes)) return reusable;
    return { name, domains: [domain], routes };
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
          ...(l.clientValidation ? { clientValidation: l.clientValidation } : {}),
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
        return p && p.routeConfig === c.routeConfig && sameElements(p.serverNames, c.serverNames) && sameElements(p.tlsSecrets, c.tlsSecrets) && p.clientValidation === c.clientValidation
          ? p
          : c;
      });
      if (prev && prev.port === port && prev.protocol === protocol && sameElements(prev.filterChains, reusedChains)) out.push(prev);
      else out.push({ name, port, protocol, filterChains: reusedChains });
    }
    return sameElements(out, this.listenerList) ? this.listenerList : out;
  }

  private rebuildClusters(): void {
    if (this.clustersRebuild) {
      // Bulk (after reset): list every referenced cluster, sorted once; every endpoint is redone.
      this.clustersRebuild = false;
      this.endpointsRebuild = true;
      // The names (the Map's keys, each its cluster's name) sorted by the engine's own string
      // order, which is compareClusters' (UTF-16 code units), without a JS comparator per
      // comparison: cluster names of several kinds (kube/…, upstream/…) interleave, and that
      // interleaving multiplies the comparisons.
      const names = sortByCodeUnits([...this.clusterRefs.keys()]);
      const next = new Array<ClusterIR>(names.length);
      for (let i = 0; i < names.length; i++) {
        const r = this.clusterRefs.get(names[i] as string) as ClusterUse | SharedCluster;
        next[i] = (r instanceof SharedCluster ? r.use : r).cluster;
      }
      if (!sameElements(next, this.clusterList)) this.clusterList = next;
      this.ownHostClusters = 0;
      for (const c of this.clusterList) if (c.discovery !== undefined) this.ownHostClusters++;
      return;
    }
    const removed: ClusterIR[] = [];
    const added: ClusterIR[] = [];
    for (const name of this.clusterDirty) {
      const now = this.useOf(name)?.cluster;
      const listed = listedCluster(this.clusterList, name);
      // The cluster's endpoint source may have changed even when the cluster did not.
      if (now) this.endpointDirty.add(name);
      if (now === listed) continue;
      if (listed) removed.push(listed);
      if (now) added.push(now);
    }
    this.clusterDirty.clear();
    const next = applySorted(this.clusterList, compareClusters, removed, added);
    if (next !== this.clusterList) {
      for (const c of removed) if (c.discovery !== undefined) this.ownHostClusters--;
      for (const c of added) if (c.discovery !== undefined) this.ownHostClusters++;
      // The endpoint list follows the cluster list entry for entry, unless it is redone whole anyway.
      if (!this.endpointsRebuild && this.endpointList.length === this.clusterList.length) {
        this.endpointList =
          removed.length + added.length <= PATCH_CLUSTERS
            ? this.spliceEndpoints(this.clusterList, next, removed, added)
            : this.alignEndpoints(this.clusterList, next);
      } else this.endpointsRebuild = true;
      this.clusterList = next;
    }
  }

  /**
   * The endpoint list after a few clusters were removed from and added to the cluster list
   * `before`: the same splices, found by binary search (a change costs what changed, not a walk
   * of every cluster with a name comparison each, and no copy of the cluster list). Added
   * clusters get their entries computed.
   */
  private spliceEndpoints(before: readonly ClusterIR[], after: readonly ClusterIR[], removed: readonly ClusterIR[], added: readonly ClusterIR[]): readonly ClusterEndpointsIR[] {
    const out = this.endpointList.slice();
    // Removals at their places in `before`, last first (earlier places stay valid); then the
    // additions at their places in `after`, first first: `after` is `before` without the removed
    // clusters and with the added ones, in one order.
    const gone: number[] = [];
    for (const c of removed) {
      const i = indexOf(before, compareClusters, c);
      if (i >= 0) gone.push(i);
    }
    gone.sort((a, b) => b - a);
    for (const i of gone) out.splice(i, 1);
    const placed: [number, ClusterIR][] = [];
    for (const c of added) placed.push([indexOf(after, compareClusters, c), c]);
    placed.sort((a, b) => a[0] - b[0]);
    for (const [i, c] of placed) out.splice(i, 0, this.endpointsOf(this.useOf(c.name) as ClusterUse));
    return out;
  }


  /**
   * The endpoint list for a cluster list that differs from the previous one by a few clusters:
   * unchanged clusters keep their entries (both lists are sorted by name, so one walk pairs
   * them), added ones get theirs computed. Dirty entries are redone by patchEndpoints after.
   */
  private alignEndpoints(before: readonly ClusterIR[], after: readonly ClusterIR[]): readonly ClusterEndpointsIR[] {
    const out = new Array<ClusterEndpointsIR>(after.length);
    let i = 0;
    for (let j = 0; j < after.length; j++) {
      const c = after[j] as ClusterIR;
      while (i < before.length && (before[i] as ClusterIR).name < c.name) i++;
      out[j] = before[i] === c ? (this.endpointList[i] as ClusterEndpointsIR) : this.endpointsOf(this.useOf(c.name) as ClusterUse);
    }
    return out;
  }

  private rebuildEndpoints(): void {
    this.endpointsRebuild = false;
    this.endpointDirty.clear();
    const next = new Array<ClusterEndpointsIR>(this.clusterList.length);
    for (let i = 0; i < next.length; i++) next[i] = this.endpointsOf(this.useOf((this.clusterList[i] as ClusterIR).name) as ClusterUse);
    if (!sameElements(next, this.endpointList)) this.endpointList = next;
  }

  /** Only some clusters' endpoints changed: replace those entries (clusters are sorted by name). */
  private patchEndpoints(): void {
    let next: ClusterEndpointsIR[] | undefined;
    for (const name of this.endpointDirty) {
      const use = this.useOf(name);
      if (!use) continue;
      const i = lowerBound(this.clusterList, compareClusters, use.cluster);
      const now = this.endpointsOf(use);
      if (this.endpointList[i] === now) continue;
      next ??= this.endpointList.slice();
      next[i] = now;
    }
    this.endpointDirty.clear();
    if (next) this.endpointList = next;
  }
}

const MISDIRECTED_ROUTES: readonly RouteIR[] = [MISDIRECTED];
/** Up to this many cluster changes, the endpoint list is spliced where they are; beyond, re-aligned in one walk. */
const PATCH_CLUSTERS = 64;

function tableOf(rc: RouteConfigState, listener: string): DomainTable {
  let t = rc.tables.get(listener);
  if (!t) rc.tables.set(listener, (t = new DomainTable()));
  return t;
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

/** The listed cluster of this name (the list is sorted by name), if any. */
function listedCluster(list: readonly ClusterIR[], name: string): ClusterIR | undefined {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((list[mid] as ClusterIR).name < name) lo = mid + 1;
    else hi = mid;
  }
  const c = list[lo];
  return c !== undefined && c.name === name ? c : undefined;
}

function compareVirtualHosts(a: VirtualHostIR, b: VirtualHostIR): number {
  return compareSpecificity(a.domains[0] ?? '', b.domains[0] ?? '');
}

/** The domain's own routes, then those of the wider hostnames of the same listener. */
function chainRoutes(own: readonly RouteEntry[] | undefined, table: DomainTable | undefined, domain: string): readonly RouteIR[] {
  const wider = table ? table.widerLists(domain) : [];
  if (wider.length === 0) return own ? routesOf(own) : [];
  const lists = own ? [own, ...wider] : wider;
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
  return exact(out);
}

function routesOf(entries: readonly RouteEntry[]): readonly RouteIR[] {
  const out: RouteIR[] = new Array<RouteIR>(entries.length);
  for (let i = 0; i < entries.length; i++) out[i] = (entries[i] as RouteEntry).route;
  return out;
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

function collectSecrets(listeners: readonly ListenerState[], backendClient: TLSSecretIR | undefined): readonly TLSSecretIR[] {
  const byName = new Map<string, TLSSecretIR>();
  if (backendClient) byName.set(backendClient.name, backendClient);
  for (const l of listeners) {
    if (!l.ready) continue;
    for (const s of l.tlsSecrets) if (!byName.has(s.name)) byName.set(s.name, s);
  }
  return [...byName.values()].sort((a, b) => compareStrings(a.name, b.name));
}

function reuseSecrets(prev: readonly TLSSecretIR[], next: readonly TLSSecretIR[]): readonly TLSSecretIR[] {
  return sameElements(prev, next) ? prev : next;
}

/**
 * Sorts strings in place in the engine's default order (UTF-16 code units), bucketed by first
 * code unit when there are several: cluster names of several kinds (kube/…, upstream/…) come
 * interleaved, which breaks the ascending runs the engine's merge sort finds in each kind's names
 * (half of them to Upstreams: twice the sort's time). The buckets, in code-unit order, each sorted,
 * are the same order as one sort of all.
 */
function sortByCodeUnits(names: string[]): string[] {
  const n = names.length;
  if (n < 2) return names;
  const first = (names[0] as string).charCodeAt(0);
  let i = 1;
  while (i < n && (names[i] as string).charCodeAt(0) === first) i++;
  if (i === n) return names.sort();
  const buckets = new Map<number, string[]>();
  let code = -1;
  let bucket: string[] = [];
  for (const name of names) {
    const c = name.charCodeAt(0);
    if (c !== code) {
      code = c;
      let b = buckets.get(c);
      if (b === undefined) buckets.set(c, (b = []));
      bucket = b;
    }
    bucket.push(name);
  }
  let j = 0;
  for (const c of [...buckets.keys()].sort((a, b) => a - b)) for (const name of (buckets.get(c) as string[]).sort()) names[j++] = name;
  return names;
}
