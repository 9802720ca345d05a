// Cluster policies through the real Envoy (static bootstrap, one worker so that balancing is
// deterministic per connection): hosts of their own (static with weights, strict DNS), an active
// health check, ring-hash stickiness, a circuit breaker, outlier ejection, TLS origination with
// SNI. Every server listens on 127.0.0.1; every wait is bounded.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { ClusterIR, GatewayIR, HashPolicyIR, RouteIR } from '@gantry/ir';
import { validate } from '@gantry/ir';
import { envoyBinary } from '../translator/testing/index.js';
import { translateXds } from '../translator/translator.js';
import { selfSignedCertificate } from '../testing/certificates.js';
import { freePort, pollUntil } from '../testing/net.js';
import { startStaticEnvoy, type StaticEnvoy } from '../testing/static-envoy.js';
import { staticBootstrap } from './static.js';

interface Reply {
  readonly status: number;
  readonly server: string;
  readonly overloaded: boolean;
  readonly body: string;
}

/** A backend: answers with its id, unless told otherwise. */
interface Backend {
  readonly id: string;
  readonly server: Server;
  port: number;
  healthy: boolean;
  failing: boolean;
}

const backends: Backend[] = [];

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function backend(id: string, opts: { delayMs?: number } = {}): Promise<Backend> {
  const b: Backend = { id, server: createServer(), port: 0, healthy: true, failing: false };
  b.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.url === '/healthz') {
      res.writeHead(b.healthy ? 200 : 503).end();
      return;
    }
    const reply = (): void => {
      res.writeHead(b.failing ? 500 : 200, { 'x-server': id }).end(id);
    };
    if (opts.delayMs !== undefined) setTimeout(reply, opts.delayMs).unref();
    else reply();
  });
  b.port = await listen(b.server);
  backends.push(b);
  return b;
}

function send(port: number, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    // A connection per request: concurrent requests really are concurrent.
    const req = request({ host: '127.0.0.1', port, path, agent: false, headers: { host: 'test.local', ...headers }, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, server: String(res.headers['x-server'] ?? ''), overloaded: res.headers['x-envoy-overloaded'] === 'true', body }),
      );
    });
    req.on('timeout', () => req.destroy(new Error(`${path}: timed out`)));
    req.on('error', reject);
    req.end();
  });
}

async function sequence(port: number, path: string, n: number, headers: Record<string, string> = {}): Promise<Reply[]> {
  const out: Reply[] = [];
  for (let i = 0; i < n; i++) out.push(await send(port, path, headers));
  return out;
}

function counts(replies: readonly Reply[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of replies) m.set(r.server, (m.get(r.server) ?? 0) + 1);
  return m;
}

function route(name: string, cluster: string, hashPolicies?: readonly HashPolicyIR[]): RouteIR {
  return {
    name: `httproute/test/${name}/rule/0/match/0`,
    match: { path: { type: 'PathPrefix', value: `/${name}` } },
    action: { kind: 'forward', backends: [{ cluster, weight: 1 }], ...(hashPolicies === undefined ? {} : { hashPolicies }) },
  };
}

const local = (b: Backend, extra: { weight?: number; sni?: string } = {}): { address: string; port: number; weight?: number; sni?: string } => ({
  address: '127.0.0.1',
  port: b.port,
  ...extra,
});

let envoy: StaticEnvoy | undefined;
let port = 0;
let hcA: Backend;
let hcB: Backend;
let tlsServers: Server[] = [];

beforeAll(async () => {
  const binary = envoyBinary();
  const [w1, w3, dns, r1, r2, r3, slow, good, bad] = await Promise.all([
    backend('w1'),
    backend('w3'),
    backend('dns'),
    backend('r1'),
    backend('r2'),
    backend('r3'),
    backend('slow', { delayMs: 400 }),
    backend('good'),
    backend('bad'),
  ]);
  [hcA, hcB] = await Promise.all([backend('hcA'), backend('hcB')]);
  bad!.failing = true;

  // Two TLS servers with one certificate; each answers with its id and the SNI it was sent.
  const cert = selfSignedCertificate(['tls.example.test', 'other.example.test']);
  const tlsPorts: number[] = [];
  for (const id of ['tls1', 'tls2']) {
    const server = createTlsServer({ cert: cert.cert, key: cert.key }, (req, res) => {
      res.writeHead(200, { 'x-server': id }).end((req.socket as TLSSocket).servername || '(none)');
    });
    tlsServers.push(server);
    tlsPorts.push(await listen(server));
  }

  const fast = { intervalMs: 100, timeoutMs: 1000, unhealthyThreshold: 1, healthyThreshold: 1 } as const;
  const clusters: ClusterIR[] = [
    { name: 'upstream/test/breaker', protocol: 'http1', discovery: { type: 'static', hosts: [local(slow!)] }, circuitBreakers: { maxConnections: 1, maxPendingRequests: 1, maxRequests: 1 } },
    { name: 'upstream/test/dns', protocol: 'http1', discovery: { type: 'strictDns', hosts: [{ address: 'localhost', port: dns!.port }] } },
    {
      name: 'upstream/test/health',
      protocol: 'http1',
      discovery: { type: 'static', hosts: [local(hcA), local(hcB)] },
      healthCheck: { ...fast, check: { type: 'http', path: '/healthz', expectedStatuses: [{ start: 200, end: 299 }] } },
    },
    {
      name: 'upstream/test/outlier',
      protocol: 'http1',
      discovery: { type: 'static', hosts: [local(good!), local(bad!)] },
      outlierDetection: { consecutive5xx: 2, intervalMs: 1000, baseEjectionTimeMs: 60_000, maxEjectionPercent: 50 },
    },
    { name: 'upstream/test/ring', protocol: 'http1', discovery: { type: 'static', hosts: [local(r1!), local(r2!), local(r3!)] }, loadBalancer: { type: 'ringHash' } },
    {
      name: 'upstream/test/tls',
      protocol: 'http1',
      discovery: { type: 'static', hosts: [{ address: '127.0.0.1', port: tlsPorts[0]! }, { address: '127.0.0.1', port: tlsPorts[1]!, sni: 'other.example.test' }] },
      tls: { sni: 'tls.example.test' },
    },
    { name: 'upstream/test/weighted', protocol: 'http1', discovery: { type: 'static', hosts: [local(w1!, { weight: 1 }), local(w3!, { weight: 3 })] } },
  ];
  port = await freePort();
  const routes = [
    route('weighted', 'upstream/test/weighted'),
    route('dns', 'upstream/test/dns'),
    route('health', 'upstream/test/health'),
    route('sticky', 'upstream/test/ring', [{ type: 'header', name: 'x-user' }]),
    route('breaker', 'upstream/test/breaker'),
    route('outlier', 'upstream/test/outlier'),
    route('tls', 'upstream/test/tls'),
  ];
  const ir: GatewayIR = {
    key: 'test/gw',
    namespace: 'test',
    name: 'gw',
    listeners: [
      {
        name: `http-${port}`,
        port,
        protocol: 'HTTP',
        filterChains: [{ name: `http-${port}`, serverNames: [], routeConfig: { name: `http-${port}`, virtualHosts: [{ name: 'any', domains: ['*'], routes }] } }],
      },
    ],
    clusters,
    endpoints: [],
    secrets: [],
  };
  expect(validate(ir)).toEqual([]);

  const adminPort = await freePort();
  envoy = await startStaticEnvoy(binary, staticBootstrap(translateXds(ir, { listenAddress: '127.0.0.1' }), { adminPort }), {
    baseId: (process.pid % 60000) + 1,
    concurrency: 1,
    ready: async () => (await send(port, '/weighted')).status === 200,
  });
}, 30_000);

afterAll(async () => {
  await envoy?.stop();
  for (const s of [...backends.map((b) => b.server), ...tlsServers]) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

describe('cluster policies through Envoy', () => {
  it('balances a static cluster by host weight', async () => {
    const seen = counts(await sequence(port, '/weighted', 40));
    // Weighted round robin on one worker: 1 to 3, give or take the start of the cycle.
    expect(seen.get('w1') ?? 0).toBeGreaterThanOrEqual(8);
    expect(seen.get('w1') ?? 0).toBeLessThanOrEqual(12);
    expect(seen.get('w3') ?? 0).toBeGreaterThanOrEqual(28);
    expect((seen.get('w1') ?? 0) + (seen.get('w3') ?? 0)).toBe(40);
  });

  it('resolves a strict DNS host (localhost, IPv4 first)', async () => {
    const replies = await sequence(port, '/dns', 3);
    expect(replies.map((r) => [r.status, r.server])).toEqual([
      [200, 'dns'],
      [200, 'dns'],
      [200, 'dns'],
    ]);
  });

  it('takes a host that fails its health check out, and puts it back when it passes again', async () => {
    const both = (rs: Reply[]): boolean => rs.some((r) => r.server === 'hcA') && rs.some((r) => r.server === 'hcB');
    await pollUntil('both hosts serve', () => sequence(port, '/health', 6), both, 5000);
    hcB.healthy = false;
    // Data requests would still succeed on hcB: only the health check can take it out.
    const onlyA = await pollUntil('hcB taken out', () => sequence(port, '/health', 10), (rs) => rs.every((r) => r.status === 200 && r.server === 'hcA'), 5000);
    expect(onlyA).toHaveLength(10);
    hcB.healthy = true;
    await pollUntil('hcB put back', () => sequence(port, '/health', 6), both, 5000);
  });

  it('keeps a header value on one host (ring hash) and spreads different values', async () => {
    for (const user of ['alice', 'bob']) {
      const seen = counts(await sequence(port, '/sticky', 20, { 'x-user': user }));
      expect([user, seen.size, [...seen.values()]]).toEqual([user, 1, [20]]);
    }
    const hosts = new Set<string>();
    for (let i = 0; i < 30; i++) hosts.add((await send(port, '/sticky', { 'x-user': `user-${i}` })).server);
    expect(hosts.size).toBeGreaterThanOrEqual(2);
  });

  it('overflows the circuit breaker with 503 and x-envoy-overloaded', async () => {
    const replies = await Promise.all(Array.from({ length: 8 }, () => send(port, '/breaker')));
    const overflow = replies.filter((r) => r.status === 503 && r.overloaded);
    expect(overflow.length).toBeGreaterThanOrEqual(1);
    expect(replies.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(1);
    expect(overflow.length + replies.filter((r) => r.status === 200).length).toBe(8);
  });

  it('ejects a host that answers 5xx (outlier detection)', async () => {
    // Round robin: the bad host answers 500 twice in a row at most, then is ejected.
    const first = await sequence(port, '/outlier', 6);
    const errors = first.filter((r) => r.status === 500);
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(errors.length).toBeLessThanOrEqual(3);
    const after = await sequence(port, '/outlier', 10);
    expect(after.map((r) => [r.status, r.server])).toEqual(Array.from({ length: 10 }, () => [200, 'good']));
  });

  it('originates TLS with the cluster SNI, and a host its own', async () => {
    const replies = await sequence(port, '/tls', 6);
    const sni = new Map(replies.map((r) => [r.server, r.body]));
    expect(replies.every((r) => r.status === 200)).toBe(true);
    expect(Object.fromEntries(sni)).toEqual({ tls1: 'tls.example.test', tls2: 'other.example.test' });
  });
});
