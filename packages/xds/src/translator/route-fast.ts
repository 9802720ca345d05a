// A direct encoder for the most common route: a path match forwarding to one backend, nothing
// else. Large configurations are mostly made of these, and skipping the intermediate message
// objects makes them several times cheaper. Anything else goes through buildRoute(). The bytes are
// exactly those of `Route.encode(buildRoute(route))` (tested in route-fast.test.ts).
//
//   Route        { name = 14; match = 1; route = 2 }
//   RouteMatch   { prefix = 1 | path = 2 | safe_regex = 10 (RegexMatcher { regex = 2 }) | path_separated_prefix = 14 }
//   RouteAction  { cluster = 1; cluster_not_found_response_code = 20 }
import type { ForwardActionIR, RouteIR } from '@gantry/ir';
import { RouteAction_ClusterNotFoundResponseCode } from '@gantry/envoy-xds-proto/generated/envoy/config/route/v3/route_components';
import type { BinaryWriter } from '@bufbuild/protobuf/wire';
import { envoyPathMatch } from './path.js';

function empty(list: readonly unknown[] | undefined): boolean {
  return list === undefined || list.length === 0;
}

function isPlainForward(a: ForwardActionIR): boolean {
  const b = a.backends[0];
  return (
    a.backends.length === 1 &&
    b !== undefined &&
    b.requestHeaders === undefined &&
    b.responseHeaders === undefined &&
    a.invalidBackendWeight === undefined &&
    a.urlRewrite === undefined &&
    empty(a.mirrors) &&
    a.timeouts === undefined &&
    a.retry === undefined &&
    a.websocket !== true
  );
}

/** A route the direct encoder handles. */
export function isSimpleRoute(r: RouteIR): boolean {
  return (
    r.action.kind === 'forward' &&
    isPlainForward(r.action) &&
    r.requestHeaders === undefined &&
    r.responseHeaders === undefined &&
    r.cors === undefined &&
    empty(r.match.headers) &&
    empty(r.match.queryParams) &&
    r.match.method === undefined
  );
}

/** Writes the Route message's fields (not framed) of a route for which isSimpleRoute() holds. */
export function writeSimpleRoute(r: RouteIR, w: BinaryWriter): void {
  if (r.action.kind !== 'forward') throw new Error('writeSimpleRoute: not a forward route');
  if (r.name !== '') w.uint32(114).string(r.name);
  w.uint32(10).fork();
  const path = envoyPathMatch(r.match.path);
  switch (path.kind) {
    case 'prefix':
      w.uint32(10).string(path.value);
      break;
    case 'path':
      w.uint32(18).string(path.value);
      break;
    case 'regex':
      w.uint32(82).fork();
      if (path.value !== '') w.uint32(18).string(path.value);
      w.join();
      break;
    case 'pathSeparatedPrefix':
      w.uint32(114).string(path.value);
      break;
  }
  w.join();
  w.uint32(18).fork().uint32(10).string(r.action.backends[0]!.cluster);
  w.uint32(160).int32(RouteAction_ClusterNotFoundResponseCode.INTERNAL_SERVER_ERROR);
  w.join();
}
