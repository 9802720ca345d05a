// TCPRoute as a route kind: a TCP listener forwards every connection to the route's backends.
import { GATEWAY_API_GROUP, type TCPRoute } from '@gantry/api';
import { compileL4Rules } from '../l4-rules.js';
import type { RouteKind } from '../route-kind.js';

export const TCP_ROUTE_KIND: RouteKind<TCPRoute> = {
  group: GATEWAY_API_GROUP,
  kind: 'TCPRoute',
  key: `${GATEWAY_API_GROUP}/TCPRoute`,
  protocols: ['TCP'],
  routes: (snapshot) => snapshot.tcpRoutes,
  compile: (route, ctx, tables) => compileL4Rules('TCPRoute', route.spec?.rules, ctx, tables),
};
