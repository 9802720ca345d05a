// The latest state of every watched object, as immutable stripped objects, plus the lookups the
// control plane needs. Identity is the change signal downstream (the translator memoises on it):
// a changed object is a new object, an unchanged one (same resourceVersion) keeps its identity
// across relists, and a kind's list (and any index answer) is the same array until that kind
// changes.
import { objectKey, type KindRef } from './kinds.js';
import type { KubeObjectLike } from './objects.js';
import type { WatchEvent } from './resilient-watch.js';

/** A kind is named by its `kind` (e.g. 'Gateway'); a KindRef is accepted wherever a name is. */
export type KindArg = KindRef | string;

/**
 * The store's snapshot: one array per field (the caller names the kind of each), plus `others`,
 * every object of the "other" kinds in one array. Callers pass their richer snapshot type as the
 * type argument of `toSnapshot`.
 */
export type StoreSnapshot = { readonly [field: string]: readonly KubeObjectLike[] | undefined } & {
  readonly others?: readonly KubeObjectLike[];
};

export type ChangeListener = (kinds: ReadonlySet<string>) => void;

export interface ObjectStoreOptions {
  /** Snapshot field → the kind whose objects it holds. */
  readonly snapshotFields?: Readonly<Record<string, string>>;
  /** Kinds whose objects `toSnapshot` puts together in `others`. */
  readonly otherKinds?: readonly string[];
}

function kindName(kind: KindArg): string {
  return typeof kind === 'string' ? kind : kind.kind;
}

function keyOf(obj: KubeObjectLike): string {
  return objectKey(obj.metadata.namespace, obj.metadata.name);
}

function byKey(a: [string, KubeObjectLike], b: [string, KubeObjectLike]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

function sortedValues(entries: Iterable<[string, KubeObjectLike]>): readonly KubeObjectLike[] {
  return Object.freeze([...entries].sort(byKey).map((e) => e[1]));
}

/** Whether `next` is the same state as `prev`: same resourceVersion, or equal when there is none. */
export function sameObjectVersion(prev: KubeObjectLike, next: KubeObjectLike): boolean {
  if (prev === next) return true;
  const a = prev.metadata.resourceVersion;
  const b = next.metadata.resourceVersion;
  if (a !== undefined && b !== undefined) return a === b;
  return deepEqual(prev, next);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  for (const k of ka) if (!Object.prototype.hasOwnProperty.call(rb, k) || !deepEqual(ra[k], rb[k])) return false;
  return true;
}

/** Objects of one kind grouped by derived keys; each group's array stays stable until it changes. */
class Index {
  private readonly keysByObject = new Map<string, readonly string[]>();
  private readonly groups = new Map<string, Map<string, KubeObjectLike>>();
  private readonly arrays = new Map<string, readonly KubeObjectLike[]>();

  constructor(private readonly keysOf: (obj: KubeObjectLike) => readonly string[]) {}

  /** Records `obj` under `key` (undefined: removed). */
  put(key: string, obj: KubeObjectLike | undefined): void {
    for (const k of this.keysByObject.get(key) ?? []) {
      const group = this.groups.get(k);
      group?.delete(key);
      if (group?.size === 0) this.groups.delete(k);
      this.arrays.delete(k);
    }
    if (obj === undefined) {
      this.keysByObject.delete(key);
      return;
    }
    const keys = [...new Set(this.keysOf(obj))];
    this.keysByObject.set(key, keys);
    for (const k of keys) {
      let group = this.groups.get(k);
      if (!group) this.groups.set(k, (group = new Map()));
      group.set(key, obj);
      this.arrays.delete(k);
    }
  }

  get(indexKey: string): readonly KubeObjectLike[] {
    let arr = this.arrays.get(indexKey);
    if (!arr) {
      const group = this.groups.get(indexKey);
      arr = group ? sortedValues(group) : EMPTY;
      this.arrays.set(indexKey, arr);
    }
    return arr;
  }
}

const EMPTY: readonly KubeObjectLike[] = Object.freeze([]);

class KindBucket {
  readonly objects = new Map<string, KubeObjectLike>();
  readonly indexes = new Map<string, Index>();
  version = 0;
  sorted: readonly KubeObjectLike[] | undefined;

  set(key: string, obj: KubeObjectLike | undefined): void {
    if (obj === undefined) this.objects.delete(key);
    else this.objects.set(key, obj);
    for (const index of this.indexes.values()) index.put(key, obj);
  }
}

export class ObjectStore {
  private readonly buckets = new Map<string, KindBucket>();
  private readonly listeners = new Set<ChangeListener>();
  private readonly snapshotFields: readonly (readonly [field: string, kind: string])[];
  private readonly otherKinds: readonly string[];
  private batchDepth = 0;
  private pending = new Set<string>();
  private snapshot: { versions: number[]; value: StoreSnapshot } | undefined;

  constructor(opts: ObjectStoreOptions = {}) {
    this.snapshotFields = Object.entries(opts.snapshotFields ?? {});
    this.otherKinds = opts.otherKinds ?? [];
  }

  /**
   * Applies a watch event; returns whether anything changed. ADDED/MODIFIED with the
   * resourceVersion already held are no-ops (the held object keeps its identity); RESYNC replaces
   * the kind's whole set, keeping the identity of every object whose resourceVersion is unchanged.
   * `namespace` scopes a RESYNC to one namespace (the source watched only that one): objects of
   * other namespaces are left alone.
   */
  apply(kind: KindArg, event: WatchEvent<KubeObjectLike>, namespace?: string): boolean {
    const name = kindName(kind);
    const b = this.bucket(name);
    let changed = false;
    switch (event.type) {
      case 'ADDED':
      case 'MODIFIED':
        if (event.object) changed = this.upsert(b, event.object);
        break;
      case 'DELETED':
        if (event.object) {
          const key = keyOf(event.object);
          if (b.objects.has(key)) {
            b.set(key, undefined);
            changed = true;
          }
        }
        break;
      case 'RESYNC': {
        const seen = new Set<string>();
        for (const obj of event.objects ?? []) {
          seen.add(keyOf(obj));
          if (this.upsert(b, obj)) changed = true;
        }
        for (const [key, obj] of [...b.objects]) {
          if (seen.has(key) || (namespace !== undefined && obj.metadata.namespace !== namespace)) continue;
          b.set(key, undefined);
          changed = true;
        }
        break;
      }
    }
    if (changed) {
      b.version++;
      b.sorted = undefined;
      this.changed(name);
    }
    return changed;
  }

  /** Runs `fn`; change notifications raised inside are delivered once, together, at the end. */
  batch<R>(fn: () => R): R {
    this.batchDepth++;
    try {
      return fn();
    } finally {
      this.batchDepth--;
      if (this.batchDepth === 0) this.flush();
    }
  }

  /**
   * Feeds a watch's events into this store; returns the disconnection. One watch per kind and
   * namespace: a RESYNC replaces everything the watch covers.
   */
  connect(watch: {
    readonly kind: KindRef;
    readonly namespace?: string | undefined;
    onEvent(cb: (e: WatchEvent<KubeObjectLike>) => void): () => void;
  }): () => void {
    return watch.onEvent((e) => this.apply(watch.kind, e, watch.namespace));
  }

  /** Called after every change with the kinds that changed (synchronously, or at a batch's end). */
  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get<T extends KubeObjectLike = KubeObjectLike>(kind: KindArg, namespace: string | undefined, name: string): T | undefined {
    return this.buckets.get(kindName(kind))?.objects.get(objectKey(namespace, name)) as T | undefined;
  }

  /** Every object of the kind, ordered by namespace/name; the same array until the kind changes. */
  list<T extends KubeObjectLike = KubeObjectLike>(kind: KindArg): readonly T[] {
    const b = this.buckets.get(kindName(kind));
    if (!b) return EMPTY as readonly T[];
    if (!b.sorted) b.sorted = sortedValues(b.objects);
    return b.sorted as readonly T[];
  }

  /**
   * Every object of the kind in no particular order, without sorting: for scans whose order does
   * not matter, run often while the kind keeps changing (where `list` would sort it each time).
   */
  values<T extends KubeObjectLike = KubeObjectLike>(kind: KindArg): Iterable<T> {
    return (this.buckets.get(kindName(kind))?.objects.values() ?? EMPTY) as Iterable<T>;
  }

  size(kind: KindArg): number {
    return this.buckets.get(kindName(kind))?.objects.size ?? 0;
  }

  /** Bumped on every change of the kind; 0 while it never held anything. */
  version(kind: KindArg): number {
    return this.buckets.get(kindName(kind))?.version ?? 0;
  }

  /**
   * Declares an index: `keysOf` names the groups an object belongs to. Idempotent by name (the
   * first definition stays). Built from the current content, then maintained on every change.
   */
  addIndex(kind: KindArg, indexName: string, keysOf: (obj: KubeObjectLike) => readonly string[]): void {
    const b = this.bucket(kindName(kind));
    if (b.indexes.has(indexName)) return;
    const index = new Index(keysOf);
    for (const [key, obj] of b.objects) index.put(key, obj);
    b.indexes.set(indexName, index);
  }

  /** The objects of a group of a declared index, ordered by namespace/name; stable until it changes. */
  byIndex<T extends KubeObjectLike = KubeObjectLike>(kind: KindArg, indexName: string, key: string): readonly T[] {
    const index = this.buckets.get(kindName(kind))?.indexes.get(indexName);
    if (!index) throw new Error(`no index ${indexName} on ${kindName(kind)}`);
    return index.get(key) as readonly T[];
  }

  /** The objects of a kind in one namespace. */
  inNamespace<T extends KubeObjectLike = KubeObjectLike>(kind: KindArg, namespace: string): readonly T[] {
    this.addIndex(kind, 'namespace', (o) => (o.metadata.namespace ? [o.metadata.namespace] : []));
    return this.byIndex<T>(kind, 'namespace', namespace);
  }

  /**
   * The translator's input: one array per kind. Each array, and the snapshot object itself, are
   * the same as last time when their kinds did not change.
   */
  toSnapshot<S extends StoreSnapshot = StoreSnapshot>(): S {
    const fields = this.snapshotFields;
    const kinds = [...fields.map(([, kind]) => kind), ...this.otherKinds];
    const versions = kinds.map((k) => this.version(k));
    const prev = this.snapshot;
    if (prev && prev.versions.every((v, i) => v === versions[i])) return prev.value as S;
    const value: Record<string, readonly KubeObjectLike[]> = {};
    for (const [field, kind] of fields) value[field] = this.list(kind);
    if (this.otherKinds.length > 0) {
      const otherVersions = versions.slice(fields.length);
      const prevOthers = prev?.value.others;
      const othersUnchanged = prev && prevOthers && otherVersions.every((v, i) => v === prev.versions[fields.length + i]);
      value['others'] = othersUnchanged ? prevOthers : Object.freeze(this.otherKinds.flatMap((k) => this.list(k)));
    }
    const snapshot = Object.freeze(value) as StoreSnapshot;
    this.snapshot = { versions, value: snapshot };
    return snapshot as S;
  }

  // ---- internals ------------------------------------------------------------------------------

  private bucket(name: string): KindBucket {
    let b = this.buckets.get(name);
    if (!b) this.buckets.set(name, (b = new KindBucket()));
    return b;
  }

  private upsert(b: KindBucket, obj: KubeObjectLike): boolean {
    const key = keyOf(obj);
    const prev = b.objects.get(key);
    if (prev && sameObjectVersion(prev, obj)) return false;
    b.set(key, obj);
    return true;
  }

  private changed(kind: string): void {
    this.pending.add(kind);
    if (this.batchDepth === 0) this.flush();
  }

  private flush(): void {
    if (this.pending.size === 0) return;
    const kinds = this.pending;
    this.pending = new Set();
    for (const listener of this.listeners) listener(kinds);
  }
}
