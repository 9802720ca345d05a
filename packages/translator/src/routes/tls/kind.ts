// TLSRoute as a route kind: TLS listeners route connections by SNI (the route's hostnames), in
// Passthrough mode without decrypting them, in Terminate mode after the TLS handshake.
import { GATEWAY_API_GROUP, type TLSRoute } from '@gantry/api';
import { compileL4Rules } from '../l4-rules.js';
import type { RouteKind } from '../route-kind.js';

export const TLS_ROUTE_KIND: RouteKind<TLSRoute> = {
  group: GATEWAY_API_GROUP,
  kind: 'TLSRoute',
  key: `${GATEWAY_API_GROUP}/TLSRoute`,
  protocols: ['TLS'],
  routes: (snapshot) => snapshot.tlsRoutes,
  compile: (route, ctx, tables) => compileL4Rules('TLSRoute', route.spec?.rules, ctx, tables),
};
