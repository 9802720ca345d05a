// Gateway API match precedence, across every route of a virtual host (Envoy takes the first
// route that matches, so the route list is sorted by it):
//   1. path: Exact, then RegularExpression, then PathPrefix. (The spec leaves regular
//      expressions implementation-specific; Gantry ranks them after Exact and before any prefix,
//      longer expressions first, so a regex is never shadowed by a catch-all prefix.)
//   2. longer path value first (characters; prefixes without their trailing slash)
//   3. a method match first
//   4. more header matches first
//   5. more query parameter matches first
//   6. the older HTTPRoute (creationTimestamp) first
//   7. HTTPRoute `namespace/name`, alphabetically
//   8. rule order, then match order within the route
// Hostname specificity comes before all of this; it is applied by building virtual hosts.
import type { RouteEntry } from './model.js';

export function comparePrecedence(a: RouteEntry, b: RouteEntry): number {
  if (a.pathRank !== b.pathRank) return a.pathRank - b.pathRank;
  if (a.pathLength !== b.pathLength) return b.pathLength - a.pathLength;
  if (a.hasMethod !== b.hasMethod) return a.hasMethod ? -1 : 1;
  if (a.headerCount !== b.headerCount) return b.headerCount - a.headerCount;
  if (a.queryCount !== b.queryCount) return b.queryCount - a.queryCount;
  if (a.created !== b.created) return compareTimestamps(a.created, b.created);
  if (a.routeKey !== b.routeKey) return a.routeKey < b.routeKey ? -1 : 1;
  if (a.ruleIndex !== b.ruleIndex) return a.ruleIndex - b.ruleIndex;
  return a.matchIndex - b.matchIndex;
}

/** RFC 3339 timestamps as Kubernetes writes them compare as strings; unknown ('') sorts last. */
function compareTimestamps(a: string, b: string): number {
  if (a === '') return 1;
  if (b === '') return -1;
  return a < b ? -1 : 1;
}
