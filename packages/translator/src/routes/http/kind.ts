// HTTPRoute as a route kind.
import { GATEWAY_API_GROUP, type HTTPRoute } from '@gantry/api';
import type { RouteKind } from '../route-kind.js';
import { compileRules } from './rules.js';

export const HTTP_ROUTE_KIND: RouteKind<HTTPRoute> = {
  group: GATEWAY_API_GROUP,
  kind: 'HTTPRoute',
  key: `${GATEWAY_API_GROUP}/HTTPRoute`,
  protocols: ['HTTP', 'HTTPS'],
  routes: (snapshot) => snapshot.httpRoutes,
  compile: (route, ctx, tables) => compileRules(route, ctx, tables),
};
