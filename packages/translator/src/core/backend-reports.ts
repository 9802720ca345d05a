// Statuses of the backend objects of ours that carry one (Upstreams): every object is judged,
// whether a route uses it or not, and judged again only when something it read changed: itself,
// a dependency key (ReferenceGrants, ...), its Service (the object or its EndpointSlices), or Pod
// labels in its Service's namespace when it selects Pods.
import type { KubeObject } from '@gantry/api';
import type { BackendResolver, BackendStatusContext, ServiceEndpointSource } from '../backends/backend.js';
import type { StatusReport } from '../status/reports.js';
import type { ClusterTable } from './cluster-table.js';
import { reuse } from './equality.js';
import { StringMultiMap } from './multimap.js';
import type { RecordingLookups } from './recording-lookups.js';
import type { ServiceIndex } from './service-index.js';

interface ReportRecord {
  readonly report: StatusReport;
  readonly deps: readonly string[];
  readonly services: readonly string[];
  /** The namespace whose Pod labels the count depends on (a pod selector). */
  readonly podNamespace: string | undefined;
}

type Reporter = Required<Pick<BackendResolver, 'report'>>;

const NO_DEPS: readonly string[] = [];

export class BackendReports {
  private readonly records = new Map<string, ReportRecord>();
  private readonly byDep = new StringMultiMap();
  private readonly byPodNamespace = new StringMultiMap();
  /**
   * Object keys (`group/kind/namespace/name`) to judge in the next pass, with the object when the
   * input diff handed it over (undefined: look it up), which spares a keyed lookup per object.
   */
  private readonly dirty = new Map<string, KubeObject | undefined>();

  /** `reporters`: keyed `group/kind`, the backend kinds that report a status. */
  constructor(
    private readonly reporters: ReadonlyMap<string, Reporter>,
    private readonly services: ServiceIndex,
    private readonly clusters: ClusterTable,
  ) {}

  /** An object of another kind changed (`groupKind`: `group/kind`; `key`: its full key). */
  objectChanged(groupKind: string, key: string, after: KubeObject | undefined): void {
    if (this.reporters.has(groupKind)) this.dirty.set(key, after);
  }

  /**
   * Judges the objects that need it; `changed`: dependency keys that changed; `services`:
   * Services whose object or endpoints changed; `podNamespaces`: where Pod labels changed.
   */
  judge(
    changed: ReadonlySet<string>,
    services: ReadonlySet<string>,
    podNamespaces: ReadonlySet<string>,
    read: { readonly object: (key: string) => KubeObject | undefined; readonly lookups: RecordingLookups; readonly installNamespace: string },
    reportChanges: [StatusReport | undefined, StatusReport | undefined][],
  ): void {
    const mark = (k: string): void => {
      if (!this.dirty.has(k)) this.dirty.set(k, undefined);
    };
    for (const dep of changed) this.byDep.forEach(dep, mark);
    for (const svc of services) for (const k of this.services.reportsReading(svc)) mark(k);
    for (const ns of podNamespaces) this.byPodNamespace.forEach(ns, mark);
    if (this.dirty.size === 0) return;
    let podNamespace: string | undefined;
    const ctx: BackendStatusContext = {
      lookups: read.lookups,
      installNamespace: read.installNamespace,
      endpointCount: (source: ServiceEndpointSource, cluster?: string) => {
        if (source.podSelector) podNamespace = source.namespace;
        return this.clusters.countServiceEndpoints(source.serviceKey, source.portName, source.podSelector, cluster);
      },
    };
    // Keys of a kind come together: its reporter is looked up once per run of them.
    let prefix = '';
    let kindReporter: Reporter | undefined;
    for (const [key, known] of this.dirty) {
      const prev = this.records.get(key);
      const obj = known ?? read.object(key);
      if (prefix === '' || !key.startsWith(prefix)) {
        const groupKind = key.slice(0, key.indexOf('/', key.indexOf('/') + 1));
        prefix = `${groupKind}/`;
        kindReporter = this.reporters.get(groupKind);
      }
      const reporter = obj && kindReporter;
      let next: ReportRecord | undefined;
      if (obj && reporter) {
        podNamespace = undefined;
        read.lookups.start();
        const report = reuse(prev?.report, reporter.report(obj, ctx));
        next = { report, deps: read.lookups.deps, services: read.lookups.serviceDeps, podNamespace };
        this.records.set(key, next);
      } else this.records.delete(key);
      this.relink(key, prev, next);
      if (prev?.report !== next?.report) reportChanges.push([prev?.report, next?.report]);
    }
    this.dirty.clear();
  }

  private relink(key: string, prev: ReportRecord | undefined, next: ReportRecord | undefined): void {
    const before = prev?.deps ?? NO_DEPS;
    const after = next?.deps ?? NO_DEPS;
    for (const d of before) if (!after.includes(d)) this.byDep.delete(d, key);
    for (const d of after) this.byDep.add(d, key);
    this.services.setReportServices(key, prev?.services ?? NO_DEPS, next?.services ?? NO_DEPS);
    if (prev?.podNamespace !== next?.podNamespace) {
      if (prev?.podNamespace !== undefined) this.byPodNamespace.delete(prev.podNamespace, key);
      if (next?.podNamespace !== undefined) this.byPodNamespace.add(next.podNamespace, key);
    }
  }
}
