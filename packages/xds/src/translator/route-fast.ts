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
// (Verdicts<T> requires an answer per field, optional ones included), so a field added to them
// does not compile until it is either written here or ruled out.
import type { ForwardActionIR, PathMatchIR, RouteIR, RouteMatchIR, WeightedBackendIR } from '@gantry/ir';
import { RouteAction_ClusterNotFoundResponseCode } from '@gantry/envoy-xds-proto/generated/envoy/config/route/v3/route_components';
import type { BinaryWriter } from '@bufbuild/protobuf/wire';
import { envoyPathMatch, type EnvoyPathMatch } from './path.js';

/**
 * One verdict per field of T, optional ones included: may a simple route have this value here?
 * The compiler rejects a missing field, so a field added to the IR must be answered for.
 */
type Verdicts<T> = { readonly [K in keyof T]-?: boolean };

/** Every verdict is yes. T must be named (NoInfer, default never), so the literal is checked against it. */
function allowed<T = never>(verdicts: Verdicts<NoInfer<T>>): boolean {
  return everyField(verdicts);
}

function everyField(verdicts: { readonly [field: string]: boolean }): boolean {
  for (const field in verdicts) if (!verdicts[field]) return false;
  return true;
}

function empty(list: readonly unknown[] | undefined): boolean {
  return list === undefined || list.length === 0;
}

// `true`: writeSimpleRoute writes the field, or its value does not change the bytes.

/** Every path match: writePathMatch writes each kind. */
const PATH = allowed<PathMatchIR>({ type: true, value: true });

function simpleMatch(m: RouteMatchIR): boolean {
  return allowed<RouteMatchIR>({
    path: PATH,
    headers: empty(m.headers),
    queryParams: empty(m.queryParams),
    method: m.method === undefined,
  });
}

function simpleBackend(b: WeightedBackendIR): boolean {
  return allowed<WeightedBackendIR>({
    cluster: true,
    // The only backend gets every request whatever its weight (the general encoder ignores it too).
    weight: true,
    requestHeaders: b.requestHeaders === undefined,
    responseHeaders: b.responseHeaders === undefined,
  });
}

function simpleForward(a: ForwardActionIR): boolean {
  const only = a.backends[0];
  return allowed<ForwardActionIR>({
    kind: true,
    backends: a.backends.length === 1 && only !== undefined && simpleBackend(only),
    urlRewrite: a.urlRewrite === undefined,
    mirrors: empty(a.mirrors),
    timeouts: a.timeouts === undefined,
    retry: a.retry === undefined,
    websocket: a.websocket !== true,
    invalidBackendWeight: a.invalidBackendWeight === undefined,
    hashPolicies: empty(a.hashPolicies),
  });
}

/** What isSimpleRoute guarantees, as far as writeSimpleRoute relies on it. */
export type SimpleRouteIR = RouteIR & { readonly action: ForwardActionIR & { readonly backends: readonly [WeightedBackendIR] } };

/** A route the direct encoder handles. */
export function isSimpleRoute(r: RouteIR): r is SimpleRouteIR {
  return allowed<RouteIR>({
    name: true,
    match: simpleMatch(r.match),
    // Redirects and direct responses are never simple.
    action: r.action.kind === 'forward' && simpleForward(r.action),
    requestHeaders: r.requestHeaders === undefined,
    responseHeaders: r.responseHeaders === undefined,
    cors: r.cors === undefined,
  });
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
