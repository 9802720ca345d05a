// UDPRoute as a route kind: a UDP listener forwards each datagram session (a client address and
// port) to one of the route's backends, chosen by weight.
import { GATEWAY_API_GROUP, type UDPRoute } from '@gantry/api';
import { compileL4Rules } from '../l4-rules.js';
import type { RouteKind } from '../route-kind.js';

export const UDP_ROUTE_KIND: RouteKind<UDPRoute> = {
  group: GATEWAY_API_GROUP,
  kind: 'UDPRoute',
  key: `${GATEWAY_API_GROUP}/UDPRoute`,
  protocols: ['UDP'],
  routes: (snapshot) => snapshot.udpRoutes,
  compile: (route, ctx, tables) => compileL4Rules('UDPRoute', route.spec?.rules, ctx, tables),
};
