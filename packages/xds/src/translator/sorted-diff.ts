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
  // The common head and tail (the same objects at the same places) in tight loops first: a change
  // of a few elements leaves the keyed walk only the stretch between them.
  const [head, tail] = commonEnds(before, after);
  let i = head;
  let j = head;
  const endBefore = before.length - tail;
  const endAfter = after.length - tail;
  while (i < endBefore || j < endAfter) {
    const x = before[i];
    const y = after[j];
    if (i < endBefore && j < endAfter && x === y) {
      i++;
      j++;
      continue;
    }
    if (removed.length + added.length >= limit) return undefined;
    if (j >= endAfter || (i < endBefore && key(x as T) < key(y as T))) {
      removed.push(x as T);
      i++;
    } else if (i >= endBefore || key(y as T) < key(x as T)) {
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

/** How many leading and trailing elements two arrays share (the same objects at the same places). */
export function commonEnds<T>(a: readonly T[], b: readonly T[]): [number, number] {
  const n = Math.min(a.length, b.length);
  let head = 0;
  while (head < n && a[head] === b[head]) head++;
  let tail = 0;
  const la = a.length - 1;
  const lb = b.length - 1;
  while (tail < n - head && a[la - tail] === b[lb - tail]) tail++;
  return [head, tail];
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
