import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import * as cookie from 'cookie';
import winston from 'winston';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { GatewayIR } from '@gantry/ir';
import { TypeUrl, type EnvoyStatus, type XdsSnapshot } from '@gantry/xds';
import { createGantryMetrics, PROMETHEUS_CONTENT_TYPE } from '../metrics/index.js';
import { Pipeline } from '../pipeline.js';
import { snapshotFromYaml } from '@gantry/translator/testing/index';
import { createAdminServer, type AdminServer, type Readiness } from './server.js';

// fastify.inject() loads light-my-request, which require()s the ES-module-only `cookie` 2.x.
// Plain Node 20 allows that; Jest's CommonJS loader does not, so hand it the module we imported.
jest.mock('cookie', () => cookie);

// A real translation with TLS certificates (test-only keys in the golden input).
// A golden case of the translator's, read from its sources.
const INPUT = fileURLToPath(new URL('../../../translator/src/testdata/gateway-https-certificates.in.yaml', import.meta.url));

let cached: { snapshots: Map<string, XdsSnapshot>; pipeline: Pipeline } | undefined;
function translated(): { snapshots: Map<string, XdsSnapshot>; pipeline: Pipeline } {
  if (cached) return cached;
  const snapshots = new Map<string, XdsSnapshot>();
  const pipeline = new Pipeline({ sink: { set: (k, s) => void snapshots.set(k, s), delete: (k) => void snapshots.delete(k) } });
  pipeline.run(snapshotFromYaml(readFileSync(INPUT, 'utf8')));
  cached = { snapshots, pipeline };
  return cached;
}

const ENVOY: EnvoyStatus = {
  streamId: 7,
  nodeId: 'envoy-1',
  gatewayKey: 'default/gw',
  transport: 'delta',
  connectedAt: Date.UTC(2026, 0, 1),
  acked: new Map([[TypeUrl.Cluster, { version: 'abc', snapshotVersion: 3 }]]),
  lastNack: {
    typeUrl: TypeUrl.Secret,
    version: 'v2',
    code: 3,
    message: 'bad secret -----BEGIN PRIVATE KEY-----\nTOPSECRET\n-----END PRIVATE KEY-----',
    at: Date.UTC(2026, 0, 1, 0, 1),
  },
  syncedVersion: 2,
};

function setup(overrides: { readiness?: () => Readiness; ir?: (key: string) => GatewayIR | undefined } = {}) {
  const { snapshots, pipeline } = translated();
  const metrics = createGantryMetrics();
  let level = 'info';
  const server = createAdminServer({
    metrics,
    readiness: overrides.readiness ?? (() => ({ ready: true, reasons: [] })),
    debug: {
      gateways: () => pipeline.gatewayKeys(),
      ir: overrides.ir ?? ((k) => pipeline.ir(k)),
      xds: (k) => snapshots.get(k),
      envoys: (k) => [ENVOY].filter((e) => k === undefined || e.gatewayKey === k),
    },
    logLevel: { get: () => level, set: (l) => void (level = l) },
    log: winston.createLogger({ silent: true }),
  });
  return { server, metrics, pipeline, level: () => level };
}

/** Every private key the test input holds (so the test knows what must never leak). */
function privateKeys(ir: GatewayIR): string[] {
  return ir.secrets.map((s) => s.privateKey);
}

function keyBody(pem: string): string {
  return pem.split('\n').filter((l) => l !== '' && !l.startsWith('-----'))[0]!;
}

describe('admin server (inject)', () => {
  it('healthz answers 200', async () => {
    const { server } = setup();
    const res = await server.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it.each([
    { name: 'ready', readiness: (): Readiness => ({ ready: true, reasons: [] }), code: 200, body: { ready: true, reasons: [] } },
    {
      name: 'watches not synced',
      readiness: (): Readiness => ({ ready: false, reasons: ['watch HTTPRoute has not synced', 'no snapshot published yet'] }),
      code: 503,
      body: { ready: false, reasons: ['watch HTTPRoute has not synced', 'no snapshot published yet'] },
    },
    {
      name: 'a throwing check is not ready',
      readiness: (): Readiness => {
        throw new Error('boom');
      },
      code: 503,
      body: { ready: false, reasons: ['readiness check failed'] },
    },
  ])('readyz: $name', async ({ readiness, code, body }) => {
    const { server } = setup({ readiness });
    const res = await server.app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(code);
    expect(res.json()).toEqual(body);
  });

  it('metrics in the Prometheus text format', async () => {
    const { server, metrics } = setup();
    metrics.xdsPushes.inc({ namespace: 'default', name: 'gw', type: 'Cluster' }, 2);
    const res = await server.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe(PROMETHEUS_CONTENT_TYPE);
    expect(res.body).toContain('# TYPE gantry_xds_pushes_total counter\n');
    expect(res.body).toContain('gantry_xds_pushes_total{namespace="default",name="gw",type="Cluster"} 2\n');
  });

  it('lists Gateways', async () => {
    const { server } = setup();
    const res = await server.debugApp.inject({ method: 'GET', url: '/debug/gateways' });
    expect(res.json()).toEqual({ gateways: ['default/gw'] });
  });

  it('serves the IR and Envoy JSON of a Gateway without private keys', async () => {
    const { server, pipeline } = setup();
    const keys = privateKeys(pipeline.ir('default/gw')!);
    expect(keys.length).toBeGreaterThan(0);

    const ir = await server.debugApp.inject({ method: 'GET', url: '/debug/gateways/default/gw/ir' });
    expect(ir.statusCode).toBe(200);
    const irJson = ir.json() as GatewayIR;
    expect(irJson.secrets.length).toBe(keys.length);
    expect(irJson.secrets.every((s) => s.privateKey === '<redacted>')).toBe(true);
    expect(irJson.secrets[0]?.certificateChain).toContain('BEGIN CERTIFICATE');

    const xds = await server.debugApp.inject({ method: 'GET', url: '/debug/gateways/default/gw/xds' });
    expect(xds.statusCode).toBe(200);
    const xdsJson = xds.json() as { gateway: string; resources: { '@type': string }[] };
    expect(xdsJson.gateway).toBe('default/gw');
    expect(xdsJson.resources.some((r) => r['@type'] === TypeUrl.Secret)).toBe(true);
    expect(xdsJson.resources.some((r) => r['@type'] === TypeUrl.Listener)).toBe(true);

    for (const body of [ir.body, xds.body]) {
      expect(body).not.toMatch(/PRIVATE KEY/);
      for (const k of keys) expect(body).not.toContain(keyBody(k));
    }
  });

  it.each(['/debug/gateways/default/nope/ir', '/debug/gateways/default/nope/xds', '/nowhere'])('404 for %s', async (url) => {
    const { server } = setup();
    const res = await server.app.inject({ method: 'GET', url });
    expect(res.statusCode).toBe(404);
  });

  it('lists connected Envoys (all, or of one Gateway) with NACK text redacted', async () => {
    const { server } = setup();
    const all = await server.debugApp.inject({ method: 'GET', url: '/debug/envoys' });
    expect(all.json()).toEqual({
      envoys: [
        {
          gateway: 'default/gw',
          nodeId: 'envoy-1',
          streamId: 7,
          transport: 'delta',
          connectedAt: '2026-01-01T00:00:00.000Z',
          syncedVersion: 2,
          acked: { Cluster: { version: 'abc', snapshotVersion: 3 } },
          lastNack: { type: 'Secret', version: 'v2', code: 3, message: 'bad secret [redacted PEM]', at: '2026-01-01T00:01:00.000Z' },
        },
      ],
    });
    const other = await server.debugApp.inject({ method: 'GET', url: '/debug/envoys?gateway=other%2Fgw' });
    expect(other.json()).toEqual({ envoys: [] });
  });

  it('redacts a private key by content, wherever in the IR it sits', async () => {
    const { pipeline } = setup();
    const real = pipeline.ir('default/gw')!;
    // A source that forgets to keep keys out of a field redactIR does not know about.
    const leaky = { ...real, name: real.secrets[0]!.privateKey } as GatewayIR;
    const { server } = setup({ ir: () => leaky });
    const res = await server.debugApp.inject({ method: 'GET', url: '/debug/gateways/default/gw/ir' });
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain(keyBody(real.secrets[0]!.privateKey));
    expect(res.body).not.toContain('PRIVATE KEY');
  });

  it('keeps debug views and the log level off the public port, and lists each port\'s endpoints at GET /', async () => {
    const { server, level } = setup();
    for (const url of ['/debug/gateways', '/debug/gateways/default/gw/xds', '/debug/envoys', '/debug/log-level']) {
      expect((await server.app.inject({ method: 'GET', url })).statusCode).toBe(404);
    }
    expect((await server.app.inject({ method: 'PUT', url: '/debug/log-level', payload: { level: 'debug' } })).statusCode).toBe(404);
    expect(level()).toBe('info');
    for (const url of ['/healthz', '/readyz', '/metrics']) expect((await server.debugApp.inject({ method: 'GET', url })).statusCode).toBe(404);

    const index = (await server.app.inject({ method: 'GET', url: '/' })).json() as { server: string; endpoints: { method: string; path: string }[]; elsewhere: string };
    expect(index.server).toBe('gantry admin');
    expect(index.endpoints.map((e) => `${e.method} ${e.path}`)).toEqual(['GET /healthz', 'GET /readyz', 'GET /metrics']);
    expect(index.elsewhere).toContain('--debug-address');
    const debugIndex = (await server.debugApp.inject({ method: 'GET', url: '/' })).json() as typeof index;
    expect(debugIndex.endpoints.map((e) => `${e.method} ${e.path}`)).toEqual([
      'GET /debug/gateways', 'GET /debug/gateways/NS/NAME/ir', 'GET /debug/gateways/NS/NAME/xds', 'GET /debug/envoys', 'GET /debug/log-level', 'PUT /debug/log-level',
    ]);
    // Every endpoint listed answers something other than 404 (the NS/NAME ones with a real Gateway).
    for (const e of debugIndex.endpoints) {
      const url = e.path.replace('NS/NAME', 'default/gw');
      const res = await server.debugApp.inject({ method: e.method as 'GET' | 'PUT', url, ...(e.method === 'PUT' ? { payload: { level: 'info' } } : {}) });
      expect({ url, status: res.statusCode }).toEqual({ url, status: 200 });
    }
  });

  describe('log level', () => {
    it.each([
      { name: 'JSON body', payload: { level: 'debug' }, headers: {}, code: 200, after: 'debug' },
      { name: 'plain text body', payload: 'warn\n', headers: { 'content-type': 'text/plain' }, code: 200, after: 'warn' },
      { name: 'unknown level', payload: { level: 'loud' }, headers: {}, code: 400, after: 'info' },
      { name: 'no level', payload: { other: 1 }, headers: {}, code: 400, after: 'info' },
      { name: 'not a string', payload: { level: 3 }, headers: {}, code: 400, after: 'info' },
      { name: 'malformed JSON', payload: '{"level":', headers: { 'content-type': 'application/json' }, code: 400, after: 'info' },
    ])('PUT: $name → $code', async ({ payload, headers, code, after }) => {
      const { server, level } = setup();
      const res = await server.debugApp.inject({ method: 'PUT', url: '/debug/log-level', payload, headers });
      expect(res.statusCode).toBe(code);
      expect(level()).toBe(after);
      if (code === 200) expect(res.json()).toEqual({ level: after, previous: 'info' });
      else expect((res.json() as { error: string }).error).toBeTruthy();
    });

    it('GET shows the level and the choices', async () => {
      const { server } = setup();
      const res = await server.debugApp.inject({ method: 'GET', url: '/debug/log-level' });
      expect(res.json()).toEqual({ level: 'info', levels: ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] });
    });
  });
});

describe('admin server (real sockets on 127.0.0.1)', () => {
  let server: AdminServer;
  let base: string;
  let debugBase: string;

  beforeAll(async () => {
    server = setup().server;
    const port = await server.start('127.0.0.1', 0);
    base = `http://127.0.0.1:${port}`;
    debugBase = `http://127.0.0.1:${await server.startDebug('127.0.0.1', 0)}`;
  });

  afterAll(async () => {
    await server.stop();
  });

  it('answers health, readiness, metrics and a log-level change over HTTP', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.headers.get('content-type')).toBe(PROMETHEUS_CONTENT_TYPE);
    expect(await metrics.text()).toContain('# TYPE gantry_leader gauge');
    expect((await fetch(`${base}/debug/log-level`)).status).toBe(404);
    const put = await fetch(`${debugBase}/debug/log-level`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ level: 'debug' }) });
    expect(await put.json()).toEqual({ level: 'debug', previous: 'info' });
    expect(await (await fetch(`${debugBase}/debug/log-level`)).json()).toMatchObject({ level: 'debug' });
  });
});
