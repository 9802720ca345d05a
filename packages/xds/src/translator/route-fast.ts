// A direct encoder for the most common route: a path match forwarding to one backend, nothing
// else. Large configurations are mostly made of these, and skipping the intermediate message
// objects makes them several times cheaper. Anything else goes through buildRoute(). The bytes are
// exactly those of `Route.encode(buildRoute(route))` (tested in route-fast.test.ts).
//
//   Route        { name = 14; match = 1; route = 2 }
//   RouteMatch   { prefix = 1 | path = 2 | safe_regex = 10 (RegexMatcher { regex = 2 }) | path_separated_prefix = 14 }
//   RouteAction  { cluster = 1; cluster_not_found_response_code = 20 }
//
// What a simple route may have is an allow-list over every field of the IR types it reaches
// (AllowList<T> requires an answer per field, optional ones included), so a field added to them
// does not compile until it is either written here or ruled out.
import type { ForwardActionIR, PathMatchIR, RouteIR, RouteMatchIR, WeightedBackendIR } from '@gantry/ir';
import { RouteAction_ClusterNotFoundResponseCode } from '@gantry/envoy-xds-proto/generated/envoy/config/route/v3/route_components';
import type { BinaryWriter } from '@bufbuild/protobuf/wire';
import { envoyPathMatch, type EnvoyPathMatch } from './path.js';

/**
 * Every field of T, optional ones included, with what a simple route may have there. The compiler
 * rejects a missing field, so a field added to the IR does not compile until it is answered for
 * here; route-fast.test.ts sets every field to each of its samples and checks that the check below
 * either declines the route or writes exactly the general encoder's bytes. (The checks themselves
 * are plain expressions: they run for every route, and objects built per route cost memory.)
 */
type AllowList<T> = { readonly [K in keyof T]-?: string };

export const SIMPLE_ROUTE: AllowList<RouteIR> = {
  name: 'any (written)',
  match: 'SIMPLE_MATCH',
  action: 'a forward action allowed by SIMPLE_FORWARD (redirects and direct responses never)',
  requestHeaders: 'absent',
  responseHeaders: 'absent',
  cors: 'absent',
  faults: 'absent',
};

export const SIMPLE_MATCH: AllowList<RouteMatchIR> = {
  path: 'any kind (writePathMatch writes each)',
  headers: 'none',
  queryParams: 'none',
  method: 'absent',
};

export const SIMPLE_PATH: AllowList<PathMatchIR> = { type: 'any', value: 'any' };

export const SIMPLE_FORWARD: AllowList<ForwardActionIR> = {
  kind: 'forward',
  backends: 'exactly one, allowed by SIMPLE_BACKEND',
  urlRewrite: 'absent',
  mirrors: 'none',
  timeouts: 'absent',
  retry: 'absent',
  websocket: 'not true',
  invalidBackendWeight: 'absent',
  hashPolicies: 'none',
};

export const SIMPLE_BACKEND: AllowList<WeightedBackendIR> = {
  cluster: 'any (written)',
  // The only backend gets every request whatever its weight (the general encoder ignores it too).
  weight: 'any',
  requestHeaders: 'absent',
  responseHeaders: 'absent',
  hostRewrite: 'absent',
};

function empty(list: readonly unknown[] | undefined): boolean {
  return list === undefined || list.length === 0;
}

function simpleMatch(m: RouteMatchIR): boolean {
  return empty(m.headers) && empty(m.queryParams) && m.method === undefined;
}

function simpleBackend(b: WeightedBackendIR): boolean {
  return b.requestHeaders === undefined && b.responseHeaders === undefined && b.hostRewrite === undefined;
}

function simpleForward(a: ForwardActionIR): boolean {
  const only = a.backends[0];
  return (
    a.backends.length === 1 &&
    only !== undefined &&
    simpleBackend(only) &&
    a.urlRewrite === undefined &&
    empty(a.mirrors) &&
    a.timeouts === undefined &&
    a.retry === undefined &&
    a.websocket !== true &&
    a.invalidBackendWeight === undefined &&
    empty(a.hashPolicies)
  );
}

/** What isSimpleRoute guarantees, as far as writeSimpleRoute relies on it. */
export type SimpleRouteIR = RouteIR & { readonly action: ForwardActionIR & { readonly backends: readonly [WeightedBackendIR] } };

/** A route the direct encoder handles. */
export function isSimpleRoute(r: RouteIR): r is SimpleRouteIR {
  return (
    r.action.kind === 'forward' &&
    simpleForward(r.action) &&
    simpleMatch(r.match) &&
    r.requestHeaders === undefined &&
    r.responseHeaders === undefined &&
    r.cors === undefined &&
    r.faults === undefined
  );
}

function unknownPath(path: never): never {
  throw new Error(`writeSimpleRoute: unknown path match ${JSON.stringify(path)}`);
}

function writePathMatch(path: EnvoyPathMatch, w: BinaryWriter): void {
  switch (path.kind) {
    case 'prefix':
      w.uint32(10).string(path.value);
      return;
    case 'path':
      w.uint32(18).string(path.value);
      return;
    case 'regex':
      w.uint32(82).fork();
      if (path.value !== '') w.uint32(18).string(path.value);
      w.join();
      return;
    case 'pathSeparatedPrefix':
      w.uint32(114).string(path.value);
      return;
    default:
      unknownPath(path);
  }
}

/** Writes the Route message's fields (not framed) of a route for which isSimpleRoute() holds. */
export function writeSimpleRoute(r: SimpleRouteIR, w: BinaryWriter): void {
  if (r.name !== '') w.uint32(114).string(r.name);
  w.uint32(10).fork();
  writePathMatch(envoyPathMatch(r.match.path), w);
  w.join();
  w.uint32(18).fork().uint32(10).string(r.action.backends[0].cluster);
  w.uint32(160).int32(RouteAction_ClusterNotFoundResponseCode.INTERNAL_SERVER_ERROR);
  w.join();
}
