import { describe, expect, it } from '@jest/globals';
import { KIND_TABLE } from '@gantry/api';
import { defaultRouteKinds, listenerProtocolSupported, routeKindAllowed, ROUTE_KINDS } from './registry.js';
import { routeKindKey } from './route-kind.js';

describe('route kind registry', () => {
  it('lists kinds of the kind table, each keyed group/kind, each written as a route-parents status', () => {
    for (const k of ROUTE_KINDS) {
      expect(k.key).toBe(routeKindKey(k));
      const entry = KIND_TABLE[k.kind];
      expect(entry.group).toBe(k.group);
      expect(entry.status.merge).toBe('route-parents');
    }
  });

  it('derives what listeners take from the kinds', () => {
    expect(defaultRouteKinds('HTTPS')).toEqual([
      { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' },
      { group: 'gateway.networking.k8s.io', kind: 'GRPCRoute' },
    ]);
    expect(routeKindAllowed('HTTP', 'gateway.networking.k8s.io', 'HTTPRoute')).toBe(true);
    expect(routeKindAllowed('HTTP', 'gateway.networking.k8s.io', 'GRPCRoute')).toBe(true);
    expect(routeKindAllowed('HTTP', 'gateway.networking.k8s.io', 'TCPRoute')).toBe(false);
    expect(routeKindAllowed('TLS', 'gateway.networking.k8s.io', 'TLSRoute')).toBe(true);
    expect(defaultRouteKinds('TCP')).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'TCPRoute' }]);
    expect(listenerProtocolSupported('UDP')).toBe(true);
    expect(listenerProtocolSupported('SCTP')).toBe(false);
  });
});
