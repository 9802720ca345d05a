// GRPCRoute as a route kind: gRPC methods are HTTP/2 paths (`/<service>/<method>`), so its rules
// compile into the same route-table pieces as an HTTPRoute's and share its listeners.
import { GATEWAY_API_GROUP, type GRPCRoute } from '@gantry/api';
import type { RouteKind } from '../route-kind.js';
import { compileGRPCRules } from './rules.js';

export const GRPC_ROUTE_KIND: RouteKind<GRPCRoute> = {
  group: GATEWAY_API_GROUP,
  kind: 'GRPCRoute',
  key: `${GATEWAY_API_GROUP}/GRPCRoute`,
  protocols: ['HTTP', 'HTTPS'],
  routes: (snapshot) => snapshot.grpcRoutes,
  compile: (route, ctx, tables) => compileGRPCRules(route, ctx, tables),
};
