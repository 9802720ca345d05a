// Traffic through a real Envoy: how requests reach backends. Weighted splits, the request and
// backendRequest timeouts, retries (counting attempts; on listed codes, on a backend timeout
// (HTTPRouteRetryBackendTimeout) and on a connection error (HTTPRouteRetryConnectionError)), h2c
// backends, websocket backends.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Agent } from 'node:http';
import type { EchoServer } from '@gantry/gatewayclass-controller/examples/echo-backend';
import { echo, echoOf, send, webSocketRoundTrip } from './client.js';
import { GATEWAY_CLASS, TrafficHarness, docs, freePort, gatewayYaml, serviceYaml } from './harness.js';

let h: TrafficHarness;
let port: number;
let servers: Record<string, EchoServer>;
let h2c: EchoServer;
let ws: EchoServer;
let world: string;

const HOST = 'backends.test';

beforeAll(async () => {
  h = await TrafficHarness.start();
  port = await freePort();
  const set = await h.backendSet(['w1', 'w2', 'w3', 'w0', 'slow', 'flaky', 'plain', 'ep-a', 'ep-b']);
  servers = set.servers;
  const live = await h.backend('live');
  const deadPort = await freePort(); // free: nothing listens there
  h2c = await h.backend('h2c', { h2c: true });
  ws = await h.backend('ws');
  world = docs(
    GATEWAY_CLASS,
    gatewayYaml(`{name: http, protocol: HTTP, port: ${port}}`),
    set.yaml,
    serviceYaml('h2c', h2c.port, { appProtocol: 'kubernetes.io/h2c' }),
    serviceYaml('ws', ws.port, { appProtocol: 'kubernetes.io/ws' }),
    halfDead(live, deadPort),
    `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: backends, namespace: default}
spec:
  parentRefs: [{name: gw}]
  hostnames: [${HOST}]
  rules:
  - matches: [{path: {value: /weighted}}]
    backendRefs:
    - {name: w1, port: 80, weight: 20}
    - {name: w2, port: 80, weight: 30}
    - {name: w3, port: 80, weight: 50}
    - {name: w0, port: 80, weight: 0}
  - matches: [{path: {value: /timeout/request}}]
    timeouts: {request: 500ms}
    backendRefs: [{name: slow, port: 80}]
  - matches: [{path: {value: /timeout/backend}}]
    timeouts: {backendRequest: 300ms}
    backendRefs: [{name: slow, port: 80}]
  - matches: [{path: {value: /timeout/both}}]
    timeouts: {request: 3s, backendRequest: 300ms}
    retry: {attempts: 2, codes: [503], backoff: 10ms}
    backendRefs: [{name: slow, port: 80}]
  - matches: [{path: {value: /retry}}]
    retry: {attempts: 2, codes: [503], backoff: 10ms}
    backendRefs: [{name: flaky, port: 80}]
  - matches: [{path: {value: /no-retry}}]
    backendRefs: [{name: flaky, port: 80}]
  - matches: [{path: {value: /retry-timeout}}]
    timeouts: {backendRequest: 300ms}
    retry: {attempts: 2, backoff: 10ms}
    backendRefs: [{name: flaky, port: 80}]
  - matches: [{path: {value: /retry-connect}}]
    retry: {attempts: 2, backoff: 10ms}
    backendRefs: [{name: half-dead, port: 80}]
  - matches: [{path: {value: /no-retry-connect}}]
    backendRefs: [{name: half-dead, port: 80}]
  - matches: [{path: {value: /h2c}}]
    backendRefs: [{name: h2c, port: 80}]
  - matches: [{path: {value: /ws}}]
    backendRefs: [{name: ws, port: 80}]
  - matches: [{path: {value: /plain}}]
    backendRefs: [{name: plain, port: 80}]
  - matches: [{path: {value: /endpoints}}]
    backendRefs: [{name: multi, port: 80}]
`,
  );
  await h.apply(docs(world, multiEndpoints(true, false)));
});

/**
 * Service `half-dead`: one endpoint is an echo server, the other a loopback port nobody listens
 * on (connections to it are refused), so about every other attempt is a connection error.
 */
function halfDead(live: EchoServer, deadPort: number): string {
  const slice = (name: string, port: number): string => `
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: half-dead-${name}, namespace: default, labels: {kubernetes.io/service-name: half-dead}}
addressType: IPv4
endpoints: [{addresses: [127.0.0.1], conditions: {ready: true}}]
ports: [{name: http, port: ${port}, protocol: TCP}]
`;
  return docs(
    `
apiVersion: v1
kind: Service
metadata: {name: half-dead, namespace: default}
spec: {ports: [{name: http, port: 80, targetPort: 8080}]}
`,
    slice('live', live.port),
    slice('dead', deadPort),
  );
}

/** Service `multi` with one EndpointSlice per echo server (each its own port), readiness as given. */
function multiEndpoints(aReady: boolean, bReady: boolean): string {
  const slice = (name: string, port: number, ready: boolean): string => `
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: multi-${name}, namespace: default, labels: {kubernetes.io/service-name: multi}}
addressType: IPv4
endpoints: [{addresses: [127.0.0.1], conditions: {ready: ${ready}}}]
ports: [{name: http, port: ${port}, protocol: TCP}]
`;
  return docs(
    `
apiVersion: v1
kind: Service
metadata: {name: multi, namespace: default}
spec: {ports: [{name: http, port: 80, targetPort: 8080}]}
`,
    slice('a', (servers['ep-a'] as EchoServer).port, aReady),
    slice('b', (servers['ep-b'] as EchoServer).port, bReady),
  );
}

afterAll(async () => {
  await h?.stop();
});

describe('weighted backends', () => {
  it('split 1000 requests 20/30/50 within five standard deviations; weight 0 gets nothing', async () => {
    const n = 1000;
    const counts: Record<string, number> = { w1: 0, w2: 0, w3: 0, w0: 0 };
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    try {
      for (let i = 0; i < n; i += 50) {
        const batch = await Promise.all(Array.from({ length: 50 }, () => echo({ port, host: HOST, path: '/weighted', agent })));
        for (const e of batch) counts[e.backend] = (counts[e.backend] ?? 0) + 1;
      }
    } finally {
      agent.destroy();
    }
    // Envoy picks a backend per request at random with probability weight/total, so each count is
    // Binomial(n, p) with standard deviation sqrt(n p (1-p)): 12.6, 14.5 and 15.8 requests here.
    // Allowing 5 of them either side, a correct split fails about once in 600,000 runs, while a
    // split that ignores weights (333 each) or swaps two of them is far outside.
    for (const [name, p] of [['w1', 0.2], ['w2', 0.3], ['w3', 0.5]] as const) {
      const count = counts[name] ?? 0;
      const sd = Math.sqrt(n * p * (1 - p));
      expect({ name, count, withinTolerance: Math.abs(count - n * p) <= 5 * sd }).toEqual({ name, count, withinTolerance: true });
    }
    expect(counts.w0).toBe(0);
    expect(servers.w0?.requests.length).toBe(0);
    expect((counts.w1 ?? 0) + (counts.w2 ?? 0) + (counts.w3 ?? 0)).toBe(n);
  });
});

async function timed<T>(f: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await f();
  return { value, ms: performance.now() - start };
}

describe('timeouts', () => {
  it('request: 504 once the whole request took 500 ms', async () => {
    const { value, ms } = await timed(() => send({ port, host: HOST, path: '/timeout/request', headers: { 'x-echo-delay-ms': '2000' } }));
    expect(value.status).toBe(504);
    expect(ms).toBeGreaterThanOrEqual(450);
    expect(ms).toBeLessThan(1500);
  });

  it('request: a backend within the timeout answers', async () => {
    const r = await send({ port, host: HOST, path: '/timeout/request', headers: { 'x-echo-delay-ms': '100' } });
    expect(r.status).toBe(200);
  });

  it('backendRequest: 504 once the backend took 300 ms', async () => {
    const { value, ms } = await timed(() => send({ port, host: HOST, path: '/timeout/backend', headers: { 'x-echo-delay-ms': '2000' } }));
    expect(value.status).toBe(504);
    expect(ms).toBeGreaterThanOrEqual(250);
    expect(ms).toBeLessThan(1000);
    const r = await send({ port, host: HOST, path: '/timeout/backend', headers: { 'x-echo-delay-ms': '50' } });
    expect(r.status).toBe(200);
  });

  it('backendRequest bounds each attempt, not the request', async () => {
    const key = `both-${Date.now()}`;
    const slow = servers.slow as EchoServer;
    const { value, ms } = await timed(() =>
      send({ port, host: HOST, path: '/timeout/both', headers: { 'x-echo-delay-ms': '2000', 'x-echo-attempt-key': key } }),
    );
    const attempts = slow.requests.filter((r) => r.headers['x-echo-attempt-key'] === key).length;
    expect(value.status).toBe(504);
    // Each attempt is cut at 300 ms: whether or not timed-out attempts are retried, the answer
    // comes long before the 2 s the backend would take and before the 3 s request timeout.
    expect(ms).toBeLessThan(300 * (attempts + 1) + 500);
    expect(ms).toBeGreaterThanOrEqual(250 * attempts);
    expect(attempts).toBeGreaterThanOrEqual(1);
    expect(attempts).toBeLessThanOrEqual(3);
  });
});

describe('retry', () => {
  function attemptsOf(key: string): number {
    return (servers.flaky as EchoServer).requests.filter((r) => r.headers['x-echo-attempt-key'] === key).length;
  }

  it('retries a listed code until an attempt succeeds', async () => {
    const key = `twice-${Date.now()}`;
    const r = await send({ port, host: HOST, path: '/retry', headers: { 'x-echo-fail-times': '2', 'x-echo-attempt-key': key } });
    expect(r.status).toBe(200);
    expect(echoOf(r).backend).toBe('flaky');
    expect(attemptsOf(key)).toBe(3);
  });

  it('gives up after `attempts` retries with the last answer', async () => {
    const key = `always-${Date.now()}`;
    const r = await send({ port, host: HOST, path: '/retry', headers: { 'x-echo-fail-times': '5', 'x-echo-attempt-key': key } });
    expect(r.status).toBe(503);
    expect(attemptsOf(key)).toBe(3);
  });

  it('does not retry a code that is not listed', async () => {
    const key = `500-${Date.now()}`;
    const r = await send({ port, host: HOST, path: '/retry', headers: { 'x-echo-fail-times': '1', 'x-echo-fail-status': '500', 'x-echo-attempt-key': key } });
    expect(r.status).toBe(500);
    expect(attemptsOf(key)).toBe(1);
  });

  it('backend timeout: an attempt cut by backendRequest is retried (HTTPRouteRetryBackendTimeout)', async () => {
    const key = `timeout-${Date.now()}`;
    const start = performance.now();
    const r = await send({
      port, host: HOST, path: '/retry-timeout',
      headers: { 'x-echo-fail-times': '1', 'x-echo-fail-status': '200', 'x-echo-fail-delay-ms': '3000', 'x-echo-attempt-key': key },
    });
    const ms = performance.now() - start;
    expect(r.status).toBe(200);
    expect(attemptsOf(key)).toBe(2);
    // The first attempt was given up at 300 ms, long before its 3 s answer.
    expect(ms).toBeGreaterThanOrEqual(250);
    expect(ms).toBeLessThan(2000);
  });

  it('backend timeout: every attempt timed out gives 504 after attempts + 1 tries', async () => {
    const key = `timeout-all-${Date.now()}`;
    const r = await send({
      port, host: HOST, path: '/retry-timeout',
      headers: { 'x-echo-fail-times': '5', 'x-echo-fail-delay-ms': '3000', 'x-echo-attempt-key': key },
    });
    expect(r.status).toBe(504);
    expect(attemptsOf(key)).toBe(3);
  });

  it('connection error: a refused connection is retried on another endpoint (HTTPRouteRetryConnectionError)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await send({ port, host: HOST, path: '/retry-connect' })).status);
    expect(statuses).toEqual(Array.from({ length: 20 }, () => 200));
    // Without a retry policy the same Service fails whenever the dead endpoint is picked.
    const without: number[] = [];
    for (let i = 0; i < 20; i++) without.push((await send({ port, host: HOST, path: '/no-retry-connect' })).status);
    expect(without.filter((s) => s === 503).length).toBeGreaterThan(0);
    expect(without.filter((s) => s === 200).length).toBeGreaterThan(0);
  });

  it('does not retry without a retry policy', async () => {
    const key = `none-${Date.now()}`;
    const r = await send({ port, host: HOST, path: '/no-retry', headers: { 'x-echo-fail-times': '1', 'x-echo-attempt-key': key } });
    expect(r.status).toBe(503);
    expect(attemptsOf(key)).toBe(1);
  });
});

describe('endpoints', () => {
  async function spread(n: number): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const b = (await echo({ port, host: HOST, path: '/endpoints' })).backend;
      counts[b] = (counts[b] ?? 0) + 1;
    }
    return counts;
  }

  it('only ready endpoints get traffic; readiness changes apply', async () => {
    expect(await spread(20)).toEqual({ 'ep-a': 20 });
    await h.apply(docs(world, multiEndpoints(false, true)));
    expect(await spread(20)).toEqual({ 'ep-b': 20 });
  });

  it('every ready endpoint gets a share (round robin)', async () => {
    await h.apply(docs(world, multiEndpoints(true, true)));
    // Each Envoy worker thread alternates on its own, so the split is 10/10 give or take one per
    // worker; at least 5 each holds for up to 10 workers.
    const counts = await spread(20);
    expect(Object.keys(counts).sort()).toEqual(['ep-a', 'ep-b']);
    expect(Math.min(counts['ep-a'] ?? 0, counts['ep-b'] ?? 0)).toBeGreaterThanOrEqual(5);
  });
});

describe('backend protocols', () => {
  it('h2c: appProtocol kubernetes.io/h2c speaks HTTP/2 without TLS to the backend', async () => {
    const e = await echo({ port, host: HOST, path: '/h2c/x' });
    expect(e.backend).toBe('h2c');
    expect(e.protocol).toBe('HTTP/2.0');
    expect(e.path).toBe('/h2c/x');
    expect(e.host).toBe(HOST);
    expect((await echo({ port, host: HOST, path: '/plain' })).protocol).toBe('HTTP/1.1');
  });

  it('websocket: appProtocol kubernetes.io/ws upgrades through Envoy and echoes a message', async () => {
    const r = await webSocketRoundTrip({ port, host: HOST, path: '/ws/chat', message: 'hello over websocket' });
    expect(r.status).toBe(101);
    expect(r.acceptValid).toBe(true);
    expect(r.headers['x-backend']).toBe('ws');
    expect(r.echoed).toBe('hello over websocket');
    expect(ws.requests.some((q) => q.path === '/ws/chat' && q.headers.upgrade === 'websocket')).toBe(true);
  });

  it('no upgrade to a backend that did not declare websocket', async () => {
    const before = (servers.plain as EchoServer).requests.length;
    const r = await webSocketRoundTrip({ port, host: HOST, path: '/plain', message: 'x' });
    expect(r.status).not.toBe(101);
    expect(r.echoed).toBeUndefined();
    expect((servers.plain as EchoServer).requests.length).toBe(before);
  });
});
