// Helpers that keep what the translator retains by the ten thousand small.

/**
 * A right-sized copy of an array built with push(). V8 grows pushed arrays with spare capacity
 * (16+ slots); retained by the thousand, that slack is most of the translator's memory and GC time.
 */
export function exact<T>(a: T[]): T[] {
  return a.slice();
}

/**
 * Appends to a list that is created at its exact size by the first element: most lists the
 * translator builds hold one element, and a pushed-to `[]` reserves 17 slots.
 */
export function append<T>(list: T[] | undefined, item: T): T[] {
  if (list === undefined) return [item];
  list.push(item);
  return list;
}

/** A list built with append(), right-sized (see exact). */
export function exactList<T>(list: T[]): T[] {
  return list.length > 1 ? list.slice() : list;
}

/**
 * The same string, flat. V8 builds `a + b` (and template literals) as a tree with a 32-byte node
 * per join, which lives as long as the string and is flattened (copied) anyway the first time the
 * string is hashed or written out. Names and keys the translator keeps are flattened at birth, so
 * the tree dies young: a route name costs ~70 bytes instead of ~290. (trim() returns V8's flat
 * copy; a string with surrounding whitespace, which no valid Kubernetes name has, is left as is.)
 */
export function flat(s: string): string {
  const t = s.trim();
  return t.length === s.length ? t : s;
}

/** Strips `readonly` (for building IR objects field by field before handing them out). */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Keys `${prefix}${namespace}/${name}`, flat, built with one join instead of three: the
 * `${prefix}${namespace}/` head is kept for the last namespace (objects and reads come by
 * namespace). Every Upstream builds several such keys on every full translation.
 */
export class NamespacedKeys {
  private namespace = '';
  private head: string;
  constructor(private readonly prefix: string) {
    this.head = flat(`${prefix}/`);
  }

  key(namespace: string, name: string): string {
    if (namespace !== this.namespace) {
      this.namespace = namespace;
      this.head = flat(`${this.prefix}${namespace}/`);
    }
    return flat(this.head + name);
  }
}
