// Remote clusters' Services and EndpointSlices (Snapshot.remoteClusters), kept in the same
// indexes as the local ones under keys that carry the cluster (`@<cluster>/namespace/name`):
// label-selector queries over a remote cluster's Services are the group `@<cluster>` of the
// ObjectQueries, its EndpointSlices feed the ServiceIndex, so a remote change re-translates and
// refreshes exactly what a local one would. The clusters' names and states are one dependency.
import type { RemoteClusterSnapshot, Service } from '@gantry/api';
import { IdentityIndex } from './identity-index.js';
import { Dep, type RemoteClusterState } from './lookups.js';
import { flat } from './memory.js';
import type { ObjectQueries } from './object-queries.js';
import type { ServiceIndex } from './service-index.js';

interface RemoteRecord {
  readonly services: IdentityIndex<Service>;
  state: RemoteClusterSnapshot['state'];
}

const NO_CLUSTERS: readonly RemoteClusterSnapshot[] = [];
const NO_SERVICES: readonly Service[] = [];

export class RemoteClusters {
  private readonly clusters = new Map<string, RemoteRecord>();
  private states: readonly RemoteClusterState[] = [];
  private last: readonly RemoteClusterSnapshot[] | undefined;

  constructor(
    private readonly queries: ObjectQueries,
    private readonly serviceIndex: ServiceIndex,
  ) {}

  /** The clusters and their states, by name. */
  list(): readonly RemoteClusterState[] {
    return this.states;
  }

  /** Every Service of a remote cluster, keyed `@<cluster>/namespace/name` (for the query index). */
  *servicesOf(cluster: string): IterableIterator<[string, Service]> {
    const rec = this.clusters.get(cluster);
    if (rec) yield* rec.services.entries();
  }

  update(remotes: readonly RemoteClusterSnapshot[] | undefined, changed: Set<string>, dirtyServices: Set<string>, dirtyReports: Set<string>): void {
    const list = remotes ?? NO_CLUSTERS;
    if (list === this.last) return;
    this.last = list;
    const seen = new Set<string>();
    let statesChanged = false;
    for (const rc of list) {
      if (rc.name === 'local' || seen.has(rc.name)) continue;
      seen.add(rc.name);
      let rec = this.clusters.get(rc.name);
      if (!rec) {
        const prefix = `@${rc.name}/`;
        rec = { services: new IdentityIndex<Service>((o) => flat(`${prefix}${o.metadata.namespace ?? 'default'}/${o.metadata.name}`)), state: rc.state };
        this.clusters.set(rc.name, rec);
        statesChanged = true;
      } else if (rec.state !== rc.state) {
        rec.state = rc.state;
        statesChanged = true;
      }
      // An unreachable cluster contributes nothing, whatever its lists still hold.
      const unreachable = rc.state === 'Unreachable';
      this.sync(rc.name, rec, unreachable ? NO_SERVICES : rc.services, unreachable ? [] : rc.endpointSlices, changed, dirtyServices, dirtyReports);
    }
    for (const [name, rec] of [...this.clusters]) {
      if (seen.has(name)) continue;
      this.sync(name, rec, NO_SERVICES, [], changed, dirtyServices, dirtyReports);
      this.clusters.delete(name);
      statesChanged = true;
    }
    if (statesChanged) {
      changed.add(Dep.remoteClusters());
      this.states = [...this.clusters].map(([name, r]) => ({ name, state: r.state })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    }
  }

  private sync(
    name: string,
    rec: RemoteRecord,
    services: readonly Service[],
    slices: RemoteClusterSnapshot['endpointSlices'],
    changed: Set<string>,
    dirtyServices: Set<string>,
    dirtyReports: Set<string>,
  ): void {
    const group = `@${name}`;
    rec.services.updateEach(services, (k, before, after) => this.queries.changed(group, 'Service', k, before, after, changed));
    this.serviceIndex.updateRemoteSlices(name, slices, dirtyServices, dirtyReports);
  }
}
