// Which resource names changed between two snapshots of one Gateway, per type.

import { TypeUrl, type ResourceSet, type XdsSnapshot } from '../resources.js';
import { SortedResourceSet } from '../sorted-resource-set.js';

/** Per type, the names added, changed or removed. A missing type did not change. */
export type SnapshotChanges = Readonly<Partial<Record<TypeUrl, ReadonlySet<string>>>>;

/** What a producer may pass to `SnapshotCache.set`: per type, the names it touched. */
export type ChangeHint = Readonly<Partial<Record<TypeUrl, Iterable<string>>>>;

const ALL_TYPES: readonly TypeUrl[] = Object.values(TypeUrl);

export function changeHintToChanges(hint: ChangeHint): SnapshotChanges {
  const out: Partial<Record<TypeUrl, ReadonlySet<string>>> = {};
  for (const type of ALL_TYPES) {
    const names = hint[type];
    if (names === undefined) continue;
    const set = new Set<string>(names);
    if (set.size > 0) out[type] = set;
  }
  return out;
}

/** Compares two snapshots; a type whose ResourceSet is the same object is skipped without a look. */
export function diffSnapshots(before: XdsSnapshot, after: XdsSnapshot): SnapshotChanges {
  const out: Partial<Record<TypeUrl, ReadonlySet<string>>> = {};
  for (const type of ALL_TYPES) {
    const names = diffResourceSets(before[type], after[type]);
    if (names.size > 0) out[type] = names;
  }
  return out;
}

export function diffResourceSets(before: ResourceSet | undefined, after: ResourceSet | undefined): Set<string> {
  if (before instanceof SortedResourceSet && after instanceof SortedResourceSet) return SortedResourceSet.changedNames(before, after);
  const changed = new Set<string>();
  if (before === after) return changed;
  if (after !== undefined) {
    for (const [name, resource] of after) {
      const old = before?.get(name);
      if (old === resource) continue;
      if (old === undefined || old.version !== resource.version) changed.add(name);
    }
  }
  if (before !== undefined) {
    for (const name of before.keys()) {
      if (after === undefined || !after.has(name)) changed.add(name);
    }
  }
  return changed;
}

/** The union of several name sets; returns the only one as is when there is one. */
export function mergeChanges(sets: readonly ReadonlySet<string>[]): ReadonlySet<string> {
  if (sets.length === 0) return new Set();
  if (sets.length === 1) return sets[0]!;
  const out = new Set<string>();
  for (const set of sets) for (const name of set) out.add(name);
  return out;
}
