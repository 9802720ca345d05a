import { describe, expect, it } from '@jest/globals';
import { apiVersionOf, collectionPath, KINDS, objectPath } from './kinds.js';

describe('kinds', () => {
  it('builds core, group, namespaced and cluster-scoped paths', () => {
    expect(collectionPath(KINDS.Service)).toBe('/api/v1/services');
    expect(collectionPath(KINDS.Service, 'ns1')).toBe('/api/v1/namespaces/ns1/services');
    expect(collectionPath(KINDS.GatewayClass, 'ignored')).toBe('/apis/gateway.networking.k8s.io/v1/gatewayclasses');
    expect(objectPath(KINDS.Gateway, 'ns1', 'gw')).toBe('/apis/gateway.networking.k8s.io/v1/namespaces/ns1/gateways/gw');
    expect(objectPath(KINDS.Namespace, undefined, 'ns1')).toBe('/api/v1/namespaces/ns1');
    expect(() => objectPath(KINDS.Gateway, undefined, 'gw')).toThrow(/namespaced/);
  });

  it('names apiVersions', () => {
    expect(apiVersionOf(KINDS.Namespace)).toBe('v1');
    expect(apiVersionOf(KINDS.Lease)).toBe('coordination.k8s.io/v1');
    expect(apiVersionOf(KINDS.ReferenceGrant)).toBe('gateway.networking.k8s.io/v1beta1');
  });
});
