// The per-Gateway snapshot cache: the latest XdsSnapshot of each Gateway, a version that only goes
// up, and a short log of which resource names changed, so a stream that is a few versions behind
// can catch up by looking at what changed instead of at everything (delta xDS stays O(change)).

import { TypeUrl, type ResourceSet, type XdsSnapshot } from '../resources.js';
import { diffSnapshots, type ChangeHint, type SnapshotChanges, changeHintToChanges, mergeChanges } from './changes.js';

export interface CachedSnapshot {
  readonly gatewayKey: string;
  /** Unique across the cache and increasing with every `set` (of any Gateway). */
  readonly version: number;
  readonly snapshot: XdsSnapshot;
}

/** Called with the new entry after `set`, or `undefined` after `delete`. Must be cheap: runs inside `set`. */
export type SnapshotListener = (entry: CachedSnapshot | undefined) => void;

export interface SnapshotCacheOptions {
  /** How many past changes per Gateway to remember; a stream further behind resyncs in full. */
  readonly changeLogLength?: number;
}

interface ChangeLogEntry {
  readonly fromVersion: number;
  readonly toVersion: number;
  readonly changes: SnapshotChanges;
}

interface GatewayEntry {
  current: CachedSnapshot;
  log: ChangeLogEntry[];
}

/** What `changesSince` answers for one type: the names that may differ, or 'all' when unknown. */
export type TypeChanges = ReadonlySet<string> | 'all';

const NO_NAMES: ReadonlySet<string> = new Set();

export class SnapshotCache {
  private readonly entries = new Map<string, GatewayEntry>();
  private readonly listeners = new Map<string, Set<SnapshotListener>>();
  private readonly changeLogLength: number;
  private lastVersion = 0;

  constructor(options: SnapshotCacheOptions = {}) {
    this.changeLogLength = Math.max(1, options.changeLogLength ?? 64);
  }

  /**
   * Publishes a Gateway's snapshot and returns its version. `hint`, when given, is a promise about
   * what changed since the previous `set` of this Gateway: per type, the names that were added,
   * changed or removed; a type missing from the hint did not change. Without a hint the cache
   * diffs the two snapshots (skipping types whose ResourceSet is the same object).
   */
  set(gatewayKey: string, snapshot: XdsSnapshot, hint?: ChangeHint): number {
    const version = ++this.lastVersion;
    const current: CachedSnapshot = { gatewayKey, version, snapshot };
    const entry = this.entries.get(gatewayKey);
    if (entry === undefined) {
      this.entries.set(gatewayKey, { current, log: [] });
    } else {
      const changes = hint !== undefined ? changeHintToChanges(hint) : diffSnapshots(entry.current.snapshot, snapshot);
      entry.log.push({ fromVersion: entry.current.version, toVersion: version, changes });
      if (entry.log.length > this.changeLogLength) entry.log.shift();
      entry.current = current;
    }
    this.notify(gatewayKey, current);
    return version;
  }

  get(gatewayKey: string): CachedSnapshot | undefined {
    return this.entries.get(gatewayKey)?.current;
  }

  /** Forgets a Gateway. Streams serving it keep their last config and wait for a new `set`. */
  delete(gatewayKey: string): boolean {
    const existed = this.entries.delete(gatewayKey);
    if (existed) this.notify(gatewayKey, undefined);
    return existed;
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  /** Registers a listener for one Gateway; returns the function that removes it. */
  subscribe(gatewayKey: string, listener: SnapshotListener): () => void {
    let set = this.listeners.get(gatewayKey);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(gatewayKey, set);
    }
    set.add(listener);
    return () => {
      const current = this.listeners.get(gatewayKey);
      if (current === undefined) return;
      current.delete(listener);
      if (current.size === 0) this.listeners.delete(gatewayKey);
    };
  }

  /** Number of registered listeners (all Gateways); for leak checks. */
  listenerCount(): number {
    let n = 0;
    for (const set of this.listeners.values()) n += set.size;
    return n;
  }

  /**
   * Names of `typeUrl` that may differ between version `fromVersion` and the current snapshot of
   * the Gateway, or 'all' when the log does not reach back that far (or fromVersion is 0).
   */
  changesSince(gatewayKey: string, fromVersion: number, typeUrl: TypeUrl): TypeChanges {
    const entry = this.entries.get(gatewayKey);
    if (entry === undefined || fromVersion <= 0) return 'all';
    if (fromVersion === entry.current.version) return NO_NAMES;
    const collected: ReadonlySet<string>[] = [];
    for (let i = entry.log.length - 1; i >= 0; i--) {
      const step = entry.log[i]!;
      const names = step.changes[typeUrl];
      if (names !== undefined && names.size > 0) collected.push(names);
      if (step.fromVersion === fromVersion) return mergeChanges(collected);
      if (step.fromVersion < fromVersion) break;
    }
    return 'all';
  }

  private notify(gatewayKey: string, entry: CachedSnapshot | undefined): void {
    const set = this.listeners.get(gatewayKey);
    if (set === undefined) return;
    for (const listener of [...set]) listener(entry);
  }
}

/** An XdsSnapshot with every type present and empty; handy for tests and for a Gateway with nothing. */
export function emptySnapshot(): XdsSnapshot {
  const empty: ResourceSet = new Map();
  return {
    [TypeUrl.Listener]: empty,
    [TypeUrl.RouteConfiguration]: empty,
    [TypeUrl.ScopedRouteConfiguration]: empty,
    [TypeUrl.Cluster]: empty,
    [TypeUrl.ClusterLoadAssignment]: empty,
    [TypeUrl.Secret]: empty,
  };
}
