// Synthetic clusters for benchmarks: one Gateway, N HTTPRoutes spread over 100 hostnames, each
// route to its own Service with 3 ready endpoints (or, with `halfUpstreams`, every odd route to
// an Upstream of its Service).
import type { KubeObject, Snapshot } from '@gantry/api';
import { buildSnapshot } from '@gantry/gatewayclass-controller/manifests/load';

export const BENCH_GATEWAY = 'bench/gw';
const NS = 'bench';

export interface BenchShape {
  /** Every odd route names an Upstream (kind kube, of the route's Service) instead of the Service. */
  readonly halfUpstreams?: boolean;
}

function backendRef(i: number, shape: BenchShape): Record<string, unknown> {
  return shape.halfUpstreams && i % 2 === 1
    ? { group: 'gateway.gantry.dev', kind: 'Upstream', name: `us-${i}` }
    : { name: `svc-${i}`, port: 80 };
}

function upstreamObject(i: number): KubeObject {
  return {
    apiVersion: 'gateway.gantry.dev/v1alpha1',
    kind: 'Upstream',
    metadata: { name: `us-${i}`, namespace: NS, generation: 1, uid: `u-${i}` },
    spec: { kube: { serviceName: `svc-${i}`, servicePort: 80 } },
  };
}

export function routeObject(i: number, pathSuffix = '', shape: BenchShape = {}): KubeObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: `route-${i}`, namespace: NS, generation: 1, creationTimestamp: '2026-01-01T00:00:00Z', uid: `r-${i}` },
    spec: {
      parentRefs: [{ name: 'gw' }],
      hostnames: [`app-${i % 100}.example.com`],
      rules: [{
        matches: [{ path: { type: 'PathPrefix', value: `/svc-${i}${pathSuffix}` } }],
        backendRefs: [backendRef(i, shape)],
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

/** A Service (port 80) and its EndpointSlice: ready `addresses`, all on `targetPort`. */
export function serviceObjects(name: string, addresses: readonly string[], targetPort: number): KubeObject[] {
  return [
    {
      apiVersion: 'v1', kind: 'Service',
      metadata: { name, namespace: NS, uid: `s-${name}` },
      spec: { ports: [{ name: 'http', port: 80, targetPort }] },
    },
    {
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
      metadata: { name: `${name}-abc`, namespace: NS, labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4',
      endpoints: addresses.map((a) => ({ addresses: [a], conditions: { ready: true } })),
      ports: [{ name: 'http', port: targetPort, protocol: 'TCP' }],
    } as KubeObject,
  ];
}

/** Service `svc-i`: 3 endpoints on 10.{1,2,3}.x.y:8080. */
function benchService(i: number): KubeObject[] {
  const octets = `${(i >> 8) & 255}.${i & 255}`;
  return serviceObjects(`svc-${i}`, [1, 2, 3].map((e) => `10.${e}.${octets}`), 8080);
}

export function benchObjects(routes: number, listenerPort = 80, shape: BenchShape = {}): KubeObject[] {
  const objects: KubeObject[] = [
    { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name: 'gantry' }, spec: { controllerName: 'gantry.dev/gatewayclass-controller' } },
    {
      apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway',
      metadata: { name: 'gw', namespace: NS, generation: 1 },
      spec: { gatewayClassName: 'gantry', listeners: [{ name: 'http', port: listenerPort, protocol: 'HTTP' }] },
    },
  ];
  for (let i = 0; i < routes; i++) objects.push(routeObject(i, '', shape), ...benchService(i));
  // The Upstreams after the rest, as a controller lists a kind at once: allocated in the loop
  // above, between the routes, Services and EndpointSlices both shapes share, they spread those
  // over more memory and slowed every walk over them in the Upstream shape only (the snapshot is
  // the same either way: objects are grouped by kind).
  if (shape.halfUpstreams) for (let i = 1; i < routes; i += 2) objects.push(upstreamObject(i));
  return objects;
}

export function benchSnapshot(routes: number, listenerPort = 80, shape: BenchShape = {}): Snapshot {
  return buildSnapshot(benchObjects(routes, listenerPort, shape));
}
