// What differs between two arrays sorted by a string key (the IR's clusters and endpoints are
// sorted by cluster name), with elements compared by identity: the gateway translator hands over
// unchanged IR objects as the same objects, so one walk finds the few that changed.

export interface SortedChanges<T> {
  /** Elements of `before` that `after` does not have (as the same object). */
  readonly removed: readonly T[];
  /** Elements of `after` that `before` does not have. */
  readonly added: readonly T[];
}

export const NO_CHANGES: SortedChanges<never> = { removed: [], added: [] };

/**
 * The changes from `before` to `after`, or undefined when more than `limit` elements changed
 * (rebuilding is then as cheap as patching).
 */
export function sortedChanges<T>(before: readonly T[], after: readonly T[], key: (t: T) => string, limit: number): SortedChanges<T> | undefined {
  const removed: T[] = [];
  const added: T[] = [];
  let i = 0;
  let j = 0;
  while (i < before.length || j < after.length) {
    const x = before[i];
    const y = after[j];
    if (i < before.length && j < after.length && x === y) {
      i++;
      j++;
      continue;
    }
    if (removed.length + added.length >= limit) return undefined;
    if (j >= after.length || (i < before.length && key(x as T) < key(y as T))) {
      removed.push(x as T);
      i++;
    } else if (i >= before.length || key(y as T) < key(x as T)) {
      added.push(y as T);
      j++;
    } else {
      removed.push(x as T);
      added.push(y as T);
      i++;
      j++;
    }
  }
  return { removed, added };
}

/** The element whose key is `name` in an array sorted by key, if any. */
export function findSorted<T>(items: readonly T[], key: (t: T) => string, name: string): T | undefined {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const k = key(items[mid] as T);
    if (k < name) lo = mid + 1;
    else if (k > name) hi = mid;
    else return items[mid];
  }
  return undefined;
}
