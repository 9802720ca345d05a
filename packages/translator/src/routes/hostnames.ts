// Hostname algebra of Gateway API: exact names, `*.suffix` wildcards (matching one or more labels)
// and `*` (any host, used for "no hostname"). Everything here works on lower-cased names.

export const ANY_HOST = '*';

const NONE: readonly string[] = [];

export function isWildcard(h: string): boolean {
  return h.startsWith('*.');
}

/** True when every host that `inner` matches is also matched by `outer`. */
export function covers(outer: string, inner: string): boolean {
  if (outer === ANY_HOST) return true;
  if (inner === ANY_HOST) return false;
  if (!isWildcard(outer)) return outer === inner;
  const suffix = outer.slice(1); // ".example.com"
  if (isWildcard(inner)) return inner === outer || inner.slice(1).endsWith(suffix);
  return inner.endsWith(suffix) && inner.length > suffix.length;
}

/**
 * The hosts both patterns match, as one pattern, or undefined when they are disjoint. Two
 * hostname patterns either nest or are disjoint, so the intersection is the narrower one.
 */
export function intersect(a: string, b: string): string | undefined {
  if (covers(a, b)) return b;
  if (covers(b, a)) return a;
  return undefined;
}

/**
 * Effective hostnames of a route on a listener: the intersections of the route's hostnames with
 * the listener's hostname (`*` when it has none). A route without hostnames takes the listener's.
 * Returns [] when nothing intersects. Sorted, without duplicates.
 */
export function effectiveHostnames(listenerHostname: string | undefined, routeHostnames: readonly string[]): readonly string[] {
  const l = listenerHostname ? listenerHostname.toLowerCase() : ANY_HOST;
  if (routeHostnames.length === 0) return [l];
  if (routeHostnames.length === 1) {
    const only = routeHostnames[0] as string;
    const i = intersect(l, only.toLowerCase());
    if (i === undefined) return NONE;
    // The route's own list when it is the answer (immutable input: shared, not copied).
    return i === only ? routeHostnames : [i];
  }
  const out = new Set<string>();
  for (const raw of routeHostnames) {
    const i = intersect(l, raw.toLowerCase());
    if (i !== undefined) out.add(i);
  }
  return [...out].sort();
}

/**
 * Orders hostnames from most to least specific: exact names first, then wildcards with more
 * labels after the `*`, then `*`. Ties (same class and length) are broken alphabetically so the
 * order is total. This is the order Envoy needs for virtual hosts and the spec for listeners.
 */
export function compareSpecificity(a: string, b: string): number {
  const ra = specificityRank(a);
  const rb = specificityRank(b);
  if (ra !== rb) return ra - rb;
  if (a.length !== b.length) return b.length - a.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

function specificityRank(h: string): number {
  // Hot in sorts: a wildcard is the only hostname starting with '*' (42).
  return h.charCodeAt(0) !== 42 ? 0 : h.length === 1 ? 2 : 1;
}

/**
 * The patterns strictly wider than `h` that could cover it, most specific first:
 * `a.b.c` → `*.b.c`, `*.c`, `*`; `*.b.c` → `*.c`, `*`.
 */
export function widerPatterns(h: string): string[] {
  if (h === ANY_HOST) return [];
  const out: string[] = [];
  let rest = isWildcard(h) ? h.slice(2) : h;
  if (!isWildcard(h)) {
    const dot = rest.indexOf('.');
    if (dot >= 0) {
      out.push(`*.${rest.slice(dot + 1)}`);
      rest = rest.slice(dot + 1);
    } else {
      out.push(ANY_HOST);
      return out;
    }
  }
  for (;;) {
    const dot = rest.indexOf('.');
    if (dot < 0) break;
    rest = rest.slice(dot + 1);
    out.push(`*.${rest}`);
  }
  out.push(ANY_HOST);
  return out;
}
