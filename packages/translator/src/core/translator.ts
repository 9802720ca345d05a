// The gateway translator: Snapshot → one GatewayIR per accepted Gateway of ours + status reports.
//
// It keeps what it computed between calls and redoes only what an input change can affect:
//   - snapshot objects are immutable, so each kind is diffed by object identity;
//   - every read a translation makes is recorded as a dependency (a Service, the ReferenceGrants
//     of a namespace, a Secret, ...); a change re-translates exactly the routes and Gateways that
//     read it. (A Gateway whose listeners change re-translates the routes naming it.)
//   - each Gateway's IR is assembled incrementally (assembly/) and unchanged IR objects keep
//     their identity, which the xds translator relies on to skip re-encoding.
// The parts live in their own modules: route kinds (RouteSet), Services and their EndpointSlices
// (ServiceIndex), clusters and endpoints (ClusterTable), label-selector and targetRef queries
// (ObjectQueries), recorded reads (RecordingLookups); this class orders the steps.
// A fresh translator given the same snapshot produces an equal result: the caches only save work.
import type { GatewayIR } from '@gantry/ir';
import type { Gateway, GatewayClass, GatewayStatus, KubeObject, Namespace, ReferenceGrant, Secret, Service, Snapshot } from '@gantry/api';
import { GatewayAssembler } from '../assembly/gateway-assembler.js';
import type { BackendResolvers } from '../backends/backend.js';
import { DEFAULT_BACKEND_RESOLVERS } from '../backends/registry.js';
import { buildGatewayContext } from '../gateway/gateway-context.js';
import { judgeGatewayClass, type GatewayClassVerdict } from '../gateway/gatewayclass.js';
import type { GatewayContext } from '../gateway/model.js';
import { policyKindKey, type ExtensionRefPolicies, type PolicyResolution, type PolicyUse, type TargetRefPolicy } from '../policies/policy.js';
import { PolicyReports, reportsPolicyStatus } from '../status/policy-reports.js';
import { BACKEND_TLS, DEFAULT_EXTENSION_REF_POLICIES, DEFAULT_TARGET_REF_POLICIES } from '../policies/registry.js';
import { BACKEND_TLS_POLICY_GROUP, BACKEND_TLS_POLICY_KIND, conflictOf, judgeBackendTlsPolicy } from '../policies/backend-tls-policy.js';
import { backendTlsPolicyReport } from '../status/backend-tls-reports.js';
import { ROUTE_KINDS } from '../routes/registry.js';
import type { CompileTables, RouteKind } from '../routes/route-kind.js';
import { CommonConditions, RouteTranslation, type GatewayPlacement } from '../routes/route-translation.js';
import { KindConflicts } from '../routes/kind-conflicts.js';
import { compareReports, sortReports, type StatusReport } from '../status/reports.js';
import { BackendReports } from './backend-reports.js';
import { ClusterTable } from './cluster-table.js';
import { deepEqual, reuse } from './equality.js';
import { IdentityIndex } from './identity-index.js';
import { groupOf } from './keys.js';
import { Dep, groupKindOfKey, type Lookups } from './lookups.js';
import { flat, NamespacedKeys } from './memory.js';
import { StringMultiMap } from './multimap.js';
import { ObjectQueries, targetRefsOf } from './object-queries.js';
import { PodIndex } from './pod-index.js';
import { RecordingLookups } from './recording-lookups.js';
import { RemoteClusters } from './remote-clusters.js';
import { RouteSet } from './route-set.js';
import { ServiceIndex } from './service-index.js';
import { applySorted } from './sorted.js';

export const CONTROLLER_NAME = 'gantry.dev/gatewayclass-controller';

export interface GatewayTranslatorOptions {
  /** GatewayClasses whose spec.controllerName equals this are ours. */
  readonly controllerName?: string;
  /** Extra backend kinds (`group/kind` → resolver), added to the built-in ones. */
  readonly backendResolvers?: BackendResolvers;
  /** Extra ExtensionRef policy kinds (`group/kind` → policy), added to the built-in ones. */
  readonly extensionRefPolicies?: ExtensionRefPolicies;
  /** Extra targetRef policy kinds, after the built-in ones. */
  readonly targetRefPolicies?: readonly TargetRefPolicy[];
  /** The route kinds served; default: every built-in kind (routes/registry.ts). */
  readonly routeKinds?: readonly RouteKind[];
  /** Where the controller is installed: its Upstreams may name Services anywhere. Default gantry-system. */
  readonly installNamespace?: string;
  /** Refuse backendRefs to Services: routes must name Upstreams (default false). */
  readonly disableKubernetesDestinations?: boolean;
}

export const DEFAULT_INSTALL_NAMESPACE = 'gantry-system';

export interface TranslationResult {
  /** Keyed `namespace/name`: only accepted Gateways of our classes. */
  readonly gateways: ReadonlyMap<string, GatewayIR>;
  /** Sorted by kind (GatewayClass, Gateway, HTTPRoute), namespace, name. */
  readonly statuses: readonly StatusReport[];
  /**
   * The reports this translation replaced, added or removed: both the old and the new value of
   * each (an unchanged report keeps its identity and is not listed). What a status publisher needs
   * to look at again, without walking every report.
   */
  readonly statusChanges: readonly StatusReport[];
}

const nsKey = (o: KubeObject) => flat(`${o.metadata.namespace ?? 'default'}/${o.metadata.name}`);
const nameKey = (o: KubeObject) => o.metadata.name;
/** The keys of the last kind keyed: objects of a kind come together, by the thousand. */
let otherPrefix = { apiVersion: '', kind: '', keys: new NamespacedKeys('') };
const otherKey = (o: KubeObject) => {
  if (o.apiVersion !== otherPrefix.apiVersion || o.kind !== otherPrefix.kind) {
    otherPrefix = { apiVersion: o.apiVersion, kind: o.kind, keys: new NamespacedKeys(`${groupOf(o.apiVersion)}/${o.kind}/`) };
  }
  return otherPrefix.keys.key(o.metadata.namespace ?? '', o.metadata.name);
};

interface ContextRecord {
  readonly ctx: GatewayContext;
  readonly deps: readonly string[];
}

export class GatewayTranslator {
  /**
   * Whether a translation ran: before the first, nothing depends on anything (every route, Gateway
   * and status is new), so the other kinds' objects need no dependency keys (thousands of them).
   */
  private translated = false;
  private readonly controllerName: string;
  private readonly installNamespace: string;
  private readonly kubernetesDestinations: boolean;
  private readonly tables: CompileTables;

  private readonly classes = new IdentityIndex<GatewayClass>(nameKey);
  private readonly gateways = new IdentityIndex<Gateway>(nsKey);
  private readonly routes: RouteSet;
  private readonly grants = new IdentityIndex<ReferenceGrant>(nsKey);
  private readonly namespaces = new IdentityIndex<Namespace>(nameKey);
  private readonly services = new IdentityIndex<Service>(nsKey);
  private readonly secrets = new IdentityIndex<Secret>(nsKey);
  private readonly others = new IdentityIndex<KubeObject>(otherKey);
  /** Label-selector and targetRef queries over Services and the other kinds. */
  private readonly queries: ObjectQueries = new ObjectQueries((groupKind): Iterable<[string, KubeObject]> =>
    groupKind === '/Service' ? this.services.entries() : groupKind.startsWith('@') ? this.remotes.servicesOf(groupKind.slice(1, groupKind.indexOf('/'))) : this.othersOf(groupKind),
  );

  private readonly grantsByNamespace = new Map<string, Map<string, ReferenceGrant>>();
  private readonly grantLists = new Map<string, readonly ReferenceGrant[]>();
  /** Per Service: its EndpointSlices, the clusters whose endpoints it feeds, the routes reading it. */
  private readonly serviceIndex = new ServiceIndex();
  /** Remote clusters' Services and EndpointSlices (in the query and Service indexes, keys `@cluster/...`). */
  private readonly remotes: RemoteClusters = new RemoteClusters(this.queries, this.serviceIndex);
  /** Pod labels, for pod selectors. */
  private readonly pods = new PodIndex();
  /** Interned ClusterIRs and their endpoints. */
  private readonly clusters = new ClusterTable(this.serviceIndex, this.pods);
  /** Statuses of backend objects of ours (Upstreams). */
  private readonly backendReports: BackendReports;
  private readonly backendReads: Parameters<BackendReports["judge"]>[3];

  private readonly classVerdicts = new Map<string, { gc: GatewayClass; verdict: GatewayClassVerdict; report: StatusReport }>();
  private readonly contexts = new Map<string, ContextRecord>();
  private readonly assemblers = new Map<string, GatewayAssembler>();
  private readonly translations = new Map<string, RouteTranslation>();
  /** Routes whose translation the pass across routes changed: the translation before it. */
  private readonly rawTranslations = new Map<string, RouteTranslation>();
  private readonly kindConflicts = new KindConflicts();
  /** Status of policy objects (RouteOptions), from what the route translations did with them. */
  private readonly policyReports: PolicyReports;
  private readonly dirtyPolicies = new Set<string>();
  /** BackendTLSPolicy reports by policy key; redone when a policy, ConfigMap or route changed. */
  private readonly backendTlsReports = new Map<string, StatusReport>();
  /** Keys of the BackendTLSPolicies: refreshing their statuses walks these, not every other object. */
  private readonly backendTlsPolicies = new Set<string>();
  private backendTlsDirty = false;
  /** `group/kind` of the targetRef policy kinds. */
  private readonly targetRefKinds: ReadonlySet<string>;
  /** Dependency key → routes that read it (Services are in serviceIndex: they are the bulk). */
  private readonly dependents = new StringMultiMap();
  private readonly attachedCounts = new Map<string, Map<string, number>>();
  private readonly gatewayReports = new Map<string, StatusReport>();
  /** The status reports of the ListenerSets naming each Gateway (by the Gateway's key). */
  private readonly listenerSetReports = new Map<string, readonly StatusReport[]>();

  private readonly labelsMemo = new WeakMap<Namespace, Readonly<Record<string, string>>>();
  private readonly labelsOfMissing = new Map<string, Readonly<Record<string, string>>>();

  private readonly commonConditions = new CommonConditions();

  private statuses: readonly StatusReport[] = [];
  private gatewayIRs: ReadonlyMap<string, GatewayIR> = new Map();

  constructor(opts: GatewayTranslatorOptions = {}) {
    this.controllerName = opts.controllerName ?? CONTROLLER_NAME;
    this.installNamespace = opts.installNamespace ?? DEFAULT_INSTALL_NAMESPACE;
    this.kubernetesDestinations = opts.disableKubernetesDestinations !== true;
    this.tables = {
      backends: opts.backendResolvers ? new Map([...DEFAULT_BACKEND_RESOLVERS, ...opts.backendResolvers]) : DEFAULT_BACKEND_RESOLVERS,
      extensionRefs: opts.extensionRefPolicies
        ? new Map([...DEFAULT_EXTENSION_REF_POLICIES, ...opts.extensionRefPolicies])
        : DEFAULT_EXTENSION_REF_POLICIES,
      targetRefs: [...DEFAULT_TARGET_REF_POLICIES, ...(opts.targetRefPolicies ?? [])],
    };
    this.routes = new RouteSet(opts.routeKinds ?? ROUTE_KINDS);
    const reporters = new Map([...this.tables.backends].flatMap(([k, r]) => (r.report ? [[k, { report: r.report }] as const] : [])));
    this.backendReports = new BackendReports(reporters, this.serviceIndex, this.clusters);
    this.backendReads = { lookups: this.recorder, installNamespace: this.installNamespace };
    this.policyReports = new PolicyReports(this.controllerName);
    this.targetRefKinds = new Set(this.tables.targetRefs.map((p) => `${p.group}/${p.kind}`));
  }

  translate(snapshot: Snapshot): TranslationResult {
    const changed = new Set<string>();
    const changedServices = new Set<string>();
    const dirtyServices = new Set<string>();
    const reportServices = new Set<string>();
    const podNamespaces = new Set<string>();
    const changedRoutes = this.diffInputs(snapshot, { changed, changedServices, dirtyServices, reportServices, podNamespaces });
    this.translated = true;

    const reportChanges: [StatusReport | undefined, StatusReport | undefined][] = [];
    this.judgeClasses(changed, reportChanges);
    const attachmentsChanged = new Set<string>();
    const contextsChanged = this.judgeGateways(changed, attachmentsChanged);
    this.routesReferencing(attachmentsChanged, changedRoutes);
    for (const svc of changedServices) for (const r of this.serviceIndex.routesReading(svc)) changedRoutes.add(r);
    this.recorder.invalidate();
    const routeChanges = this.translateRoutes(changedRoutes, changed, reportChanges);
    for (const [key, prev, next] of routeChanges) {
      const route = (next ?? prev)?.route;
      if (!route) continue;
      const where = { namespace: route.metadata.namespace ?? 'default', name: route.metadata.name };
      this.policyReports.routeChanged(key, where, prev?.policyUses ?? NO_USES, next?.policyUses ?? NO_USES, this.dirtyPolicies);
    }
    if (this.dirtyPolicies.size > 0) {
      this.policyReports.refresh(this.dirtyPolicies, (k) => this.others.get(k), (p) => this.resolvePolicy(p), reportChanges);
      this.dirtyPolicies.clear();
    }
    if (this.backendTlsDirty || routeChanges.length > 0) this.refreshBackendTls(reportChanges);
    this.backendTlsDirty = false;
    const countsChanged = new Set<string>();
    for (const [, prev, next] of routeChanges) this.track(prev, next, countsChanged);

    this.assemble(contextsChanged, routeChanges, dirtyServices);
    // After assembly: statuses that count endpoints read the clusters' fresh endpoints.
    this.backendReports.judge(changed, reportServices, podNamespaces, this.backendReads, reportChanges);
    this.recorder.invalidate(); // its memo holds this snapshot's objects: not kept past their use
    for (const key of new Set([...contextsChanged, ...countsChanged])) this.reportGateway(key, reportChanges);
    const statusChanges = this.applyReports(reportChanges);
    return { gateways: this.gatewayIRs, statuses: this.statuses, statusChanges };
  }

  // ---- inputs -------------------------------------------------------------------------------

  /**
   * Diffs every kind; returns the keys of the HTTPRoutes that changed. Changed Services and
   * EndpointSlices are collected only when something already depends on them (a first
   * translation changes every key and nothing depends on anything yet).
   */
  private diffInputs(s: Snapshot, out: InputChanges): Set<string> {
    const { changed, changedServices, dirtyServices, reportServices, podNamespaces } = out;
    const policyTargets = new Set<string>();
    for (const k of this.classes.update(s.gatewayClasses)) changed.add(Dep.gatewayClass(k));
    this.gateways.update(s.gateways); // judged one by one by judgeGateways (few)
    for (const k of this.namespaces.update(s.namespaces)) changed.add(Dep.namespace(k));
    for (const k of this.secrets.update(s.secrets)) changed.add(Dep.secret(k));
    // Objects of a kind come together: their group and kind are cut from the first key only.
    let groupKind = '';
    let group = '';
    let kind = '';
    // The apiVersion and kind of the last object seen: a key's `group/kind` is a function of them
    // (otherKey), so the same pair is the same run, without a prefix test of every key.
    let runApiVersion = '';
    let runKind = '';
    // What a kind's objects need, decided once per run of the kind (objects of a kind come together).
    let reporting = false;
    let backendTls = false;
    let tlsInput = false;
    let policyStatus = false;
    let targetRefKind = false;
    const readerRoutes = this.translated ? new Set<string>() : undefined;
    // A first update lists every key in the index's order: the lists of keys by kind (otherKeysOf)
    // are built here rather than by a walk over every key on the first kind query.
    const items = s.others ?? [];
    const firstUpdate = this.others.size === 0;
    let kinds: Map<string, string[]> | undefined = firstUpdate ? new Map() : undefined;
    let kindKeys: string[] | undefined;
    this.others.updateEach(items, (k, before, after) => {
      // k is `group/kind/namespace/name`.
      const o = after ?? before;
      if (groupKind === '' || o === undefined || o.apiVersion !== runApiVersion || o.kind !== runKind) {
        runApiVersion = o?.apiVersion ?? '';
        runKind = o?.kind ?? '';
        groupKind = groupKindOfKey(k);
        group = groupKind.slice(0, groupKind.indexOf('/'));
        kind = groupKind.slice(group.length + 1);
        if (this.translated) changed.add(Dep.kind(group, kind)); // once per run of a kind: a Set needs no more
        reporting = this.backendReports.tracks(groupKind);
        backendTls = groupKind === BACKEND_TLS_GROUP_KIND;
        tlsInput = backendTls || groupKind === '/ConfigMap';
        policyStatus = !tlsInput && reportsPolicyStatus(group, kind);
        targetRefKind = this.targetRefKinds.has(groupKind);
        if (kinds !== undefined) {
          kindKeys = kinds.get(groupKind);
          if (kindKeys === undefined) kinds.set(groupKind, (kindKeys = []));
        }
      }
      if (kindKeys !== undefined) kindKeys.push(k);
      if (this.translated) {
        changed.add(Dep.objectKey(k));
        // A read of an object with a record is recorded under its plain key (routes' reads are in
        // the record: readerRoutes).
        if (reporting) changed.add(k);
      }
      if (backendTls) {
        this.routesReadingTargets(before, after, policyTargets);
        if (after) this.backendTlsPolicies.add(k);
        else this.backendTlsPolicies.delete(k);
      }
      if (tlsInput) this.backendTlsDirty = true;
      else if (policyStatus) this.dirtyPolicies.add(k);
      if (targetRefKind) this.routesNamedBy(before, after, policyTargets);
      this.queries.changed(group, kind, k, before, after, changed);
      if (reporting) this.backendReports.objectChanged(groupKind, k, after, readerRoutes);
    });
    if (items !== this.othersItems) {
      this.othersItems = items;
      // Keys unique (no repeat: each was reported once, in the array's order): the lists are exact.
      if (kinds !== undefined && this.others.size !== items.length) kinds = undefined;
      this.othersKinds = kinds;
    }
    this.services.updateEach(s.services, (k, before, after) => {
      this.queries.changed('', 'Service', k, before, after, changed);
      this.serviceIndex.serviceChanged(k, changedServices, dirtyServices, reportServices);
    });
    for (const k of this.grants.update(s.referenceGrants)) {
      const ns = k.slice(0, k.indexOf('/'));
      let inNs = this.grantsByNamespace.get(ns);
      if (!inNs) this.grantsByNamespace.set(ns, (inNs = new Map()));
      const g = this.grants.get(k);
      if (g) inNs.set(k, g);
      else inNs.delete(k);
      this.grantLists.set(ns, [...inNs.values()]);
      changed.add(Dep.grants(ns));
    }
    this.serviceIndex.updateSlices(s, dirtyServices, reportServices);
    this.remotes.update(s.remoteClusters, changed, dirtyServices, reportServices);
    this.pods.update(s, podNamespaces);
    if (podNamespaces.size > 0) this.clusters.podsChanged(podNamespaces, dirtyServices);
    const changedRoutes = this.routes.update(s);
    for (const k of policyTargets) changedRoutes.add(k);
    if (readerRoutes) for (const k of readerRoutes) changedRoutes.add(k);
    return changedRoutes;
  }

  /**
   * Every BackendTLSPolicy's report: its verdict, its conflicts, and as ancestors the Gateways
   * whose routes read a Service it targets. Policies are few; this runs only when a policy, a
   * ConfigMap or a route changed.
   */
  private refreshBackendTls(reportChanges: [StatusReport | undefined, StatusReport | undefined][]): void {
    const lookups = this.lookups([]);
    const seen = new Set<string>();
    for (const key of this.backendTlsPolicies) {
      const policy = this.others.get(key);
      if (!policy) continue;
      seen.add(key);
      const ns = policy.metadata.namespace ?? 'default';
      const gateways = new Set<string>();
      for (const t of targetRefsOf(policy)) {
        if ((t.group ?? '') !== '' || t.kind !== 'Service') continue;
        for (const routeKey of this.serviceIndex.routesReading(`${ns}/${t.name}`)) {
          for (const p of this.translations.get(routeKey)?.placements ?? []) gateways.add(p.gatewayKey);
        }
      }
      const next = backendTlsPolicyReport(policy, judgeBackendTlsPolicy(policy, lookups), conflictOf(policy, lookups), [...gateways].sort(), this.controllerName);
      const prev = this.backendTlsReports.get(key);
      const report = reuse(prev, next);
      if (report === prev) continue;
      this.backendTlsReports.set(key, report);
      reportChanges.push([prev, report]);
    }
    for (const [key, prev] of [...this.backendTlsReports]) {
      if (seen.has(key)) continue;
      this.backendTlsReports.delete(key);
      reportChanges.push([prev, undefined]);
    }
  }

  /**
   * The keys of the routes that read a Service a backend policy (BackendTLSPolicy) targets, before
   * and after a change: which policy applies to a backend is decided in the route's translation.
   */
  private routesReadingTargets(before: KubeObject | undefined, after: KubeObject | undefined, out: Set<string>): void {
    for (const o of [before, after]) {
      if (!o) continue;
      const ns = o.metadata.namespace ?? 'default';
      for (const ref of targetRefsOf(o)) {
        if ((ref.group ?? '') !== '' || ref.kind !== 'Service') continue;
        for (const r of this.serviceIndex.routesReading(`${ns}/${ref.name}`)) out.add(r);
      }
    }
  }

  /** The keys of the routes a targetRef policy names, before and after a change (see Lookups.policiesNaming). */
  private routesNamedBy(before: KubeObject | undefined, after: KubeObject | undefined, out: Set<string>): void {
    for (const o of [before, after]) {
      if (!o) continue;
      const ns = o.metadata.namespace ?? 'default';
      for (const ref of targetRefsOf(o)) {
        const key = `${ref.kind}/${ns}/${ref.name}`;
        if (this.routes.route(key) || this.translations.has(key)) out.add(key);
      }
    }
  }

  /** Lookups that record what they read into `deps` (for Gateways and classes). */
  private lookups(deps: string[]): Lookups {
    const r = this.recorder.start();
    r.keep = deps;
    return r;
  }

  private readonly recorder = new RecordingLookups({
    gateway: (key) => this.contexts.get(key)?.ctx.attachment,
    service: (key) => this.services.get(key),
    secret: (key) => this.secrets.get(key),
    labels: (name) => this.labelsOf(name),
    grants: (ns) => this.grantLists.get(ns) ?? NO_GRANTS,
    other: (key) => this.others.get(key),
    tracks: (groupKind) => this.backendReports.tracks(groupKind),
    tracked: (key) => this.backendReports.record(key),
    queries: this.queries,
    remoteClusters: () => this.remotes.list(),
    objectsOf: (groupKind) => [...this.othersOf(groupKind)].map((e) => e[1]),
  });

  private *othersOf(groupKind: string): IterableIterator<[string, KubeObject]> {
    for (const k of this.otherKeysOf(groupKind)) {
      const o = this.others.get(k);
      if (o) yield [k, o];
    }
  }

  /**
   * The keys of the other objects by `group/kind`, sorted out in one pass on the first ask after
   * a change: a kind's queries (ListenerSets, targetRef policies) then walk that kind's objects,
   * not every object of every kind (thousands of Upstreams) once per kind asked.
   */
  private othersKinds: Map<string, string[]> | undefined;
  /** The `others` array the index was last brought up to (an unchanged array changes nothing). */
  private othersItems: readonly KubeObject[] | undefined;

  private otherKeysOf(groupKind: string): readonly string[] {
    let kinds = this.othersKinds;
    if (kinds === undefined) {
      kinds = new Map();
      let prefix = '';
      let list: string[] | undefined;
      for (const k of this.others.keys()) {
        // Objects of a kind mostly come together: the kind is cut from the first key of a run only.
        if (list === undefined || !k.startsWith(prefix)) {
          const gk = groupKindOfKey(k);
          prefix = `${gk}/`;
          list = kinds.get(gk);
          if (list === undefined) kinds.set(gk, (list = []));
        }
        list.push(k);
      }
      this.othersKinds = kinds;
    }
    return kinds.get(groupKind) ?? NO_DEPS;
  }

  private labelsOf(name: string): Readonly<Record<string, string>> {
    const ns = this.namespaces.get(name);
    if (!ns) {
      let l = this.labelsOfMissing.get(name);
      if (!l) this.labelsOfMissing.set(name, (l = { 'kubernetes.io/metadata.name': name }));
      return l;
    }
    let l = this.labelsMemo.get(ns);
    if (!l) {
      l = { ...(ns.metadata.labels ?? {}), 'kubernetes.io/metadata.name': name };
      this.labelsMemo.set(ns, l);
    }
    return l;
  }

  // ---- GatewayClasses and Gateways -----------------------------------------------------------

  private judgeClasses(changed: ReadonlySet<string>, reportChanges: [StatusReport | undefined, StatusReport | undefined][]): void {
    const seen = new Set<string>();
    for (const gc of this.classes.values()) {
      const name = gc.metadata.name;
      seen.add(name);
      const prev = this.classVerdicts.get(name);
      const ours = gc.spec?.controllerName === this.controllerName;
      const paramsRef = gc.spec?.parametersRef;
      const paramsChanged =
        paramsRef !== undefined &&
        changed.has(Dep.object(paramsRef.group, paramsRef.kind, `${paramsRef.namespace ?? ''}/${paramsRef.name}`));
      if (prev && prev.gc === gc && !paramsChanged) continue;
      if (!ours) {
        if (prev) {
          this.classVerdicts.delete(name);
          reportChanges.push([prev.report, undefined]);
        }
        continue;
      }
      const verdict = judgeGatewayClass(gc, this.lookups([]));
      const gen = gc.metadata.generation;
      const report = reuse<StatusReport>(prev?.report, {
        apiVersion: gc.apiVersion,
        kind: 'GatewayClass',
        name,
        ...(gen !== undefined ? { generation: gen } : {}),
        status: verdict.status,
      });
      this.classVerdicts.set(name, { gc, verdict, report });
      if (report !== prev?.report) reportChanges.push([prev?.report, report]);
    }
    for (const [name, prev] of [...this.classVerdicts]) {
      if (seen.has(name)) continue;
      this.classVerdicts.delete(name);
      reportChanges.push([prev.report, undefined]);
    }
  }

  /** Returns the keys of Gateways whose context changed (or appeared, or went away). */
  private judgeGateways(changed: ReadonlySet<string>, attachmentsChanged: Set<string>): Set<string> {
    const out = new Set<string>();
    const keys = new Set([...this.gateways.keys(), ...this.contexts.keys()]);
    for (const key of keys) {
      const gw = this.gateways.get(key);
      const prev = this.contexts.get(key);
      const className = gw?.spec?.gatewayClassName;
      const cls = className !== undefined ? this.classVerdicts.get(className) : undefined;
      if (!gw || !cls) {
        if (prev) {
          this.contexts.delete(key);
          attachmentsChanged.add(key);
          out.add(key);
        }
        continue;
      }
      if (prev && prev.ctx.gateway === gw && !intersects(prev.deps, changed)) continue;
      const deps: string[] = [Dep.gatewayClass(cls.gc.metadata.name)];
      let ctx = buildGatewayContext(gw, cls.verdict.accepted ? undefined : cls.verdict.message, this.lookups(deps));
      if (prev && deepEqual(prev.ctx.attachment, ctx.attachment)) ctx = { ...ctx, attachment: prev.ctx.attachment };
      else attachmentsChanged.add(key);
      this.contexts.set(key, { ctx, deps });
      out.add(key);
    }
    return out;
  }

  // ---- routes -------------------------------------------------------------------------------

  private translateRoutes(
    dirty: Set<string>,
    changed: ReadonlySet<string>,
    reportChanges: [StatusReport | undefined, StatusReport | undefined][],
  ): [string, RouteTranslation | undefined, RouteTranslation | undefined][] {
    for (const dep of changed) for (const r of this.dependents.get(dep)) dirty.add(r);
    const out: [string, RouteTranslation | undefined, RouteTranslation | undefined][] = [];
    const opts = {
      controllerName: this.controllerName,
      tables: this.tables,
      cluster: this.clusters.intern,
      clusterLike: this.clusters.internLike,
      installNamespace: this.installNamespace,
      kubernetesDestinations: this.kubernetesDestinations,
      backendTls: BACKEND_TLS,
      common: this.commonConditions,
    };
    const rawChanges: [string, RouteTranslation | undefined, RouteTranslation | undefined][] = [];
    for (const key of dirty) {
      const route = this.routes.route(key);
      const prev = this.rawTranslation(key);
      let next: RouteTranslation | undefined;
      if (route) {
        const recorder = this.recorder.start();
        next = new RouteTranslation(key, route, this.routes.kindOf(key) as RouteKind, recorder, opts, prev, recorder);
        if (prev?.report && next.report && deepEqual(prev.report, next.report)) (next as { report: StatusReport }).report = prev.report;
      }
      this.setRouteDeps(key, prev?.deps ?? NO_DEPS, next?.deps ?? NO_DEPS);
      this.serviceIndex.setRouteServices(key, prev?.serviceDeps ?? NO_DEPS, next?.serviceDeps ?? NO_DEPS);
      rawChanges.push([key, prev, next]);
    }
    // HTTPRoutes and GRPCRoutes sharing hostnames on a listener: one of each pair is not accepted
    // (kind-conflicts.ts); routes whose verdict changed take their effective translation again.
    const touched = this.kindConflicts.update(rawChanges);
    const nextRaw = new Map<string, RouteTranslation | undefined>();
    for (const [key, , next] of rawChanges) {
      nextRaw.set(key, next);
      touched.delete(key);
    }
    for (const key of touched) nextRaw.set(key, this.rawTranslation(key));
    for (const [key, raw] of nextRaw) {
      const prev = this.translations.get(key);
      const next = raw && this.effective(key, raw, prev);
      if (next) this.translations.set(key, next);
      else this.translations.delete(key);
      if (next && next !== raw && raw) this.rawTranslations.set(key, raw);
      else this.rawTranslations.delete(key);
      if (prev === next) continue;
      if (prev?.report !== next?.report) reportChanges.push([prev?.report, next?.report]);
      out.push([key, prev, next]);
    }
    return out;
  }

  /** A route's translation before the pass across routes (kind-conflicts.ts). */
  private rawTranslation(key: string): RouteTranslation | undefined {
    return this.rawTranslations.get(key) ?? this.translations.get(key);
  }

  /** The translation the rest of the translator sees: `raw`, less the parentRefs the pass across routes rejects. */
  private effective(key: string, raw: RouteTranslation, prev: RouteTranslation | undefined): RouteTranslation {
    const rejected = this.kindConflicts.rejectionsOf(key);
    if (!rejected) return raw;
    const next = raw.withRejectedParents(rejected);
    // Same verdict as before: keep the previous objects (identity is what later stages compare).
    if (prev && prev !== raw && prev.report && next.report && deepEqual(prev.report, next.report) && this.rawTranslations.get(key) === raw) return prev;
    if (prev?.report && next.report && deepEqual(prev.report, next.report)) (next as { report: StatusReport }).report = prev.report;
    return next;
  }

  /**
   * Links a route to what it read: reads of objects with a status record go to the record's
   * readers, every other dependency key to `dependents`.
   */
  private setRouteDeps(route: string, before: readonly string[], after: readonly string[]): void {
    const reports = this.backendReports;
    if (before !== after) {
      for (const d of before) {
        if (after.includes(d)) continue;
        if (!reports.deleteReader(d, route)) this.dependents.delete(d, route);
      }
    }
    for (const d of after) {
      if (!reports.addReader(d, route)) this.dependents.add(d, route);
    }
  }

  /**
   * Adds the routes whose parentRefs name one of these Gateways. Routes do not register a
   * dependency on their Gateways (all of them would, by the ten thousand); listener changes are
   * rare, so a scan is cheaper.
   */
  private routesReferencing(gateways: ReadonlySet<string>, out: Set<string>): void {
    if (gateways.size === 0) return;
    const names = new Set([...gateways].map((k) => k.slice(k.indexOf('/') + 1)));
    for (const [key, route] of this.routes.entries()) {
      if (out.has(key)) continue;
      const ns = route.metadata.namespace ?? 'default';
      for (const ref of route.spec?.parentRefs ?? []) {
        // A ListenerSet parent: its Gateway is not named here; any Gateway change may move it.
        if (ref.kind === 'ListenerSet' || (names.has(ref.name) && gateways.has(`${ref.namespace ?? ns}/${ref.name}`))) {
          out.add(key);
          break;
        }
      }
    }
  }

  /** Keeps the attached-route counts up to date. */
  private track(prev: RouteTranslation | undefined, next: RouteTranslation | undefined, countsChanged: Set<string>): void {
    for (const { gatewayKey: gw, listeners } of prev?.placements ?? NO_PLACEMENTS) {
      const counts = this.attachedCounts.get(gw);
      for (const l of listeners) counts?.set(l.listener, (counts.get(l.listener) ?? 1) - 1);
      countsChanged.add(gw);
    }
    for (const { gatewayKey: gw, listeners } of next?.placements ?? NO_PLACEMENTS) {
      let counts = this.attachedCounts.get(gw);
      if (!counts) this.attachedCounts.set(gw, (counts = new Map()));
      for (const l of listeners) counts.set(l.listener, (counts.get(l.listener) ?? 0) + 1);
      countsChanged.add(gw);
    }
  }

  // ---- IR -----------------------------------------------------------------------------------

  private assemble(
    contextsChanged: ReadonlySet<string>,
    routeChanges: readonly [string, RouteTranslation | undefined, RouteTranslation | undefined][],
    dirtyServices: ReadonlySet<string>,
  ): void {
    let gatewaysChanged = false;
    // Endpoints first: records made during this pass are fresh and need no refresh.
    const changedEndpoints = this.clusters.refresh(dirtyServices);
    if (changedEndpoints.size > 0) for (const a of this.assemblers.values()) a.endpointsChanged(changedEndpoints);
    const placedOn = this.routesPlacedOn(contextsChanged);
    for (const key of contextsChanged) {
      const ctx = this.contexts.get(key)?.ctx;
      if (!ctx || !ctx.accepted) {
        if (this.assemblers.delete(key)) gatewaysChanged = true;
        continue;
      }
      const routes = placedOn.get(key) ?? [];
      const a = this.assemblers.get(key);
      if (a) a.reset(ctx, routes);
      else {
        const fresh = new GatewayAssembler(ctx, this.clusters.endpointsOf);
        fresh.reset(ctx, routes);
        this.assemblers.set(key, fresh);
        gatewaysChanged = true;
      }
    }
    // Placements are unique per Gateway: visit the new ones, then the old ones the route left.
    for (const [key, prev, next] of routeChanges) {
      for (const p of next?.placements ?? NO_PLACEMENTS) {
        if (!contextsChanged.has(p.gatewayKey)) this.assemblers.get(p.gatewayKey)?.setRoute(key, next);
      }
      for (const p of prev?.placements ?? NO_PLACEMENTS) {
        if (contextsChanged.has(p.gatewayKey) || next?.placementsOn(p.gatewayKey)) continue;
        this.assemblers.get(p.gatewayKey)?.setRoute(key, next);
      }
    }
    const next = new Map<string, GatewayIR>();
    for (const key of [...this.assemblers.keys()].sort()) {
      const ir = (this.assemblers.get(key) as GatewayAssembler).build();
      if (this.gatewayIRs.get(key) !== ir) gatewaysChanged = true;
      next.set(key, ir);
    }
    if (gatewaysChanged || next.size !== this.gatewayIRs.size) this.gatewayIRs = next;
    this.pruneClusters();
  }

  /**
   * The translations placed on each of these Gateways, in one scan (rather than a per-Gateway
   * index of route keys kept up to date route by route): it runs only when Gateway contexts
   * change, and then their routes are all placed again anyway.
   */
  private routesPlacedOn(gateways: ReadonlySet<string>): Map<string, RouteTranslation[]> {
    const out = new Map<string, RouteTranslation[]>();
    if (gateways.size === 0) return out;
    for (const t of this.translations.values()) {
      for (const p of t.placements) {
        if (!gateways.has(p.gatewayKey)) continue;
        const list = out.get(p.gatewayKey);
        if (list) list.push(t);
        else out.set(p.gatewayKey, [t]);
      }
    }
    return out;
  }

  /** Lets the cluster table forget clusters no Gateway uses. */
  private pruneClusters(): void {
    let used = 0;
    for (const a of this.assemblers.values()) used += a.clusterCount;
    this.clusters.prune(used, (name) => {
      for (const a of this.assemblers.values()) if (a.usesCluster(name)) return true;
      return false;
    });
  }

  // ---- status -------------------------------------------------------------------------------

  /** A policy object's own verdict (undefined: not a kind this translator resolves). */
  private resolvePolicy(policy: KubeObject): PolicyResolution | undefined {
    const group = groupOf(policy.apiVersion);
    const kind = this.tables.extensionRefs.get(policyKindKey(group, policy.kind)) ?? this.tables.targetRefs.find((p) => p.group === group && p.kind === policy.kind);
    return kind?.resolve(policy, this.lookups([]));
  }

  private reportGateway(key: string, reportChanges: [StatusReport | undefined, StatusReport | undefined][]): void {
    this.reportListenerSets(key, reportChanges);
    const prev = this.gatewayReports.get(key);
    const ctx = this.contexts.get(key)?.ctx;
    if (!ctx) {
      if (prev) {
        this.gatewayReports.delete(key);
        reportChanges.push([prev, undefined]);
      }
      return;
    }
    const counts = this.attachedCounts.get(key);
    const status: GatewayStatus = {
      conditions: [...ctx.conditions],
      // A ListenerSet's listeners are in its own status, not the Gateway's.
      listeners: ctx.listeners.filter((l) => l.info.listenerSet === undefined).map((l) => ({
        name: l.info.name,
        supportedKinds: l.supportedKinds.map((k) => ({ ...k })),
        attachedRoutes: counts?.get(l.info.name) ?? 0,
        conditions: [...l.conditions],
      })),
      ...(ctx.listenerSets ? { attachedListenerSets: ctx.listenerSets.filter((s) => s.attached).length } : {}),
    };
    const gw = ctx.gateway;
    const gen = gw.metadata.generation;
    const report = reuse<StatusReport>(prev, {
      apiVersion: gw.apiVersion,
      kind: 'Gateway',
      namespace: ctx.attachment.namespace,
      name: gw.metadata.name,
      ...(gen !== undefined ? { generation: gen } : {}),
      status,
    });
    if (report === prev) return;
    this.gatewayReports.set(key, report);
    reportChanges.push([prev, report]);
  }

  /** The ListenerSets naming a Gateway: their conditions and listeners (with attached routes). */
  private reportListenerSets(key: string, reportChanges: [StatusReport | undefined, StatusReport | undefined][]): void {
    const prev = this.listenerSetReports.get(key) ?? [];
    const ctx = this.contexts.get(key)?.ctx;
    const counts = this.attachedCounts.get(key);
    const next: StatusReport[] = [];
    for (const s of ctx?.listenerSets ?? []) {
      const set = s.listenerSet;
      const gen = set.metadata.generation;
      const namespace = set.metadata.namespace ?? 'default';
      const old = prev.find((r) => r.namespace === namespace && r.name === set.metadata.name);
      next.push(
        reuse<StatusReport>(old, {
          apiVersion: set.apiVersion,
          kind: 'ListenerSet',
          namespace,
          name: set.metadata.name,
          ...(gen !== undefined ? { generation: gen } : {}),
          status: {
            conditions: [...s.conditions],
            listeners: s.listeners.map((l) => ({
              name: l.info.listenerSet?.listener ?? l.info.name,
              supportedKinds: l.supportedKinds.map((k) => ({ ...k })),
              attachedRoutes: counts?.get(l.info.name) ?? 0,
              conditions: [...l.conditions],
            })),
          },
        }),
      );
    }
    for (const r of prev) if (!next.includes(r)) reportChanges.push([r, undefined]);
    for (const r of next) if (!prev.includes(r)) reportChanges.push([undefined, r]);
    if (next.length > 0) this.listenerSetReports.set(key, next);
    else this.listenerSetReports.delete(key);
  }

  /** Applies the changed reports to the sorted list; returns them (old and new values). */
  private applyReports(changes: readonly [StatusReport | undefined, StatusReport | undefined][]): StatusReport[] {
    const removed: StatusReport[] = [];
    const added: StatusReport[] = [];
    for (const [prev, next] of changes) {
      if (prev === next) continue;
      if (prev) removed.push(prev);
      if (next) added.push(next);
    }
    this.statuses = applySorted(this.statuses, compareReports, removed, added, sortReports);
    return removed.length === 0 ? added : [...removed, ...added];
  }
}

/** What diffing the inputs found changed, by what it affects. */
interface InputChanges {
  /** Dependency keys (classes, namespaces, Secrets, grants, other objects, queries). */
  readonly changed: Set<string>;
  /** Services read by routes. */
  readonly changedServices: Set<string>;
  /** Services whose clusters need their endpoints recomputed. */
  readonly dirtyServices: Set<string>;
  /** Services read, or whose endpoints are counted, by the statuses of backend objects. */
  readonly reportServices: Set<string>;
  /** Namespaces where Pod labels changed. */
  readonly podNamespaces: Set<string>;
}

const NO_GRANTS: readonly ReferenceGrant[] = [];
const NO_PLACEMENTS: readonly GatewayPlacement[] = [];

const NO_DEPS: readonly string[] = [];
const NO_USES: readonly PolicyUse[] = [];
const BACKEND_TLS_GROUP_KIND = `${BACKEND_TLS_POLICY_GROUP}/${BACKEND_TLS_POLICY_KIND}`;

function intersects(a: readonly string[], b: ReadonlySet<string>): boolean {
  for (const x of a) if (b.has(x)) return true;
  return false;
}
