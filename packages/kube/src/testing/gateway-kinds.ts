// Test fixture: Gateway API kinds for exercising watches and status writes against CRDs in a real
// API server (the package itself knows no Gateway API kind).
import type { KindRef } from '../kinds.js';

const GATEWAY_API = 'gateway.networking.k8s.io';

export const GATEWAY_KINDS = Object.freeze({
  GatewayClass: { group: GATEWAY_API, version: 'v1', kind: 'GatewayClass', plural: 'gatewayclasses', namespaced: false } as KindRef,
  Gateway: { group: GATEWAY_API, version: 'v1', kind: 'Gateway', plural: 'gateways', namespaced: true } as KindRef,
  HTTPRoute: { group: GATEWAY_API, version: 'v1', kind: 'HTTPRoute', plural: 'httproutes', namespaced: true } as KindRef,
  ReferenceGrant: { group: GATEWAY_API, version: 'v1beta1', kind: 'ReferenceGrant', plural: 'referencegrants', namespaced: true } as KindRef,
});
