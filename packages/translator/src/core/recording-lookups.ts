// The Lookups the translator hands to every judge and route translation: reads go to the
// translator's indexes and are recorded as dependencies, so a later change re-translates exactly
// what read it.
import type { KubeObject, LabelSelector, ReferenceGrant, Secret, Service } from '@gantry/api';
import type { GatewayAttachment } from '../gateway/model.js';
import type { RecordedDeps } from '../routes/route-translation.js';
import { Dep, type Lookups, type RemoteClusterState } from './lookups.js';
import { exact, NamespacedKeys } from './memory.js';
import { targetKey, type ObjectQueries, type Target } from './object-queries.js';

const NO_DEPS: readonly string[] = [];
/** `Dep.objectKey(key)` is the key behind this prefix. */
const OBJ_DEP_PREFIX_LENGTH = Dep.objectKey('').length;

/**
 * The long-lived record of an object of a kind that reports its own status (an Upstream; see
 * backend-reports.ts), kept from when the object (or a route asking for it) appears until both are
 * gone. A read of such an object records the record's own key (`group/kind/namespace/name`, a
 * string kept once) as its dependency, and the per-translation memo of its verdict lives here:
 * no per-translation Map keyed by these objects.
 */
export interface TrackedObject {
  /** `group/kind/namespace/name`; also the dependency key of a read of it. */
  readonly key: string;
  /** The object now (undefined: absent; the record lives on while routes ask for it). */
  readonly obj: KubeObject | undefined;
  /** The translation (RecordingLookups' epoch) of the memo below; it is stale in any other. */
  memoEpoch: number;
  memoValue: unknown;
  memoDeps: readonly string[];
  memoServices: readonly string[];
}

/** Where the recorder reads from: the translator's indexes. */
export interface Reads {
  gateway(key: string): GatewayAttachment | undefined;
  service(key: string): Service | undefined;
  secret(key: string): Secret | undefined;
  labels(name: string): Readonly<Record<string, string>>;
  grants(namespace: string): readonly ReferenceGrant[];
  other(key: string): KubeObject | undefined;
  /** Whether the objects of `group/kind` have records (kinds that report a status). */
  tracks(groupKind: string): boolean;
  /** The record of such an object (made when absent, for an object that does not exist). */
  tracked(key: string): TrackedObject;
  queries: ObjectQueries;
  remoteClusters(): readonly RemoteClusterState[];
  objectsOf(groupKind: string): readonly KubeObject[];
}

/** The query group of a cluster's Services: '' (core) for the local cluster, `@name` for a remote one. */
export function serviceQueryGroup(cluster: string): string {
  return cluster === 'local' ? '' : `@${cluster}`;
}

/** A memoised result and what computing it read. */
interface Computed<T> {
  readonly value: T;
  readonly deps: readonly string[];
  readonly services: readonly string[];
}

/**
 * One reusable Lookups object, restarted for each translation. It records what was read: plain
 * Service keys apart (nearly every route reads one), everything else as dependency keys. Reads of
 * Gateways are not recorded (see routesReferencing).
 */
export class RecordingLookups implements Lookups, RecordedDeps {
  private depList: string[] = NO_DEPS as string[];
  private serviceList: string[] = NO_DEPS as string[];
  /** When set, dependency keys also go here (the Gateway and class judges use this). */
  keep: string[] | undefined;
  constructor(private readonly read: Reads) {}

  /** Restarts recording (the lists stay the shared empty array until something is read). */
  start(): this {
    this.depList = NO_DEPS as string[];
    this.serviceList = NO_DEPS as string[];
    this.keep = undefined;
    return this;
  }

  get deps(): readonly string[] {
    return this.depList.length <= 1 ? this.depList : exact(this.depList);
  }

  get serviceDeps(): readonly string[] {
    return this.serviceList.length <= 1 ? this.serviceList : exact(this.serviceList);
  }

  // A one-element list is never pushed to (a second element makes a new list), so memo hits can
  // hand theirs to every caller instead of each caller building its own: see memo.
  private record(dep: string): void {
    const list = this.depList;
    if (list === NO_DEPS) this.depList = [dep];
    else if (!list.includes(dep)) {
      if (list.length === 1) this.depList = [list[0] as string, dep];
      else list.push(dep);
    }
    if (this.keep && !this.keep.includes(dep)) this.keep.push(dep);
  }

  private recordService(key: string): void {
    const list = this.serviceList;
    if (list === NO_DEPS) this.serviceList = [key];
    else if (!list.includes(key)) {
      if (list.length === 1) this.serviceList = [list[0] as string, key];
      else list.push(key);
    }
  }
  gateway(namespace: string, name: string): GatewayAttachment | undefined {
    // Most routes name the same few Gateways: skip building the key for a repeat.
    if (namespace === this.lastGateway.namespace && name === this.lastGateway.name) return this.lastGateway.value;
    const value = this.read.gateway(`${namespace}/${name}`);
    this.lastGateway = { namespace, name, value };
    return value;
  }
  private lastGateway: { namespace: string; name: string; value: GatewayAttachment | undefined } = { namespace: '', name: '', value: undefined };
  /** Forget memoised reads (Gateway contexts change between translation steps). */
  invalidate(): void {
    this.lastGateway = { namespace: '', name: '', value: undefined };
    if (this.computed.size > 0) this.computed = new Map();
    this.epoch++;
    this.slot = undefined;
  }

  /** Counts invalidations: a record's memo is valid in the epoch it was computed in. */
  private epoch = 1;
  /**
   * The record of the tracked object read last (object() sets it; the status judge sets it to the
   * object it judges): memo() of that object keeps its result in the record instead of a Map.
   */
  slot: TrackedObject | undefined;

  /**
   * Results computed during this translation, with what they read (see memo). A Map, not a
   * WeakMap: it is dropped whole by invalidate, and a Map's lookups are cheaper.
   */
  private computed = new Map<object, Computed<unknown>>();

  /**
   * `compute()` once per translation for `key` (an input object: inputs do not change within a
   * translation), its reads recorded again for every caller, as if each had computed it.
   */
  memo<T>(key: object, compute: () => T): T;
  memo<K extends object, A, T>(key: K, compute: (key: K, arg: A) => T, arg: A): T;
  memo<K extends object, A, T>(key: K, compute: (key: K, arg: A) => T, arg?: A): T {
    const slot = this.slot;
    if (slot !== undefined && slot.obj === key) return this.slotMemo(slot, key, compute, arg as A);
    let hit = this.computed.get(key);
    if (!hit) {
      const value = this.computeApart(key, compute, arg as A);
      hit = { value, deps: this.apartDeps, services: this.apartServices };
      this.computed.set(key, hit);
    }
    this.replay(hit.deps, hit.services);
    return hit.value as T;
  }
  /** memo() of a tracked object, its result kept in the object's record. */
  private slotMemo<K extends object, A, T>(slot: TrackedObject, key: K, compute: (key: K, arg: A) => T, arg: A): T {
    if (slot.memoEpoch !== this.epoch) {
      try {
        slot.memoValue = this.computeApart(key, compute, arg);
      } finally {
        // compute() may have read other tracked objects: the slot is this one's again.
        this.slot = slot;
      }
      slot.memoDeps = this.apartDeps;
      slot.memoServices = this.apartServices;
      slot.memoEpoch = this.epoch;
    }
    this.replay(slot.memoDeps, slot.memoServices);
    return slot.memoValue as T;
  }
  /** What the last computeApart read (no object per computation: every Upstream is judged on every full translation). */
  private apartDeps: readonly string[] = NO_DEPS;
  private apartServices: readonly string[] = NO_DEPS;
  /**
   * `compute()` with its reads collected in lists of its own (apartDeps, apartServices), the
   * caller's lists left as they were.
   */
  private computeApart<K extends object, A, T>(key: K, compute: (key: K, arg: A) => T, arg: A): T {
    const outerDeps = this.depList;
    const outerServices = this.serviceList;
    const outerKeep = this.keep;
    this.depList = NO_DEPS as string[];
    this.serviceList = NO_DEPS as string[];
    this.keep = undefined;
    try {
      const value = compute(key, arg);
      this.apartDeps = this.depList;
      this.apartServices = this.serviceList;
      return value;
    } finally {
      this.depList = outerDeps;
      this.serviceList = outerServices;
      this.keep = outerKeep;
    }
  }
  /** Records a memoised result's reads for the current caller, as if it had computed it. */
  private replay(deps: readonly string[], services: readonly string[]): void {
    // Into empty lists (the usual case: an Upstream's status, a route's only backend) one-element
    // lists are shared rather than copied.
    if (deps.length === 1 && this.depList === NO_DEPS && this.keep === undefined) this.depList = deps as string[];
    else for (const d of deps) this.record(d);
    if (services.length === 1 && this.serviceList === NO_DEPS) this.serviceList = services as string[];
    else for (const svc of services) this.recordService(svc);
  }
  service(namespace: string, name: string, key = `${namespace}/${name}`): Service | undefined {
    this.recordService(key);
    return this.read.service(key);
  }
  secret(namespace: string, name: string): Secret | undefined {
    const key = `${namespace}/${name}`;
    this.record(Dep.secret(key));
    return this.read.secret(key);
  }
  namespaceLabels(name: string): Readonly<Record<string, string>> {
    this.record(Dep.namespace(name));
    return this.read.labels(name);
  }
  referenceGrants(namespace: string): readonly ReferenceGrant[] {
    this.record(Dep.grants(namespace));
    return this.read.grants(namespace);
  }
  object(group: string, kind: string, namespace: string, name: string): KubeObject | undefined {
    // A kind's keys (record keys, or dependency keys for kinds without records) are set up once per kind.
    let prefix = this.kindPrefix;
    if (prefix.group !== group || prefix.kind !== kind) {
      const key = `${group}/${kind}/`;
      const tracked = this.read.tracks(`${group}/${kind}`);
      prefix = this.kindPrefix = { group, kind, keys: new NamespacedKeys(tracked ? key : Dep.objectKey(key)), tracked };
    }
    if (prefix.tracked) {
      // A kind with records: the record's key is the dependency (no string kept per read), and the
      // record is where memo() of the object keeps its result.
      const rec = this.read.tracked(prefix.keys.key(namespace, name));
      this.record(rec.key);
      this.slot = rec;
      return rec.obj;
    }
    // One string per lookup: the dependency key, flat; the object key is its tail (a slice of a
    // flat string shares its characters and is hashed as is). Building the key separately cost a
    // second join and, on the lookup, a flattening copy, for every route to an Upstream.
    const dep = prefix.keys.key(namespace, name);
    this.record(dep);
    return this.read.other(dep.slice(OBJ_DEP_PREFIX_LENGTH));
  }
  private kindPrefix = { group: '', kind: '', keys: new NamespacedKeys(''), tracked: false };
  select(group: string, kind: string, namespace: string, selector: LabelSelector): readonly KubeObject[] {
    this.record(Dep.selection(group, kind, namespace));
    return this.read.queries.select(group, kind, namespace, selector);
  }
  selectServices(cluster: string, namespace: string, selector: LabelSelector): readonly Service[] {
    return this.select(serviceQueryGroup(cluster), 'Service', namespace, selector) as readonly Service[];
  }
  remoteClusters(): readonly RemoteClusterState[] {
    this.record(Dep.remoteClusters());
    return this.read.remoteClusters();
  }
  objectsOf(group: string, kind: string): readonly KubeObject[] {
    this.record(Dep.kind(group, kind));
    return this.read.objectsOf(`${group}/${kind}`);
  }
  targeting(policyGroup: string, policyKind: string, target: Target): readonly KubeObject[] {
    this.record(Dep.targeting(policyGroup, policyKind, targetKey(target)));
    return this.read.queries.targeting(policyGroup, policyKind, target);
  }
  policiesNaming(policyGroup: string, policyKind: string, route: Target): readonly KubeObject[] {
    return this.read.queries.targeting(policyGroup, policyKind, route);
  }
}
