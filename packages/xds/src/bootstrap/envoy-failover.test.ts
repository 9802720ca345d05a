// Endpoint localities and priorities through the real Envoy (static bootstrap: the EDS endpoints
// inlined, one worker): what a VirtualDestination across clusters becomes. With LocalFirst the
// local endpoint (priority 0) takes every request; when it fails, outlier detection ejects it and
// traffic fails over to the remote one (priority 1); when it is back and its ejection ends,
// traffic returns. With Spread (every endpoint priority 0) both serve. Every server listens on
// 127.0.0.1; every wait is bounded.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ClusterIR, GatewayIR, RouteIR } from '@gantry/ir';
import { validate } from '@gantry/ir';
import { envoyBinary } from '../translator/testing/index.js';
import { translateXds } from '../translator/translator.js';
import { freePort, pollUntil } from '../testing/net.js';
import { startStaticEnvoy, type StaticEnvoy } from '../testing/static-envoy.js';
import { staticBootstrap } from './static.js';

interface Backend {
  server: Server;
  readonly id: string;
  port: number;
}

const backends: Backend[] = [];

function serve(id: string, port = 0): Promise<Backend> {
  const server = createServer((_req, res) => res.writeHead(200, { 'x-server': id }).end(id));
  return new Promise((resolve) =>
    server.listen(port, '127.0.0.1', () => {
      const b = { server, id, port: (server.address() as AddressInfo).port };
      backends.push(b);
      resolve(b);
    }),
  );
}

async function stop(b: Backend): Promise<void> {
  b.server.closeAllConnections();
  await new Promise<void>((resolve) => b.server.close(() => resolve()));
}

/** One request on its own connection: the backend id, or `status <n>` / `error`. */
function send(port: number, path: string): Promise<string> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, headers: { host: 'test.local' }, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200 ? String(res.headers['x-server'] ?? '') : `status ${res.statusCode}`));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve('error'));
    req.end();
  });
}

async function sequence(port: number, path: string, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(await send(port, path));
  return out;
}

const route = (name: string, cluster: string): RouteIR => ({
  name: `httproute/test/${name}/rule/0/match/0`,
  match: { path: { type: 'PathPrefix', value: `/${name}` } },
  action: { kind: 'forward', backends: [{ cluster, weight: 1 }] },
});

let envoy: StaticEnvoy | undefined;
let port = 0;
let local: Backend;
let remote: Backend;
let spreadLocal: Backend;
let spreadRemote: Backend;

beforeAll(async () => {
  [local, remote, spreadLocal, spreadRemote] = await Promise.all([serve('local'), serve('east'), serve('spread-local'), serve('spread-east')]);
  // Ejected for 3 s: long enough to see the failover settle, short enough to see traffic return.
  const outlierDetection = { consecutive5xx: 3, intervalMs: 200, baseEjectionTimeMs: 3000, maxEjectionPercent: 100 };
  const clusters: ClusterIR[] = [
    { name: 'vd/test/app/8080', protocol: 'http1', outlierDetection },
    { name: 'vd/test/spread/8080', protocol: 'http1', outlierDetection },
  ];
  port = await freePort();
  const ir: GatewayIR = {
    key: 'test/gw',
    namespace: 'test',
    name: 'gw',
    listeners: [{
      name: `http-${port}`,
      port,
      protocol: 'HTTP',
      filterChains: [{
        name: `http-${port}`,
        serverNames: [],
        routeConfig: { name: `http-${port}`, virtualHosts: [{ name: 'any', domains: ['*'], routes: [route('app', 'vd/test/app/8080'), route('spread', 'vd/test/spread/8080')] }] },
      }],
    }],
    clusters,
    endpoints: [
      {
        cluster: 'vd/test/app/8080',
        endpoints: [
          { address: '127.0.0.1', port: local.port, locality: 'local' },
          { address: '127.0.0.1', port: remote.port, locality: 'east', priority: 1 },
        ].sort((a, b) => a.port - b.port),
      },
      {
        cluster: 'vd/test/spread/8080',
        endpoints: [
          { address: '127.0.0.1', port: spreadLocal.port, locality: 'local' },
          { address: '127.0.0.1', port: spreadRemote.port, locality: 'east' },
        ].sort((a, b) => a.port - b.port),
      },
    ],
    secrets: [],
  };
  expect(validate(ir)).toEqual([]);
  envoy = await startStaticEnvoy(envoyBinary(), staticBootstrap(translateXds(ir, { listenAddress: '127.0.0.1' }), { adminPort: await freePort() }), {
    baseId: (process.pid % 60000) + 7,
    concurrency: 1,
    ready: async () => (await send(port, '/app')) === 'local',
  });
}, 30_000);

afterAll(async () => {
  await envoy?.stop();
  for (const b of backends) if (b.server.listening) await stop(b);
});

describe('localities and priorities through Envoy', () => {
  it('LocalFirst: the local endpoint takes everything; ejected, traffic fails over to the remote one; back, it returns', async () => {
    expect(new Set(await sequence(port, '/app', 20))).toEqual(new Set(['local']));
    // The local backend goes away: connection failures count as 5xx for outlier detection.
    await stop(local);
    const started = Date.now();
    const during: string[] = [];
    let firstEast = 0;
    await pollUntil('failover to east', async () => {
      const r = await send(port, '/app');
      if (r === 'east' && firstEast === 0) firstEast = Date.now() - started;
      during.push(r);
      return during.slice(-10);
    }, (last) => last.length === 10 && last.every((r) => r === 'east'), 10_000);
    const failed = during.filter((r) => r !== 'east' && r !== 'local').length;
    process.stdout.write(`failover: ${failed} failed request(s) (${during.slice(0, failed).join(', ')}) of ${during.length}; first served by east after ${firstEast} ms\n`);
    // At most the consecutive failures that eject it (3), plus one per sweep interval at the edge.
    expect(failed).toBeLessThanOrEqual(4);
    // The local endpoint comes back on the same port; after its ejection time, traffic returns.
    local = await serve('local', local.port);
    await pollUntil('traffic back on local', () => sequence(port, '/app', 5), (rs) => rs.every((r) => r === 'local'), 10_000);
  });

  it('Spread: every endpoint at priority 0, both localities serve', async () => {
    const seen = new Set(await sequence(port, '/spread', 20));
    expect(seen).toEqual(new Set(['spread-local', 'spread-east']));
  });
});
