// Follows one kind of snapshot object across translations and reports which keys changed. Snapshot
// objects are immutable (a change is a new object), so comparing identities is enough; an
// unchanged array is skipped in O(1), a changed one costs one set probe per unchanged object.

export class IdentityIndex<T extends object> {
  private readonly byKey = new Map<string, T>();
  /** The indexed objects, so an unchanged one is recognised without building its key. */
  private readonly current = new Set<T>();
  private shadowed = new Set<T>();
  private lastItems: readonly T[] | undefined;

  constructor(private readonly keyOf: (item: T) => string) {}

  get(key: string): T | undefined {
    return this.byKey.get(key);
  }

  keys(): IterableIterator<string> {
    return this.byKey.keys();
  }

  entries(): IterableIterator<[string, T]> {
    return this.byKey.entries();
  }

  values(): IterableIterator<T> {
    return this.byKey.values();
  }

  get size(): number {
    return this.byKey.size;
  }

  /**
   * Brings the index up to `items`; returns the keys added, replaced or removed. Keys should be
   * unique; when one repeats, its last occurrence wins (and the others are ignored, not churned).
   */
  update(items: readonly T[]): Set<string> {
    const changed = new Set<string>();
    this.updateEach(items, (key) => changed.add(key));
    return changed;
  }

  /**
   * Like update, but calls `onChange` with each changed key and the objects before and after
   * (undefined: absent), without collecting the keys: a first translation changes every key, and
   * callers usually need only a few of them. A key may be reported more than once (repeats).
   */
  updateEach(items: readonly T[], onChange: (key: string, before: T | undefined, after: T | undefined) => void): void {
    if (items === this.lastItems) return;
    this.lastItems = items;
    let shadowed = 0;
    const checkShadowed = this.shadowed.size > 0;
    for (const item of items) {
      if (this.current.has(item)) continue;
      if (checkShadowed && this.shadowed.has(item)) {
        shadowed++;
        continue;
      }
      const key = this.keyOf(item);
      const previous = this.byKey.get(key);
      if (previous !== undefined) this.current.delete(previous);
      this.byKey.set(key, item);
      this.current.add(item);
      onChange(key, previous, item);
    }
    if (this.byKey.size !== items.length - shadowed) this.reconcile(items, onChange);
  }

  /** Slow path: something was removed, or keys repeat. */
  private reconcile(items: readonly T[], onChange: (key: string, before: T | undefined, after: T | undefined) => void): void {
    const winners = new Map<string, T>();
    for (const item of items) winners.set(this.keyOf(item), item);
    this.shadowed = new Set();
    for (const item of items) if (winners.get(this.keyOf(item)) !== item) this.shadowed.add(item);
    for (const [key, item] of [...this.byKey]) {
      const winner = winners.get(key);
      if (winner === item) continue;
      this.current.delete(item);
      if (winner === undefined) this.byKey.delete(key);
      else {
        this.byKey.set(key, winner);
        this.current.add(winner);
      }
      onChange(key, item, winner);
    }
  }
}
