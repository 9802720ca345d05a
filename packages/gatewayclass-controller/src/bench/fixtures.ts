// Synthetic clusters for benchmarks: one Gateway, N HTTPRoutes spread over 100 hostnames, each
// route to its own Service with 3 ready endpoints.
import type { KubeObject } from '../api/meta.js';
import type { Snapshot } from '../api/snapshot.js';
import { buildSnapshot } from '../manifests/load.js';

export const BENCH_GATEWAY = 'bench/gw';
const NS = 'bench';

export function routeObject(i: number, pathSuffix = ''): KubeObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: `route-${i}`, namespace: NS, generation: 1, creationTimestamp: '2026-01-01T00:00:00Z', uid: `r-${i}` },
    spec: {
      parentRefs: [{ name: 'gw' }],
      hostnames: [`app-${i % 100}.example.com`],
      rules: [{
        matches: [{ path: { type: 'PathPrefix', value: `/svc-${i}${pathSuffix}` } }],
        backendRefs: [{ name: `svc-${i}`, port: 80 }],
      }],
    },
  };
}

/** Route `i`, its backend replaced by `service`. */
export function routeToService(i: number, service: string): KubeObject {
  const route = routeObject(i);
  (route['spec'] as { rules: { backendRefs: unknown[] }[] }).rules[0]!.backendRefs = [{ name: service, port: 80 }];
  return route;
}

function serviceObjects(i: number): KubeObject[] {
  const octets = `${(i >> 8) & 255}.${i & 255}`;
  return [
    {
      apiVersion: 'v1', kind: 'Service',
      metadata: { name: `svc-${i}`, namespace: NS, uid: `s-${i}` },
      spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
    },
    {
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
      metadata: { name: `svc-${i}-abc`, namespace: NS, labels: { 'kubernetes.io/service-name': `svc-${i}` } },
      addressType: 'IPv4',
      endpoints: [1, 2, 3].map((e) => ({ addresses: [`10.${e}.${octets}`], conditions: { ready: true } })),
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    } as KubeObject,
  ];
}

export function benchObjects(routes: number, listenerPort = 80): KubeObject[] {
  const objects: KubeObject[] = [
    { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name: 'gantry' }, spec: { controllerName: 'gantry.dev/gatewayclass-controller' } },
    {
      apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway',
      metadata: { name: 'gw', namespace: NS, generation: 1 },
      spec: { gatewayClassName: 'gantry', listeners: [{ name: 'http', port: listenerPort, protocol: 'HTTP' }] },
    },
  ];
  for (let i = 0; i < routes; i++) objects.push(routeObject(i), ...serviceObjects(i));
  return objects;
}

export function benchSnapshot(routes: number, listenerPort = 80): Snapshot {
  return buildSnapshot(benchObjects(routes, listenerPort));
}
