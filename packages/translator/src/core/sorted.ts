// Copy-on-write updates of arrays kept sorted by a total order. Small batches are applied by
// binary search (O(n) copy, O(log n) compares each); large batches fall back to filter + sort,
// which is what a full translation does. Elements are compared by identity for removal.
import type { KubeObject } from '@gantry/api';

export type Compare<T> = (a: T, b: T) => number;

/** Oldest object first (creationTimestamp), then by `namespace/name`: the spec's tie-break. */
export function olderFirst(a: KubeObject, b: KubeObject): number {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = `${a.metadata.namespace ?? ''}/${a.metadata.name}`;
  const kb = `${b.metadata.namespace ?? ''}/${b.metadata.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** Older creationTimestamp first, objects without one (from files) after the others; 0 when equal. */
export function compareCreated(a: { readonly metadata: { readonly creationTimestamp?: string } }, b: { readonly metadata: { readonly creationTimestamp?: string } }): number {
  const ca = a.metadata.creationTimestamp ?? '';
  const cb = b.metadata.creationTimestamp ?? '';
  if (ca === cb) return 0;
  if (ca === '') return 1;
  if (cb === '') return -1;
  return ca < cb ? -1 : 1;
}

/** Returns `items` itself when the batch changes nothing. */
export function applySorted<T>(
  items: readonly T[],
  compare: Compare<T>,
  removed: readonly T[],
  added: readonly T[],
  /** Sorts a whole list in place in `compare`'s order (a faster way for large batches). */
  sortAll: (items: T[]) => void = (items) => items.sort(compare),
): readonly T[] {
  if (removed.length === 0 && added.length === 0) return items;
  const batch = removed.length + added.length;
  if (batch > 16 && batch * 8 > items.length) {
    const gone = new Set(removed);
    const out = gone.size > 0 ? items.filter((x) => !gone.has(x)) : items.slice();
    for (const a of added) out.push(a);
    sortAll(out);
    return out;
  }
  const out = items.slice();
  for (const r of removed) {
    const i = indexOf(out, compare, r);
    if (i >= 0) out.splice(i, 1);
  }
  for (const a of added) out.splice(lowerBound(out, compare, a), 0, a);
  return out;
}

/** Position of `x` (by identity), or -1. */
export function indexOf<T>(items: readonly T[], compare: Compare<T>, x: T): number {
  let i = lowerBound(items, compare, x);
  for (; i < items.length && compare(items[i] as T, x) === 0; i++) {
    if (items[i] === x) return i;
  }
  // Not where the order says: fall back to a scan (only if a caller broke the total order).
  return items.indexOf(x);
}

/** First index whose element is not less than `x`. */
export function lowerBound<T>(items: readonly T[], compare: Compare<T>, x: T): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compare(items[mid] as T, x) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
