// Discovery: keeps one Upstream per port of every Service in scope, in the install namespace. It
// reads what the controller already watches (Services, Namespaces, Upstreams: no watch of its own,
// no Pods), and each pass looks only at what changed since the last one: Services and namespace
// labels by object identity, then only the Upstream names they affect, plus Upstreams that changed.
// It writes only where the Upstream on the server differs from what it would apply, never touches
// an Upstream without its label (a user's, or one the user adopted by removing the label), and
// deletes its own Upstreams when their Service port goes away or leaves scope.
import { KIND_TABLE, type Namespace, type Service, type Upstream } from '@gantry/api';
import { deleteIfUnchanged, serverSideApply, silentLogger, type JsonObject, type Logger } from '@gantry/kube';
import type { KubeAccess } from '@gantry/kube';
import { applyBody, desiredUpstreams, DISCOVERED_BY, DISCOVERED_BY_LABEL, FIELD_MANAGER, sameStringMap, upToDate, type DesiredUpstream } from './desired.js';
import { alternateName } from './naming.js';
import { inScope, type DiscoveryScope } from './scope.js';

/** What discovery reads: the controller's watched objects. */
export interface DiscoveryReader {
  services(): readonly Service[];
  namespaces(): readonly Namespace[];
  /** Upstreams (any namespace; discovery looks at the install namespace's). */
  upstreams(): readonly Upstream[];
}

export type ApplyResult = 'created' | 'updated' | 'failed';
export type DeleteResult = 'deleted' | 'gone' | 'changed' | 'failed';

/** For metrics. */
export interface DiscoveryEvents {
  applied?(result: ApplyResult): void;
  deleted?(result: DeleteResult): void;
  /** A name discovery wants is held by an Upstream that is not discovery's: left alone. */
  skippedClash?(name: string): void;
  /** How many Upstreams discovery wants, after each pass. */
  desired?(count: number): void;
}

export interface DiscoveryOptions {
  readonly kubeConfig: KubeAccess;
  /** Where discovered Upstreams live (the controller's namespace). */
  readonly installNamespace: string;
  readonly scope?: DiscoveryScope;
  readonly reader: DiscoveryReader;
  readonly logger?: Logger;
  readonly events?: DiscoveryEvents;
  /** Writes in flight at once (default 16). */
  readonly concurrency?: number;
}

export interface PassResult {
  /** Names whose write failed: tried again on the next pass. */
  readonly failed: number;
}

const NS_NAME_LABEL = 'kubernetes.io/metadata.name';

export class Discovery {
  private readonly log: Logger;
  private readonly scope: DiscoveryScope;
  /** Per Service (`namespace/name`): the object last seen and what it wants. */
  private readonly services = new Map<string, { service: Service; wanted: readonly DesiredUpstream[] }>();
  private readonly namespaceLabels = new Map<string, Namespace>();
  /** Base name → the source keys that want it; the first in key order gets it. */
  private readonly claims = new Map<string, Set<string>>();
  /** Settled name → what it stands for. */
  private readonly wanted = new Map<string, DesiredUpstream>();
  /** Source key → its settled name. */
  private readonly nameOf = new Map<string, string>();
  private readonly upstreams = new Map<string, Upstream>();
  /** Names to look at in the next pass. */
  private readonly dirty = new Set<string>();
  private readonly clashesLogged = new Set<string>();
  /** The lists last read: a reader that hands back the same array has nothing new (the store's do). */
  private seen: { services?: readonly Service[]; namespaces?: readonly Namespace[]; upstreams?: readonly Upstream[] } = {};

  constructor(private readonly opts: DiscoveryOptions) {
    this.log = opts.logger ?? silentLogger;
    this.scope = opts.scope ?? {};
  }

  /** The name a Service port's Upstream has (tests, logs). */
  nameFor(namespace: string, service: string, port: number): string | undefined {
    return this.nameOf.get(`${namespace}/${service}/${port}`);
  }

  /** Forgets what was applied: the next pass compares every name with the server's objects again. */
  reset(): void {
    this.seen = {};
    for (const name of this.wanted.keys()) this.dirty.add(name);
    for (const name of this.upstreams.keys()) this.dirty.add(name);
  }

  /** One pass: take in what changed, then write what differs. */
  async sync(): Promise<PassResult> {
    this.readServices();
    this.readUpstreams();
    this.opts.events?.desired?.(this.wanted.size);
    const names = [...this.dirty];
    this.dirty.clear();
    let failed = 0;
    await pool(names, this.opts.concurrency ?? 16, async (name) => {
      if (await this.reconcile(name)) return;
      failed++;
      this.dirty.add(name);
    });
    return { failed };
  }

  // ---- what is wanted ------------------------------------------------------------------------------

  private readServices(): void {
    const namespaces = this.opts.reader.namespaces();
    const services = this.opts.reader.services();
    if (namespaces === this.seen.namespaces && services === this.seen.services) return;
    this.seen = { ...this.seen, namespaces, services };
    const relabelled = new Set<string>();
    const seenNs = new Set<string>();
    for (const ns of namespaces) {
      const name = ns.metadata.name;
      seenNs.add(name);
      const prev = this.namespaceLabels.get(name);
      if (prev !== ns && !sameStringMap(prev?.metadata.labels, ns.metadata.labels)) relabelled.add(name);
      this.namespaceLabels.set(name, ns);
    }
    for (const name of [...this.namespaceLabels.keys()]) {
      if (seenNs.has(name)) continue;
      this.namespaceLabels.delete(name);
      relabelled.add(name);
    }
    const seen = new Set<string>();
    for (const svc of services) {
      const ns = svc.metadata.namespace ?? 'default';
      const key = `${ns}/${svc.metadata.name}`;
      seen.add(key);
      const prev = this.services.get(key);
      if (prev?.service === svc && !relabelled.has(ns)) continue;
      this.setWanted(key, svc, this.wantedOf(svc));
    }
    for (const key of [...this.services.keys()]) if (!seen.has(key)) this.setWanted(key, undefined, []);
  }

  private wantedOf(svc: Service): DesiredUpstream[] {
    const ns = svc.metadata.namespace ?? 'default';
    const labels = this.namespaceLabels.get(ns)?.metadata.labels ?? { [NS_NAME_LABEL]: ns };
    return inScope(svc, labels, this.scope) ? desiredUpstreams(svc) : [];
  }

  private setWanted(serviceKey: string, svc: Service | undefined, next: readonly DesiredUpstream[]): void {
    const prev = this.services.get(serviceKey)?.wanted ?? [];
    if (svc) this.services.set(serviceKey, { service: svc, wanted: next });
    else this.services.delete(serviceKey);
    const touched = new Set<string>();
    for (const d of prev) {
      const claim = this.claims.get(d.name);
      claim?.delete(d.key);
      if (claim?.size === 0) this.claims.delete(d.name);
      touched.add(d.name);
    }
    for (const d of next) {
      let claim = this.claims.get(d.name);
      if (!claim) this.claims.set(d.name, (claim = new Set()));
      claim.add(d.key);
      touched.add(d.name);
    }
    const byKey = new Map(next.map((d) => [d.key, d]));
    for (const base of touched) this.settle(base, byKey, prev);
  }

  /** Gives the base name to the first claimant in key order, the alternate to the others. */
  private settle(base: string, fresh: ReadonlyMap<string, DesiredUpstream>, gone: readonly DesiredUpstream[]): void {
    for (const d of gone) {
      if (d.name !== base || fresh.has(d.key)) continue;
      const name = this.nameOf.get(d.key);
      if (name !== undefined) {
        this.nameOf.delete(d.key);
        if (this.wanted.get(name)?.key === d.key) this.wanted.delete(name);
        this.dirty.add(name);
      }
    }
    const keys = [...(this.claims.get(base) ?? [])].sort();
    keys.forEach((key, i) => {
      const d = fresh.get(key) ?? this.desiredOf(key);
      if (!d) return;
      const name = i === 0 ? base : alternateName(d.namespace, d.service, d.port);
      if (i === 1) this.log.warn('discovered Upstream name taken by another Service port: using a hashed name', { name: base, service: `${d.namespace}/${d.service}`, port: d.port, instead: name });
      const old = this.nameOf.get(key);
      if (old !== undefined && old !== name && this.wanted.get(old)?.key === key) {
        this.wanted.delete(old);
        this.dirty.add(old);
      }
      this.nameOf.set(key, name);
      if (this.wanted.get(name) !== d) {
        this.wanted.set(name, d);
        this.dirty.add(name);
      }
    });
  }

  private desiredOf(key: string): DesiredUpstream | undefined {
    const [ns = '', svc = ''] = key.split('/');
    return this.services.get(`${ns}/${svc}`)?.wanted.find((d) => d.key === key);
  }

  // ---- what is there -------------------------------------------------------------------------------

  private readUpstreams(): void {
    const upstreams = this.opts.reader.upstreams();
    if (upstreams === this.seen.upstreams) return;
    this.seen = { ...this.seen, upstreams };
    const seen = new Set<string>();
    for (const u of upstreams) {
      if ((u.metadata.namespace ?? 'default') !== this.opts.installNamespace) continue;
      const name = u.metadata.name;
      seen.add(name);
      if (this.upstreams.get(name) === u) continue;
      this.upstreams.set(name, u);
      this.dirty.add(name);
    }
    for (const name of [...this.upstreams.keys()]) {
      if (seen.has(name)) continue;
      this.upstreams.delete(name);
      this.dirty.add(name);
    }
  }

  // ---- writes --------------------------------------------------------------------------------------

  /** One name: apply, delete or leave it; false when the write failed. */
  private async reconcile(name: string): Promise<boolean> {
    const want = this.wanted.get(name);
    const have = this.upstreams.get(name);
    const ours = have?.metadata.labels?.[DISCOVERED_BY_LABEL] === DISCOVERED_BY;
    const ns = this.opts.installNamespace;
    try {
      if (want) {
        if (have && !ours) {
          if (!this.clashesLogged.has(name)) {
            this.clashesLogged.add(name);
            this.log.warn('an Upstream that discovery did not create has the name it wants: left alone', { upstream: `${ns}/${name}`, service: `${want.namespace}/${want.service}`, port: want.port });
          }
          this.opts.events?.skippedClash?.(name);
          return true;
        }
        if (have && upToDate(have, want)) return true;
        await serverSideApply(this.opts.kubeConfig, KIND_TABLE.Upstream, ns, applyBody(want, name, ns) as JsonObject, { fieldManager: FIELD_MANAGER, force: true });
        this.opts.events?.applied?.(have ? 'updated' : 'created');
        this.log.debug(have ? 'discovered Upstream updated' : 'discovered Upstream created', { upstream: `${ns}/${name}` });
        return true;
      }
      if (!have || !ours) return true;
      const result = await deleteIfUnchanged(this.opts.kubeConfig, KIND_TABLE.Upstream, ns, name, {
        ...(have.metadata.uid ? { uid: have.metadata.uid } : {}),
        ...(have.metadata.resourceVersion ? { resourceVersion: have.metadata.resourceVersion } : {}),
      });
      this.opts.events?.deleted?.(result);
      this.log.debug('discovered Upstream deleted', { upstream: `${ns}/${name}`, result });
      // `changed`: it was edited meanwhile (maybe adopted); the watch brings the new object.
      return true;
    } catch (err) {
      if (want) this.opts.events?.applied?.('failed');
      else this.opts.events?.deleted?.('failed');
      this.log.warn('discovery write failed; trying again', { upstream: `${ns}/${name}`, error: err instanceof Error ? err.message : String(err) });
      return false;
    }
  }
}

/** Runs `work` over `items`, at most `limit` at a time. */
async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++] as T);
  });
  await Promise.all(runners);
}
