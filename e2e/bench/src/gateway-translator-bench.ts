// Quick timing of the gateway translator on a large synthetic cluster:
//   npx tsc -b e2e/bench && node e2e/bench/dist/gateway-translator-bench.js [routes] [shape]
// shape: "hosts" (each route its own hostname, the default) or "paths" (one hostname, distinct
// path prefixes: the worst case for a single route table). Prints full and incremental times.
import { pathToFileURL } from 'node:url';
import type { EndpointSlice, Gateway, GatewayClass, HTTPRoute, Service, Snapshot } from '@gantry/api';
import { emptySnapshot } from '@gantry/api';
import { GatewayTranslator } from '@gantry/translator';

export interface BenchResult {
  readonly routes: number;
  readonly fullMs: number;
  readonly oneRouteMs: number;
  readonly oneEndpointMs: number;
  readonly noChangeMs: number;
}

export function syntheticSnapshot(n: number, shape: 'hosts' | 'paths' = 'hosts'): Snapshot {
  const gatewayClasses: GatewayClass[] = [
    { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name: 'gantry' }, spec: { controllerName: 'gantry.dev/gatewayclass-controller' } },
  ];
  const gateways: Gateway[] = [
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'gw', namespace: 'infra', generation: 1 },
      spec: { gatewayClassName: 'gantry', listeners: [{ name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'All' } } }] },
    },
  ];
  const httpRoutes: HTTPRoute[] = [];
  const services: Service[] = [];
  const endpointSlices: EndpointSlice[] = [];
  for (let i = 0; i < n; i++) {
    const ns = `ns-${i % 100}`;
    const name = `app-${i}`;
    httpRoutes.push(benchRoute(ns, name, shape));
    services.push({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec: { ports: [{ name: 'http', port: 80 }] } });
    endpointSlices.push(benchSlice(ns, name, i, 0));
  }
  return { ...emptySnapshot(), gatewayClasses, gateways, httpRoutes, services, endpointSlices };
}

function benchRoute(ns: string, name: string, shape: 'hosts' | 'paths', variant = 0): HTTPRoute {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name, namespace: ns, generation: 1 + variant, creationTimestamp: '2024-01-01T00:00:00Z' },
    spec: {
      parentRefs: [{ name: 'gw', namespace: 'infra' }],
      ...(shape === 'hosts' ? { hostnames: [`${name}.example.com`] } : {}),
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: shape === 'paths' ? `/${name}${variant ? `/v${variant}` : ''}` : variant ? `/v${variant}` : '/' } }],
          backendRefs: [{ name, port: 80 }],
        },
      ],
    },
  };
}

function benchSlice(ns: string, name: string, i: number, variant: number): EndpointSlice {
  const base = (i * 3) % 65000;
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${name}-x`, namespace: ns, labels: { 'kubernetes.io/service-name': name } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080 }],
    endpoints: [0, 1, 2].map((k) => ({ addresses: [`10.${(base + k) >> 8 & 255}.${(base + k) & 255}.${1 + variant}`] })),
  };
}

/** Each figure is the best of several runs (the machine may be shared; the best is the cost). */
export function runBench(n: number, shape: 'hosts' | 'paths' = 'hosts', repeat = 5): BenchResult {
  const time = (f: () => void): number => {
    const t0 = process.hrtime.bigint();
    f();
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  const snap = syntheticSnapshot(n, shape);
  // Warm the JIT first, as in a long-running controller.
  new GatewayTranslator().translate(syntheticSnapshot(Math.min(n, 2000), shape));
  let fullMs = Infinity;
  let t = new GatewayTranslator();
  for (let i = 0; i < repeat; i++) {
    const fresh = new GatewayTranslator();
    fullMs = Math.min(fullMs, time(() => fresh.translate(snap)));
    t = fresh;
  }
  let current = snap;
  let oneRouteMs = Infinity;
  let oneEndpointMs = Infinity;
  let noChangeMs = Infinity;
  for (let i = 0; i < repeat * 4; i++) {
    const k = (i * 7919) % n;
    const routes = current.httpRoutes.slice();
    routes[k] = benchRoute(`ns-${k % 100}`, `app-${k}`, shape, i + 1);
    current = { ...current, httpRoutes: routes };
    oneRouteMs = Math.min(oneRouteMs, time(() => t.translate(current)));
    const slices = current.endpointSlices.slice();
    slices[k] = benchSlice(`ns-${k % 100}`, `app-${k}`, k, (i % 200) + 1);
    current = { ...current, endpointSlices: slices };
    oneEndpointMs = Math.min(oneEndpointMs, time(() => t.translate(current)));
    current = { ...current, httpRoutes: current.httpRoutes.slice(), services: current.services.slice() };
    noChangeMs = Math.min(noChangeMs, time(() => t.translate(current)));
  }
  return { routes: n, fullMs, oneRouteMs, oneEndpointMs, noChangeMs };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const n = Number(process.argv[2] ?? 10000);
  const shape = process.argv[3] === 'paths' ? 'paths' : 'hosts';
  const r = runBench(n, shape);
  console.log(
    `${r.routes} routes (${shape}): full ${r.fullMs.toFixed(1)} ms, ` +
      `one route ${r.oneRouteMs.toFixed(2)} ms, one endpoint ${r.oneEndpointMs.toFixed(2)} ms, no change ${r.noChangeMs.toFixed(2)} ms`,
  );
}
