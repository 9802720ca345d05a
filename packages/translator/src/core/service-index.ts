// What ties a Service to the rest of a translation: its EndpointSlices, the clusters whose
// endpoints it feeds, the routes that read it, and the objects whose status reads it (Upstreams). Services are the bulk of a cluster's objects,
// so these links are kept per Service in small bags rather than as generic dependency keys.
import { SERVICE_NAME_LABEL, type EndpointSlice, type Snapshot } from '@gantry/api';
import { IdentityIndex } from './identity-index.js';
import { flat } from './memory.js';
import { bagAdd, bagDelete, bagValues, type StringBag } from './multimap.js';

interface Links {
  /** Keys of the EndpointSlices labelled with the Service. */
  slices: StringBag;
  /** Clusters whose endpoints were computed from the Service. */
  clusters: StringBag;
  /** Routes that read the Service. */
  routes: StringBag;
  /** Objects whose status reads the Service or counts its endpoints (other-kind keys). */
  reports: StringBag;
}

type Readers = 'routes' | 'reports';

export class ServiceIndex {
  private readonly slices = new IdentityIndex<EndpointSlice>((o) => flat(`${o.metadata.namespace ?? 'default'}/${o.metadata.name}`));
  private readonly links = new Map<string, Links>();
  /** Remote clusters' EndpointSlices, per cluster (keys `@<cluster>/namespace/name`). */
  private readonly remoteSlices = new Map<string, IdentityIndex<EndpointSlice>>();

  /**
   * A Service changed: the routes that read it must be re-translated (`changedServices`), its
   * clusters refreshed (`dirtyServices`), the statuses that read it redone (`dirtyReports`).
   */
  serviceChanged(serviceKey: string, changedServices: Set<string>, dirtyServices: Set<string>, dirtyReports: Set<string>): void {
    const links = this.links.get(serviceKey);
    if (links?.routes !== undefined) changedServices.add(serviceKey);
    if (links?.clusters !== undefined) dirtyServices.add(serviceKey);
    if (links?.reports !== undefined) dirtyReports.add(serviceKey);
  }

  /**
   * Diffs the EndpointSlices; the Services whose clusters need their endpoints recomputed go to
   * `dirtyServices`, those whose endpoints a status counts to `dirtyReports`.
   */
  updateSlices(s: Snapshot, dirtyServices: Set<string>, dirtyReports: Set<string>): void {
    this.slices.updateEach(s.endpointSlices, (k, before, after) => this.sliceChanged(k, before && serviceOfSlice(before), after && serviceOfSlice(after), dirtyServices, dirtyReports));
  }

  /**
   * The same for a remote cluster's EndpointSlices (an empty list when it is gone): their keys and
   * their Services' keys carry the cluster (`@<cluster>/namespace/name`).
   */
  updateRemoteSlices(cluster: string, slices: readonly EndpointSlice[], dirtyServices: Set<string>, dirtyReports: Set<string>): void {
    let index = this.remoteSlices.get(cluster);
    if (!index) {
      if (slices.length === 0) return;
      const prefix = `@${cluster}/`;
      this.remoteSlices.set(cluster, (index = new IdentityIndex<EndpointSlice>((o) => flat(`${prefix}${o.metadata.namespace ?? 'default'}/${o.metadata.name}`))));
    }
    const prefix = `@${cluster}/`;
    const serviceOf = (slice: EndpointSlice): string | undefined => {
      const own = serviceOfSlice(slice);
      return own === undefined ? undefined : flat(`${prefix}${own}`);
    };
    index.updateEach(slices, (k, before, after) => this.sliceChanged(k, before && serviceOf(before), after && serviceOf(after), dirtyServices, dirtyReports));
    if (slices.length === 0) this.remoteSlices.delete(cluster);
  }

  private sliceChanged(k: string, before: string | undefined, after: string | undefined, dirtyServices: Set<string>, dirtyReports: Set<string>): void {
    if (before !== undefined) {
      const links = this.links.get(before);
      if (links?.clusters !== undefined) dirtyServices.add(before);
      if (links?.reports !== undefined) dirtyReports.add(before);
      if (links && before !== after) {
        links.slices = bagDelete(links.slices, k);
        this.dropIfUnlinked(before, links);
      }
    }
    if (after !== undefined) {
      const links = this.linksOf(after);
      if (links.clusters !== undefined) dirtyServices.add(after);
      if (links.reports !== undefined) dirtyReports.add(after);
      links.slices = bagAdd(links.slices, k);
    }
  }

  private slice(key: string): EndpointSlice | undefined {
    if (key.charCodeAt(0) !== 64 /* @ */) return this.slices.get(key);
    return this.remoteSlices.get(key.slice(1, key.indexOf('/')))?.get(key);
  }

  /** The EndpointSlices of a Service. */
  slicesOf(serviceKey: string): readonly EndpointSlice[] {
    const keys = this.links.get(serviceKey)?.slices;
    // The common case, one slice, without a list of keys.
    if (typeof keys === 'string') {
      const only = this.slice(keys);
      return only ? [only] : NO_SLICES;
    }
    const out: EndpointSlice[] = [];
    for (const k of bagValues(keys)) {
      const s = this.slice(k);
      if (s) out.push(s);
    }
    return out;
  }

  routesReading(serviceKey: string): Iterable<string> {
    return bagValues(this.links.get(serviceKey)?.routes);
  }

  reportsReading(serviceKey: string): Iterable<string> {
    return bagValues(this.links.get(serviceKey)?.reports);
  }

  clustersOf(serviceKey: string): Iterable<string> {
    return bagValues(this.links.get(serviceKey)?.clusters);
  }

  /** Records which Services a route read (before: what it read last time). */
  setRouteServices(route: string, before: readonly string[], after: readonly string[]): void {
    this.setReaders('routes', route, before, after);
  }

  /** Records which Services an object's status read. */
  setReportServices(object: string, before: readonly string[], after: readonly string[]): void {
    this.setReaders('reports', object, before, after);
  }

  private setReaders(field: Readers, reader: string, before: readonly string[], after: readonly string[]): void {
    for (const svc of before) {
      if (after.includes(svc)) continue;
      const links = this.links.get(svc);
      if (!links) continue;
      links[field] = bagDelete(links[field], reader);
      this.dropIfUnlinked(svc, links);
    }
    for (const svc of after) {
      const links = this.linksOf(svc);
      links[field] = bagAdd(links[field], reader);
    }
  }

  /** Records that a cluster's endpoints now come from `to` (undefined: from nothing). */
  moveCluster(name: string, from: string | undefined, to: string | undefined): void {
    if (from === to) return;
    if (from !== undefined) {
      const links = this.links.get(from);
      if (links) {
        links.clusters = bagDelete(links.clusters, name);
        this.dropIfUnlinked(from, links);
      }
    }
    if (to !== undefined) {
      const links = this.linksOf(to);
      links.clusters = bagAdd(links.clusters, name);
    }
  }

  private linksOf(serviceKey: string): Links {
    let links = this.links.get(serviceKey);
    if (!links) this.links.set(serviceKey, (links = { slices: undefined, clusters: undefined, routes: undefined, reports: undefined }));
    return links;
  }

  private dropIfUnlinked(serviceKey: string, links: Links): void {
    if (links.slices === undefined && links.clusters === undefined && links.routes === undefined && links.reports === undefined) this.links.delete(serviceKey);
  }
}

const NO_SLICES: readonly EndpointSlice[] = [];

/** `namespace/name` of the Service an EndpointSlice belongs to (its kubernetes.io/service-name label). */
function serviceOfSlice(slice: EndpointSlice): string | undefined {
  const label = slice.metadata.labels?.[SERVICE_NAME_LABEL];
  return label ? flat(`${slice.metadata.namespace ?? 'default'}/${label}`) : undefined;
}
