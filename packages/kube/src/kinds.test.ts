import { describe, expect, it } from '@jest/globals';
import { GATEWAY_KINDS } from './testing/gateway-kinds.js';
import { apiVersionOf, collectionPath, CORE_KINDS, objectPath } from './kinds.js';

describe('kinds', () => {
  it('builds core, group, namespaced and cluster-scoped paths', () => {
    expect(collectionPath(CORE_KINDS.Service)).toBe('/api/v1/services');
    expect(collectionPath(CORE_KINDS.Service, 'ns1')).toBe('/api/v1/namespaces/ns1/services');
    expect(collectionPath(GATEWAY_KINDS.GatewayClass, 'ignored')).toBe('/apis/gateway.networking.k8s.io/v1/gatewayclasses');
    expect(objectPath(GATEWAY_KINDS.Gateway, 'ns1', 'gw')).toBe('/apis/gateway.networking.k8s.io/v1/namespaces/ns1/gateways/gw');
    expect(objectPath(CORE_KINDS.Namespace, undefined, 'ns1')).toBe('/api/v1/namespaces/ns1');
    expect(() => objectPath(GATEWAY_KINDS.Gateway, undefined, 'gw')).toThrow(/namespaced/);
  });

  it('names apiVersions', () => {
    expect(apiVersionOf(CORE_KINDS.Namespace)).toBe('v1');
    expect(apiVersionOf(CORE_KINDS.Lease)).toBe('coordination.k8s.io/v1');
    expect(apiVersionOf(GATEWAY_KINDS.ReferenceGrant)).toBe('gateway.networking.k8s.io/v1beta1');
  });
});
