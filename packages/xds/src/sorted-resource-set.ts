// A ResourceSet kept as an array sorted by name. Clusters and endpoints come by the ten thousand
// and change a few at a time: a new version of the set is an array copy plus a splice per change
// (microseconds), where rebuilding a Map of 10,000 entries takes a millisecond or more. Lookups
// are binary searches; iteration is in name order, whatever the history of edits.
import type { EncodedResource, ResourceSet } from './resources.js';

export class SortedResourceSet implements ResourceSet {
  /**
   * `items` must be sorted by name, without duplicates; it is kept, not copied. A set made by
   * `with` remembers the set it was made from and the names it touched, so that comparing the two
   * (changedNames) costs what changed, not a walk of every entry.
   */
  private constructor(
    private readonly items: readonly EncodedResource[],
    private readonly base?: SortedResourceSet,
    private readonly touched?: readonly string[],
  ) {}

  /** From resources in any order; a later resource of the same name replaces an earlier one. */
  static of(resources: readonly EncodedResource[]): SortedResourceSet {
    if (isStrictlySorted(resources)) return new SortedResourceSet(resources);
    const byName = new Map<string, EncodedResource>();
    for (const r of resources) byName.set(r.name, r);
    return new SortedResourceSet([...byName.values()].sort((a, b) => compareNames(a.name, b.name)));
  }

  get size(): number {
    return this.items.length;
  }

  get(name: string): EncodedResource | undefined {
    const i = this.indexOf(name);
    return i >= 0 ? this.items[i] : undefined;
  }

  has(name: string): boolean {
    return this.indexOf(name) >= 0;
  }

  /**
   * This set with `removed` names taken out and `upserts` put in (replacing a resource of the same
   * name). Returns this set itself when nothing changes.
   */
  with(removed: Iterable<string>, upserts: Iterable<EncodedResource>): SortedResourceSet {
    let out: EncodedResource[] | undefined;
    const touched: string[] = [];
    for (const name of removed) {
      const list = out ?? this.items;
      const i = search(list, name);
      if (i < 0) continue;
      out ??= this.items.slice();
      out.splice(i, 1);
      touched.push(name);
    }
    for (const r of upserts) {
      const list = out ?? this.items;
      const i = search(list, r.name);
      if (i >= 0 && list[i] === r) continue;
      out ??= this.items.slice();
      if (i >= 0) out[i] = r;
      else out.splice(-i - 1, 0, r);
      touched.push(r.name);
    }
    // Only the step from `this` is remembered (not a chain): `this` is released with the next step.
    return out === undefined ? this : new SortedResourceSet(out, this.base === undefined ? this : new SortedResourceSet(this.items), touched);
  }

  /** Names whose resource differs between two sorted sets (added, removed or replaced), in one walk. */
  static changedNames(before: SortedResourceSet, after: SortedResourceSet): Set<string> {
    const changed = new Set<string>();
    if (before === after) return changed;
    if (after.base !== undefined && after.touched !== undefined && after.base.items === before.items) {
      // `after` was made from `before` by `with`: only the names it touched can differ.
      for (const name of after.touched) {
        const x = before.get(name);
        const y = after.get(name);
        if (x === y) continue;
        if (x === undefined || y === undefined || x.version !== y.version) changed.add(name);
      }
      return changed;
    }
    const a = before.items;
    const b = after.items;
    let i = 0;
    let j = 0;
    while (i < a.length || j < b.length) {
      const x = a[i];
      const y = b[j];
      if (x !== undefined && x === y) {
        i++;
        j++;
      } else if (y === undefined || (x !== undefined && x.name < y.name)) {
        changed.add(x!.name);
        i++;
      } else if (x === undefined || y.name < x.name) {
        changed.add(y.name);
        j++;
      } else {
        if (x.version !== y.version) changed.add(y.name);
        i++;
        j++;
      }
    }
    return changed;
  }

  forEach(callback: (value: EncodedResource, key: string, map: ResourceSet) => void, thisArg?: unknown): void {
    for (const r of this.items) callback.call(thisArg, r, r.name, this);
  }

  *entries(): MapIterator<[string, EncodedResource]> {
    for (const r of this.items) yield [r.name, r];
  }

  *keys(): MapIterator<string> {
    for (const r of this.items) yield r.name;
  }

  *values(): MapIterator<EncodedResource> {
    yield* this.items;
  }

  [Symbol.iterator](): MapIterator<[string, EncodedResource]> {
    return this.entries();
  }

  private indexOf(name: string): number {
    return search(this.items, name);
  }
}

/** The index of `name`, or -(insertion point) - 1 when absent. */
function search(items: readonly EncodedResource[], name: string): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const n = (items[mid] as EncodedResource).name;
    if (n < name) lo = mid + 1;
    else if (n > name) hi = mid;
    else return mid;
  }
  return -lo - 1;
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isStrictlySorted(items: readonly EncodedResource[]): boolean {
  for (let i = 1; i < items.length; i++) if (!((items[i - 1] as EncodedResource).name < (items[i] as EncodedResource).name)) return false;
  return true;
}
