// Traffic through a real Envoy to Upstreams, as the seed documents use them: a static Upstream
// (the seed's json-upstream, with and without a port on the backendRef), a kube Upstream whose
// selector keeps some of a Service's Pods (and follows a Pod's labels), weights across Upstreams,
// and the ReferenceGrants a route needs to reach an Upstream in another namespace. Cluster
// policies (health checks, ring hash, outlier detection, circuit breakers, TLS) have their own
// traffic tests in packages/xds (bootstrap/envoy-upstream.test.ts).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Agent } from 'node:http';
import { startEchoServer, type EchoServer } from '@gantry/gatewayclass-controller/examples/echo-backend';
import { echo, send } from './client.js';
import { GATEWAY_CLASS, TrafficHarness, docs, freePort, gatewayYaml, routeConditions, statusOf, upstreamYaml, type Applied } from './harness.js';

let h: TrafficHarness;
let port: number;
let json: EchoServer;
let heavy: EchoServer;
let light: EchoServer;
/** The reviews Pods: one echo server per loopback address, all on one port (as Pods of a Deployment). */
const pods: EchoServer[] = [];
let podPort: number;

const POD_ADDRESSES = { 'reviews-1': '127.0.0.2', 'reviews-2': '127.0.0.3', 'reviews-3': '127.0.0.4' } as const;
type PodName = keyof typeof POD_ADDRESSES;

beforeAll(async () => {
  h = await TrafficHarness.start();
  port = await freePort();
  json = await h.backend('json');
  heavy = await h.backend('heavy');
  light = await h.backend('light');
  podPort = await freePort();
  for (const [name, host] of Object.entries(POD_ADDRESSES)) pods.push(await startEchoServer({ name, host, port: podPort }));
});

afterAll(async () => {
  await h?.stop();
  await Promise.all(pods.map((p) => p.close()));
});

function world(versions: Record<PodName, string>, extra = ''): string {
  const pod = (name: PodName) => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: default, labels: {app: reviews, version: ${versions[name]}}}
`;
  return docs(
    GATEWAY_CLASS,
    gatewayYaml(`{name: http, protocol: HTTP, port: ${port}, allowedRoutes: {namespaces: {from: All}}}`),
    upstreamYaml('json-upstream', `  static:\n    hosts: [{addr: 127.0.0.1, port: ${json.port}}]`),
    `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: static-upstream, namespace: default}
spec:
  parentRefs: [{name: gw}]
  hostnames: [static.example]
  rules:
  - matches: [{path: {value: /with-port}}]
    backendRefs: [{name: json-upstream, kind: Upstream, group: gateway.gantry.dev, port: 9999}]
  - backendRefs: [{name: json-upstream, kind: Upstream, group: gateway.gantry.dev}]
---
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec:
  selector: {app: reviews}
  ports: [{name: http, port: 9080, targetPort: ${podPort}}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: reviews-a, namespace: default, labels: {kubernetes.io/service-name: reviews}}
addressType: IPv4
ports: [{name: http, port: ${podPort}}]
endpoints:
${Object.entries(POD_ADDRESSES)
  .map(([name, ip]) => `- {addresses: [${ip}], conditions: {ready: true}, targetRef: {kind: Pod, name: ${name}, namespace: default}}`)
  .join('\n')}
`,
    pod('reviews-1'),
    pod('reviews-2'),
    pod('reviews-3'),
    upstreamYaml('reviews-v2', '  kube: {serviceName: reviews, serviceNamespace: default, servicePort: 9080, selector: {version: v2}}', 'gantry-system'),
    upstreamYaml('heavy', `  static: {hosts: [{addr: 127.0.0.1, port: ${heavy.port}}]}`),
    upstreamYaml('light', `  static: {hosts: [{addr: 127.0.0.1, port: ${light.port}}]}`),
    `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: kube-upstreams, namespace: gantry-system}
spec:
  parentRefs: [{name: gw, namespace: default}]
  hostnames: [reviews.example]
  rules:
  - backendRefs: [{name: reviews-v2, kind: Upstream, group: gateway.gantry.dev}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: weighted, namespace: default}
spec:
  parentRefs: [{name: gw}]
  hostnames: [weighted.example]
  rules:
  - backendRefs:
    - {name: heavy, kind: Upstream, group: gateway.gantry.dev, weight: 80}
    - {name: light, kind: Upstream, group: gateway.gantry.dev, weight: 20}
---
apiVersion: v1
kind: Namespace
metadata: {name: team-a}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: cross, namespace: team-a}
spec:
  parentRefs: [{name: gw, namespace: default}]
  hostnames: [cross.example]
  rules:
  - backendRefs: [{name: json-upstream, namespace: default, kind: Upstream, group: gateway.gantry.dev}]
`,
    extra,
  );
}

const V2_ONLY: Record<PodName, string> = { 'reviews-1': 'v1', 'reviews-2': 'v2', 'reviews-3': 'v2' };

const GRANT = `
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: team-a-to-upstreams, namespace: default}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: team-a}]
  to: [{group: gateway.gantry.dev, kind: Upstream}]
`;

/** Which backends answer `n` requests to a host. */
async function spread(host: string, n: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  try {
    for (let i = 0; i < n; i += 50) {
      const batch = await Promise.all(Array.from({ length: Math.min(50, n - i) }, () => echo({ port, host, path: '/', agent })));
      for (const e of batch) counts[e.backend] = (counts[e.backend] ?? 0) + 1;
    }
  } finally {
    agent.destroy();
  }
  return counts;
}

describe('a static Upstream (the seed json-upstream)', () => {
  let applied: Applied;
  beforeAll(async () => {
    applied = await h.apply(world(V2_ONLY));
  });

  it('routes to its host without a port on the backendRef', async () => {
    expect((await echo({ port, host: 'static.example', path: '/posts' })).backend).toBe('json');
  });

  it('ignores a port on the backendRef, and says so in ResolvedRefs', async () => {
    expect((await echo({ port, host: 'static.example', path: '/with-port' })).backend).toBe('json');
    expect(routeConditions(applied.run, 'default', 'static-upstream')).toContain('ResolvedRefs=True:ResolvedRefs');
    const parents = (statusOf(applied.run, 'HTTPRoute', 'default', 'static-upstream')?.status as { parents: { conditions: { type: string; message: string }[] }[] }).parents;
    expect(parents[0]?.conditions.find((c) => c.type === 'ResolvedRefs')?.message).toContain('port 9999 on the backendRef to Upstream default/json-upstream is ignored');
  });

  it('reports itself Accepted with its host counted', () => {
    expect(statusOf(applied.run, 'Upstream', 'default', 'json-upstream')?.status).toMatchObject({ type: 'Static', endpoints: 1 });
  });
});

describe('a kube Upstream with a selector', () => {
  it('sends traffic only to the selected Pods of the Service', async () => {
    const { run } = await h.apply(world(V2_ONLY));
    const counts = await spread('reviews.example', 200);
    expect(Object.keys(counts).sort()).toEqual(['reviews-2', 'reviews-3']);
    expect(statusOf(run, 'Upstream', 'gantry-system', 'reviews-v2')?.status).toMatchObject({ type: 'Kube', endpoints: 2 });
  });

  it('follows a Pod whose labels change: relabelled to v2 it serves, relabelled away it stops', async () => {
    await h.apply(world({ ...V2_ONLY, 'reviews-1': 'v2' }));
    expect(Object.keys(await spread('reviews.example', 200)).sort()).toEqual(['reviews-1', 'reviews-2', 'reviews-3']);
    const { run } = await h.apply(world({ 'reviews-1': 'v2', 'reviews-2': 'v1', 'reviews-3': 'v1' }));
    expect(Object.keys(await spread('reviews.example', 100))).toEqual(['reviews-1']);
    expect(statusOf(run, 'Upstream', 'gantry-system', 'reviews-v2')?.status).toMatchObject({ endpoints: 1 });
  });
});

describe('weights across Upstreams', () => {
  it('split 1000 requests 80/20 within five standard deviations', async () => {
    await h.apply(world(V2_ONLY));
    const n = 1000;
    const counts = await spread('weighted.example', n);
    // Binomial(1000, 0.2): standard deviation 12.6 requests.
    const sd = Math.sqrt(n * 0.2 * 0.8);
    expect(Math.abs((counts.light ?? 0) - n * 0.2)).toBeLessThanOrEqual(5 * sd);
    expect((counts.heavy ?? 0) + (counts.light ?? 0)).toBe(n);
  });
});

describe('an Upstream in another namespace', () => {
  it('needs a ReferenceGrant: 500 and RefNotPermitted without, routed with, 500 again when it goes', async () => {
    const denied = await h.apply(world(V2_ONLY));
    expect((await send({ port, host: 'cross.example', path: '/' })).status).toBe(500);
    expect(routeConditions(denied.run, 'team-a', 'cross')).toContain('ResolvedRefs=False:RefNotPermitted');
    const granted = await h.apply(world(V2_ONLY, GRANT));
    expect((await echo({ port, host: 'cross.example', path: '/' })).backend).toBe('json');
    expect(routeConditions(granted.run, 'team-a', 'cross')).toContain('ResolvedRefs=True:ResolvedRefs');
    await h.apply(world(V2_ONLY));
    expect((await send({ port, host: 'cross.example', path: '/' })).status).toBe(500);
  });
});
