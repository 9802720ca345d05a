// key → set of strings, storing a lone value without a Set: most keys (a Service's routes, a
// Service's slices) have exactly one value, and tens of thousands of one-element Sets cost the
// garbage collector more than the translation itself.

const EMPTY: readonly string[] = [];

export class StringMultiMap {
  private readonly m = new Map<string, string | Set<string>>();

  add(key: string, value: string): void {
    const cur = this.m.get(key);
    if (cur === undefined) this.m.set(key, value);
    else if (typeof cur === 'string') {
      if (cur !== value) this.m.set(key, new Set([cur, value]));
    } else cur.add(value);
  }

  delete(key: string, value: string): void {
    const cur = this.m.get(key);
    if (cur === undefined) return;
    if (typeof cur === 'string') {
      if (cur === value) this.m.delete(key);
      return;
    }
    cur.delete(value);
    if (cur.size === 1) this.m.set(key, cur.values().next().value as string);
    else if (cur.size === 0) this.m.delete(key);
  }

  get(key: string): Iterable<string> {
    const cur = this.m.get(key);
    if (cur === undefined) return EMPTY;
    return typeof cur === 'string' ? [cur] : cur;
  }

  /** Calls `fn` for each value of `key`, without allocating. */
  forEach(key: string, fn: (value: string) => void): void {
    const cur = this.m.get(key);
    if (cur === undefined) return;
    if (typeof cur === 'string') fn(cur);
    else for (const v of cur) fn(v);
  }

  has(key: string): boolean {
    return this.m.has(key);
  }
}

/** A small set of strings held in a field: absent, one string, or a Set (see StringMultiMap). */
export type StringBag = string | Set<string> | undefined;

export function bagAdd(bag: StringBag, value: string): StringBag {
  if (bag === undefined) return value;
  if (typeof bag === 'string') return bag === value ? bag : new Set([bag, value]);
  bag.add(value);
  return bag;
}

export function bagDelete(bag: StringBag, value: string): StringBag {
  if (bag === undefined || typeof bag === 'string') return bag === value ? undefined : bag;
  bag.delete(value);
  if (bag.size > 1) return bag;
  return bag.size === 1 ? (bag.values().next().value as string) : undefined;
}

export function bagValues(bag: StringBag): Iterable<string> {
  if (bag === undefined) return EMPTY;
  return typeof bag === 'string' ? [bag] : bag;
}
