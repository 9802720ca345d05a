// Statuses of the backend objects of ours that carry one (Upstreams): every object is judged,
// whether a route uses it or not, and judged again only when something it read changed: itself,
// a dependency key (ReferenceGrants, ...), its Service (the object or its EndpointSlices), or Pod
// labels in its Service's namespace when it selects Pods.
//
// Each such object has one long-lived record (made when the object appears, or when a route asks
// for it while it is absent; dropped when both are gone). The record holds the object, its report
// and what the report read, the routes that read the object (instead of a dependency key per
// route in the translator's index), and the per-translation memo of its verdict (see
// RecordingLookups.memo). So a full translation keeps one Map entry per object here, and builds no
// per-translation Map (memo, dirty set) sized by the number of objects.
import type { KubeObject } from '@gantry/api';
import type { BackendResolver, BackendStatusContext, ServiceEndpointSource } from '../backends/backend.js';
import type { StatusReport } from '../status/reports.js';
import type { ClusterTable } from './cluster-table.js';
import { reuse } from './equality.js';
import { bagAdd, bagDelete, bagValues, StringMultiMap, type StringBag } from './multimap.js';
import type { RecordingLookups, TrackedObject } from './recording-lookups.js';
import { groupKindOfKey } from './lookups.js';
import type { ServiceIndex } from './service-index.js';

interface ObjectRecord extends TrackedObject {
  obj: KubeObject | undefined;
  report: StatusReport | undefined;
  deps: readonly string[];
  services: readonly string[];
  /** The namespace whose Pod labels the count depends on (a pod selector). */
  podNamespace: string | undefined;
  /** Routes that read the object (route keys). */
  readers: StringBag;
  /** In the list of records to judge in the next pass. */
  dirty: boolean;
  /** Its kind's reporter (from the key's `group/kind`, looked up once when the record is made). */
  readonly reporter: Reporter | undefined;
}

type Reporter = Required<Pick<BackendResolver, 'report'>>;

const NO_DEPS: readonly string[] = [];

export class BackendReports {
  private readonly records = new Map<string, ObjectRecord>();
  private readonly byDep = new StringMultiMap();
  private readonly byPodNamespace = new StringMultiMap();
  /** Records to judge in the next pass, in the order they were marked. */
  private dirty: ObjectRecord[] = [];
  /** `reporters`: keyed `group/kind`, the backend kinds that report a status. */
  constructor(
    private readonly reporters: ReadonlyMap<string, Reporter>,
    private readonly services: ServiceIndex,
    private readonly clusters: ClusterTable,
  ) {}

  /** Whether objects of `group/kind` have records. */
  tracks(groupKind: string): boolean {
    return this.reporters.has(groupKind);
  }

  /** The record of an object of a reporting kind (`key`: `group/kind/namespace/name`). */
  record(key: string): ObjectRecord {
    let rec = this.records.get(key);
    if (rec === undefined) {
      this.records.set(key, (rec = newRecord(key, undefined, this.reporters.get(groupKindOfKey(key)))));
      // Judged (to nothing) in the next pass, which drops it if no route took it.
      this.mark(rec);
    }
    return rec;
  }

  /**
   * An object of another kind changed (`groupKind`: `group/kind`; `key`: its full key). The
   * routes that read it go to `readers` (undefined: nothing has read anything yet).
   */
  objectChanged(groupKind: string, key: string, after: KubeObject | undefined, readers: Set<string> | undefined): void {
    const reporter = this.reporters.get(groupKind);
    if (reporter === undefined) return;
    let rec = this.records.get(key);
    if (rec === undefined) {
      if (after === undefined) return;
      this.records.set(key, (rec = newRecord(key, after, reporter)));
    } else {
      rec.obj = after;
      if (readers !== undefined) for (const r of bagValues(rec.readers)) readers.add(r);
    }
    this.mark(rec);
  }

  /**
   * A route read the dependency key `key`: if it is a record's key (a read of an object with a
   * record, which the read made if it was absent), the route becomes one of its readers and this
   * returns true; false for any other key. One Map lookup, no prefix test of every key.
   */
  addReader(key: string, route: string): boolean {
    const rec = this.records.get(key);
    if (rec === undefined) return false;
    rec.readers = bagAdd(rec.readers, route);
    return true;
  }

  /**
   * A route no longer reads `key`: true if it is a record's key (a route that read a record's key
   * is among its readers, so the record is still there).
   */
  deleteReader(key: string, route: string): boolean {
    const rec = this.records.get(key);
    if (rec === undefined) return false;
    rec.readers = bagDelete(rec.readers, route);
    this.dropIfUnused(rec);
    return true;
  }

  private mark(rec: ObjectRecord): void {
    if (rec.dirty) return;
    rec.dirty = true;
    this.dirty.push(rec);
  }

  private markKey = (key: string): void => {
    const rec = this.records.get(key);
    if (rec !== undefined) this.mark(rec);
  };

  /**
   * Judges the objects that need it; `changed`: dependency keys that changed; `services`:
   * Services whose object or endpoints changed; `podNamespaces`: where Pod labels changed.
   */
  judge(
    changed: ReadonlySet<string>,
    services: ReadonlySet<string>,
    podNamespaces: ReadonlySet<string>,
    read: { readonly lookups: RecordingLookups; readonly installNamespace: string },
    reportChanges: [StatusReport | undefined, StatusReport | undefined][],
  ): void {
    for (const dep of changed) this.byDep.forEach(dep, this.markKey);
    for (const svc of services) for (const k of this.services.reportsReading(svc)) this.markKey(k);
    for (const ns of podNamespaces) this.byPodNamespace.forEach(ns, this.markKey);
    const dirty = this.dirty;
    if (dirty.length === 0) return;
    this.dirty = [];
    let podNamespace: string | undefined;
    const ctx: BackendStatusContext = {
      lookups: read.lookups,
      installNamespace: read.installNamespace,
      endpointCount: (source: ServiceEndpointSource, cluster?: string) => {
        if (source.podSelector) podNamespace = source.namespace;
        return this.clusters.countServiceEndpoints(source.serviceKey, source.portName, source.podSelector, cluster);
      },
    };
    for (const rec of dirty) {
      rec.dirty = false;
      const obj = rec.obj;
      const kindReporter = rec.reporter;
      const prevReport = rec.report;
      const prevDeps = rec.deps;
      const prevServices = rec.services;
      const prevPodNamespace = rec.podNamespace;
      if (obj && kindReporter) {
        podNamespace = undefined;
        read.lookups.start();
        read.lookups.slot = rec;
        rec.report = reuse(prevReport, kindReporter.report(obj, ctx));
        rec.deps = read.lookups.deps;
        rec.services = read.lookups.serviceDeps;
        rec.podNamespace = podNamespace;
        // The verdict was this translation's (routes took what they needed): not kept past it.
        rec.memoValue = undefined;
        rec.memoEpoch = 0;
      } else {
        rec.report = undefined;
        rec.deps = NO_DEPS;
        rec.services = NO_DEPS;
        rec.podNamespace = undefined;
      }
      this.relink(rec, prevDeps, prevServices, prevPodNamespace);
      this.dropIfUnused(rec);
      if (prevReport !== rec.report) reportChanges.push([prevReport, rec.report]);
    }
  }

  /** Forgets a record whose object is gone, that no route reads and that has nothing to report. */
  private dropIfUnused(rec: ObjectRecord): void {
    if (rec.obj === undefined && rec.readers === undefined && rec.report === undefined && !rec.dirty && this.records.get(rec.key) === rec) this.records.delete(rec.key);
  }

  private relink(next: ObjectRecord, beforeDeps: readonly string[], beforeServices: readonly string[], beforePodNamespace: string | undefined): void {
    const key = next.key;
    const after = next.deps;
    if (beforeDeps !== after) {
      for (const d of beforeDeps) if (!after.includes(d)) this.byDep.delete(d, key);
      for (const d of after) this.byDep.add(d, key);
    }
    if (beforeServices !== NO_DEPS || next.services !== NO_DEPS) this.services.setReportServices(key, beforeServices, next.services);
    if (beforePodNamespace !== next.podNamespace) {
      if (beforePodNamespace !== undefined) this.byPodNamespace.delete(beforePodNamespace, key);
      if (next.podNamespace !== undefined) this.byPodNamespace.add(next.podNamespace, key);
    }
  }
}

function newRecord(key: string, obj: KubeObject | undefined, reporter: Reporter | undefined): ObjectRecord {
  return {
    key,
    obj,
    memoEpoch: 0,
    memoValue: undefined,
    memoDeps: NO_DEPS,
    memoServices: NO_DEPS,
    report: undefined,
    deps: NO_DEPS,
    services: NO_DEPS,
    podNamespace: undefined,
    readers: undefined,
    dirty: false,
    reporter,
  };
}
