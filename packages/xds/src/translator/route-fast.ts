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
// (Allowed<T> requires an entry per field, optional ones included), so a field added to them does
// not compile until it is either written here or ruled out.
import type { ForwardActionIR, PathMatchIR, RouteIR, RouteMatchIR, WeightedBackendIR } from '@gantry/ir';
import { RouteAction_ClusterNotFoundResponseCode } from '@gantry/envoy-xds-proto/generated/envoy/config/route/v3/route_components';
import type { BinaryWriter } from '@bufbuild/protobuf/wire';
import { envoyPathMatch, type EnvoyPathMatch } from './path.js';

/** For every field of T: which values a simple route may have there. */
type Allowed<T> = { readonly [K in keyof T]-?: (value: T[K]) => boolean };

/** Any value: the field is written by writeSimpleRoute, or does not change the bytes. */
const ANY = (): boolean => true;
const ABSENT = (value: unknown): boolean => value === undefined;
const NONE = (list: readonly unknown[] | undefined): boolean => list === undefined || list.length === 0;

/** One check of a whole object from its table; fields allowing ANY value cost nothing. */
function allows<T>(table: Allowed<T>): (value: T) => boolean {
  const checks: ((value: T) => boolean)[] = [];
  const add = <K extends keyof T>(field: K): void => {
    const allowed: (value: T[K]) => boolean = table[field];
    if (allowed !== ANY) checks.push((value) => allowed(value[field]));
  };
  for (const field of Object.keys(table) as (keyof T)[]) add(field);
  if (checks.length === 0) return ANY;
  return (value) => {
    for (const check of checks) if (!check(value)) return false;
    return true;
  };
}

const SIMPLE_PATH: Allowed<PathMatchIR> = { type: ANY, value: ANY };

const SIMPLE_MATCH: Allowed<RouteMatchIR> = {
  path: allows(SIMPLE_PATH),
  headers: NONE,
  queryParams: NONE,
  method: ABSENT,
};

const SIMPLE_BACKEND: Allowed<WeightedBackendIR> = {
  cluster: ANY,
  // The only backend gets every request whatever its weight: the general encoder ignores it too.
  weight: ANY,
  requestHeaders: ABSENT,
  responseHeaders: ABSENT,
};

const simpleBackend = allows(SIMPLE_BACKEND);

const SIMPLE_FORWARD: Allowed<ForwardActionIR> = {
  kind: ANY,
  backends: (backends) => {
    const only = backends[0];
    return backends.length === 1 && only !== undefined && simpleBackend(only);
  },
  urlRewrite: ABSENT,
  mirrors: NONE,
  timeouts: ABSENT,
  retry: ABSENT,
  websocket: (websocket) => websocket !== true,
  invalidBackendWeight: ABSENT,
};

const simpleForward = allows(SIMPLE_FORWARD);

const SIMPLE_ROUTE: Allowed<RouteIR> = {
  name: ANY,
  match: allows(SIMPLE_MATCH),
  // Redirects and direct responses are never simple.
  action: (action) => action.kind === 'forward' && simpleForward(action),
  requestHeaders: ABSENT,
  responseHeaders: ABSENT,
  cors: ABSENT,
};

/** The shape SIMPLE_ROUTE guarantees, as far as writeSimpleRoute relies on it. */
export type SimpleRouteIR = RouteIR & { readonly action: ForwardActionIR & { readonly backends: readonly [WeightedBackendIR] } };

const simpleRoute = allows(SIMPLE_ROUTE);

/** A route the direct encoder handles. */
export function isSimpleRoute(r: RouteIR): r is SimpleRouteIR {
  return simpleRoute(r);
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
