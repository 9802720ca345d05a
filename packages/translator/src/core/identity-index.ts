// Follows one kind of snapshot object across translations and reports which keys changed. Snapshot
// objects are immutable (a change is a new object), so comparing identities is enough.
//
// Sources keep a kind's array in a stable order (the store sorts by key, files keep file order)
// and change it in place, so the new array is walked alongside the previous one: an object at its
// old position costs one comparison, and only objects that differ get their key built. No set of
// known objects is kept (a first translation would build one entry per object for nothing). An
// unchanged array costs O(1); a reordered one still gives exact answers, at one key per object.

/** How far ahead the walk looks for an object to resynchronise after insertions or removals. */
const LOOKAHEAD = 8;

type OnChange<T> = (key: string, before: T | undefined, after: T | undefined) => void;

export class IdentityIndex<T extends object> {
  private readonly byKey = new Map<string, T>();
  private lastItems: readonly T[] = [];
  /** Keys repeated in the last array (invalid input): then every update is a full keyed pass. */
  private repeats = false;

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
   * unique; when one repeats, its last occurrence wins.
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
  updateEach(items: readonly T[], onChange: OnChange<T>): void {
    const last = this.lastItems;
    if (items === last) return;
    this.lastItems = items;
    if (this.repeats) {
      this.reconcile(items, onChange, new Map());
      return;
    }
    // Reported once the walk is known to be consistent: (key, before, after) triples.
    const changes: (string | T | undefined)[] = [];
    // Objects of the previous array not found at their place, and objects found elsewhere.
    let gone: T[] | undefined;
    let moved: Set<T> | undefined;
    // The common head and tail (unchanged objects in unchanged places) in tight loops first; the
    // walk below then covers only the stretch where something changed.
    let i = 0;
    const shorter = Math.min(items.length, last.length);
    while (i < shorter && items[i] === last[i]) i++;
    let tail = 0;
    while (tail < shorter - i && items[items.length - 1 - tail] === last[last.length - 1 - tail]) tail++;
    const n = items.length - tail;
    const m = last.length - tail;
    let j = i;
    if (m === 0 && this.byKey.size === 0) {
      // A first update: every object is new (a repeated key shows in the size check below).
      for (; i < n; i++) {
        const a = items[i] as T;
        const key = this.keyOf(a);
        this.byKey.set(key, a);
        changes.push(key, undefined, a);
      }
    }
    while (i < n) {
      const a = items[i] as T;
      if (j < m) {
        const b = last[j] as T;
        if (a === b) {
          i++;
          j++;
          continue;
        }
        const removed = aheadOf(last, j, a, m);
        if (removed > 0) {
          for (let k = 0; k < removed; k++) (gone ??= []).push(last[j + k] as T);
          j += removed;
          continue;
        }
        // a is new here: inserted before b (b comes later), or b's replacement.
        if (aheadOf(items, i, b, n) === 0) {
          (gone ??= []).push(b);
          j++;
        }
      }
      const key = this.keyOf(a);
      const previous = this.byKey.get(key);
      if (previous === a) (moved ??= new Set()).add(a);
      else {
        this.byKey.set(key, a);
        changes.push(key, previous, a);
      }
      i++;
    }
    for (; j < m; j++) (gone ??= []).push(last[j] as T);
    if (gone) {
      for (const b of gone) {
        if (moved?.has(b)) continue;
        const key = this.keyOf(b);
        // Replaced objects were reported with their successor; only keys nobody took remain.
        if (this.byKey.get(key) !== b) continue;
        this.byKey.delete(key);
        changes.push(key, b, undefined);
      }
    }
    if (this.byKey.size === items.length) {
      // Keys are unique: each was touched once.
      for (let c = 0; c < changes.length; c += 3) onChange(changes[c] as string, changes[c + 1] as T | undefined, changes[c + 2] as T | undefined);
      return;
    }
    // Keys repeat: settle on the winners, and report against the state before this update.
    const before = new Map<string, T | undefined>();
    for (let c = changes.length - 3; c >= 0; c -= 3) before.set(changes[c] as string, changes[c + 1] as T | undefined);
    this.reconcile(items, onChange, before);
  }

  /**
   * The full keyed pass (keys repeat: the last occurrence wins). `before` holds the objects before
   * this update of keys already changed; a key is reported only if its object differs from that.
   */
  private reconcile(items: readonly T[], onChange: OnChange<T>, before: Map<string, T | undefined>): void {
    const winners = new Map<string, T>();
    for (const item of items) winners.set(this.keyOf(item), item);
    this.repeats = winners.size !== items.length;
    for (const [key, item] of [...this.byKey]) {
      if (winners.has(key)) continue;
      this.byKey.delete(key);
      if (!before.has(key)) before.set(key, item);
    }
    for (const [key, winner] of winners) {
      const previous = this.byKey.get(key);
      if (previous === winner) continue;
      this.byKey.set(key, winner);
      if (!before.has(key)) before.set(key, previous);
    }
    for (const [key, was] of before) {
      const now = this.byKey.get(key);
      if (was !== now) onChange(key, was, now);
    }
  }
}

/** How many places after `from` the object `x` sits in `list` (within LOOKAHEAD), or 0. */
function aheadOf<T>(list: readonly T[], from: number, x: T, limit: number): number {
  const end = Math.min(limit, from + 1 + LOOKAHEAD);
  for (let k = from + 1; k < end; k++) if (list[k] === x) return k - from;
  return 0;
}
