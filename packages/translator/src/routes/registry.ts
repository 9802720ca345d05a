// The route kinds Gantry serves. A new kind: its folder under routes/, one line here, and its
// entry in @gantry/api's kind table.
import type { RouteGroupKind } from '@gantry/api';
import { GRPC_ROUTE_KIND } from './grpc/kind.js';
import { HTTP_ROUTE_KIND } from './http/kind.js';
import type { RouteKind } from './route-kind.js';
import { TCP_ROUTE_KIND } from './tcp/kind.js';
import { TLS_ROUTE_KIND } from './tls/kind.js';
import { UDP_ROUTE_KIND } from './udp/kind.js';

export const ROUTE_KINDS: readonly RouteKind[] = [HTTP_ROUTE_KIND, GRPC_ROUTE_KIND, TLS_ROUTE_KIND, TCP_ROUTE_KIND, UDP_ROUTE_KIND];

/** The route kinds a listener of this protocol takes when allowedRoutes.kinds is empty. */
export function defaultRouteKinds(protocol: string): RouteGroupKind[] {
  return ROUTE_KINDS.filter((k) => k.protocols.includes(protocol)).map((k) => ({ group: k.group, kind: k.kind }));
}

/** Whether a listener of this protocol may take routes of this group and kind. */
export function routeKindAllowed(protocol: string, group: string, kind: string): boolean {
  return ROUTE_KINDS.some((k) => k.group === group && k.kind === kind && k.protocols.includes(protocol));
}

/** Whether some route kind attaches to listeners of this protocol. */
export function listenerProtocolSupported(protocol: string): boolean {
  return ROUTE_KINDS.some((k) => k.protocols.includes(protocol));
}
