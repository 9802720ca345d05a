// The whole xDS path against the real Envoy: translated snapshots served by the ADS server to an
// Envoy started from adsBootstrap (delta and SotW): listeners, routes (RDS), clusters, endpoints
// (EDS) and certificates (SDS) are ACKed, traffic flows over HTTP and HTTPS, and a route edit
// made by the memoising translator reaches the data plane. No NACK is tolerated.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterIR, GatewayIR, ListenerIR, RouteIR, TLSSecretIR } from '@gantry/ir';
import { SnapshotCache } from '../cache/index.js';
import { TypeUrl } from '../resources.js';
import { AdsServer } from '../server/index.js';
import { envoyBinary, goldenCases } from '../translator/testing/index.js';
import { XdsTranslator } from '../translator/translator.js';
import { freePort, pollUntil } from '../testing/net.js';
import { adsBootstrap } from './ads.js';

const BACKEND = 'kube/test/echo/80';

function get(port: number, path: string, tls?: { servername: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const opts = { host: '127.0.0.1', port, path, headers: { host: tls?.servername ?? 'test.local' } };
    const done = (res: import('node:http').IncomingMessage): void => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    };
    const req = tls === undefined ? httpRequest(opts, done) : httpsRequest({ ...opts, servername: tls.servername, rejectUnauthorized: false }, done);
    req.on('error', reject);
    req.end();
  });
}

/** Clusters with hosts of their own, beside the EDS one: they get no assignment and need none. */
function upstreams(backendPort: number): ClusterIR[] {
  return [
    { name: 'upstream/test/dns', protocol: 'http1', discovery: { type: 'strictDns', hosts: [{ address: 'localhost', port: backendPort }] }, loadBalancer: { type: 'ringHash' } },
    {
      name: 'upstream/test/static',
      protocol: 'http1',
      discovery: { type: 'static', hosts: [{ address: '127.0.0.1', port: backendPort, weight: 2 }] },
      healthCheck: { intervalMs: 200, timeoutMs: 1000, unhealthyThreshold: 1, healthyThreshold: 1, check: { type: 'http', path: '/healthz' } },
      outlierDetection: { consecutive5xx: 5 },
      circuitBreakers: { maxRequests: 10 },
    },
  ];
}

function gatewayIR(httpPort: number, httpsPort: number, backendPort: number, greeting: string, withUpstreams = false): GatewayIR {
  const secret: TLSSecretIR = goldenCases().flatMap((c) => c.ir.secrets).find((s) => s.name === 'secret/default/foo-ecdsa')!;
  const hello: RouteIR = {
    name: 'httproute/test/hello/rule/0/match/0',
    match: { path: { type: 'Exact', value: '/hello' } },
    action: { kind: 'directResponse', status: 200, body: greeting },
  };
  const echo: RouteIR = {
    name: 'httproute/test/echo/rule/0/match/0',
    match: { path: { type: 'PathPrefix', value: '/echo' } },
    action: { kind: 'forward', backends: [{ cluster: BACKEND, weight: 1 }], urlRewrite: { path: { type: 'ReplacePrefixMatch', value: '/' } } },
  };
  const toUpstream = (name: string): RouteIR => ({
    name: `httproute/test/${name}/rule/0/match/0`,
    match: { path: { type: 'PathPrefix', value: `/${name}` } },
    action: { kind: 'forward', backends: [{ cluster: `upstream/test/${name}`, weight: 1 }], hashPolicies: [{ type: 'header', name: 'x-user' }] },
  });
  const httpRoutes = withUpstreams ? [hello, echo, toUpstream('static'), toUpstream('dns')] : [hello, echo];
  const listeners: ListenerIR[] = [
    {
      name: `http-${httpPort}`,
      port: httpPort,
      protocol: 'HTTP',
      filterChains: [
        { name: `http-${httpPort}`, serverNames: [], routeConfig: { name: `http-${httpPort}`, virtualHosts: [{ name: 'any', domains: ['*'], routes: httpRoutes }] } },
      ],
    },
    {
      name: `https-${httpsPort}`,
      port: httpsPort,
      protocol: 'HTTPS',
      filterChains: [
        {
          name: `https-${httpsPort}/foo`,
          serverNames: ['foo.example.org'],
          tlsSecrets: [secret.name],
          routeConfig: { name: `https-${httpsPort}/foo`, virtualHosts: [{ name: 'foo', domains: ['foo.example.org'], routes: [echo] }] },
        },
      ],
    },
  ];
  return {
    key: 'test/gw',
    namespace: 'test',
    name: 'gw',
    listeners,
    clusters: [{ name: BACKEND, protocol: 'http1' }, ...(withUpstreams ? upstreams(backendPort) : [])],
    endpoints: [{ cluster: BACKEND, endpoints: [{ address: '127.0.0.1', port: backendPort }] }],
    secrets: [secret],
  };
}

let backend: Server;
let backendPort = 0;
let binary = '';

beforeAll(async () => {
  binary = envoyBinary();
  backend = createServer((req, res) => res.writeHead(200).end(`backend saw ${req.url ?? ''}`));
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  backendPort = (backend.address() as AddressInfo).port;
});

afterAll(async () => {
  backend.closeAllConnections();
  await new Promise<void>((resolve) => backend.close(() => resolve()));
});

describe.each([
  ['delta', false],
  ['sotw', true],
])('Envoy fed over %s ADS', (transport, sotw) => {
  const cache = new SnapshotCache();
  const server = new AdsServer({ cache, phaseTimeoutMs: 2000 });
  const translator = new XdsTranslator();
  const nacks: string[] = [];
  let envoy: ChildProcess | undefined;
  let output = '';
  let dir = '';
  let httpPort = 0;
  let httpsPort = 0;

  beforeAll(async () => {
    server.on('nack', (_gw: string, type: string, _v: string, _node: string, message: string) => nacks.push(`${type}: ${message}`));
    const xdsPort = await server.start('127.0.0.1', 0);
    httpPort = await freePort();
    httpsPort = await freePort();
    cache.set('test/gw', translator.translate(gatewayIR(httpPort, httpsPort, backendPort, 'hello v1'), { listenAddress: '127.0.0.1' }));

    dir = mkdtempSync(join(tmpdir(), `gantry-xds-ads-${transport}-`));
    const file = join(dir, 'bootstrap.json');
    const adminPort = await freePort();
    writeFileSync(file, JSON.stringify(adsBootstrap({ gatewayKey: 'test/gw', nodeId: `envoy-${transport}`, xdsHost: '127.0.0.1', xdsPort, adminPort, sotw })));
    envoy = spawn(binary, ['-c', file, '-l', 'warn', '--disable-hot-restart', '--base-id', String((process.pid + (sotw ? 1 : 2)) % 60000)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    envoy.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    envoy.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  }, 30_000);

  afterAll(async () => {
    if (envoy !== undefined && envoy.exitCode === null) {
      const exited = new Promise((resolve) => envoy!.once('exit', resolve));
      envoy.kill('SIGTERM');
      await exited;
    }
    await server.stop(500);
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('serves HTTP (RDS, EDS) and HTTPS (SDS) from translated resources', async () => {
    const hello = await pollUntil('hello', () => get(httpPort, '/hello'), (r) => r.status === 200, 15_000).catch((e: Error) => {
      throw new Error(`${e.message}\nenvoy output:\n${output}`);
    });
    expect(hello.body).toBe('hello v1');
    expect((await pollUntil('echo', () => get(httpPort, '/echo/a/b'), (r) => r.status === 200, 15_000)).body).toBe('backend saw /a/b');
    const tls = await pollUntil('https', () => get(httpsPort, '/echo/x', { servername: 'foo.example.org' }), (r) => r.status === 200, 15_000);
    expect(tls.body).toBe('backend saw /x');
    expect(nacks).toEqual([]);
  }, 30_000);

  it('applies a route edit from the memoising translator', async () => {
    cache.set('test/gw', translator.translate(gatewayIR(httpPort, httpsPort, backendPort, 'hello v2'), { listenAddress: '127.0.0.1' }));
    await pollUntil('edited route', () => get(httpPort, '/hello'), (r) => r.body === 'hello v2', 15_000);
    expect(nacks).toEqual([]);
  }, 30_000);

  it('adds clusters with hosts of their own (static, strict DNS) and policies, with no assignment for them', async () => {
    const snapshot = translator.translate(gatewayIR(httpPort, httpsPort, backendPort, 'hello v3', true), { listenAddress: '127.0.0.1' });
    expect([...snapshot[TypeUrl.ClusterLoadAssignment].keys()]).toEqual([BACKEND]);
    cache.set('test/gw', snapshot);
    expect((await pollUntil('static upstream', () => get(httpPort, '/static/a'), (r) => r.status === 200, 15_000)).body).toBe('backend saw /static/a');
    expect((await pollUntil('dns upstream', () => get(httpPort, '/dns/b'), (r) => r.status === 200, 15_000)).body).toBe('backend saw /dns/b');
    expect(nacks).toEqual([]);
  }, 30_000);
});
