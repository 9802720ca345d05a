// Requests through the real Envoy running a static bootstrap: checks the Gateway API semantics
// that live in Envoy's behaviour rather than in the config's shape (path rewrites and their
// trailing slashes, redirect Location ports, header mutations, Host port stripping, CORS,
// retries, timeouts). Everything listens on 127.0.0.1.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GatewayIR, RouteIR } from '@gantry/ir';
import { envoyBinary } from '../translator/testing/index.js';
import { translateXds } from '../translator/translator.js';
import { staticBootstrap } from './static.js';
import { freePort } from '../testing/net.js';
import { startStaticEnvoy, type StaticEnvoy } from '../testing/static-envoy.js';

interface Echo {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
}

interface Response {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

const BACKEND = 'kube/test/echo/80';

function forward(name: string, prefix: string, extra: Partial<Extract<RouteIR['action'], { kind: 'forward' }>> = {}, route: Partial<RouteIR> = {}): RouteIR {
  return {
    name: `httproute/test/${name}/rule/0/match/0`,
    match: { path: { type: 'PathPrefix', value: prefix } },
    action: { kind: 'forward', backends: [{ cluster: BACKEND, weight: 1 }], ...extra },
    ...route,
  };
}

function redirect(name: string, prefix: string, action: Omit<Extract<RouteIR['action'], { kind: 'redirect' }>, 'kind'>): RouteIR {
  return { name: `httproute/test/${name}/rule/0/match/0`, match: { path: { type: 'PathPrefix', value: prefix } }, action: { kind: 'redirect', ...action } };
}

function gatewayIR(listenerPort: number, backendPort: number): GatewayIR {
  const routes: RouteIR[] = [
    forward('prefix', '/prefix/one', { urlRewrite: { path: { type: 'ReplacePrefixMatch', value: '/one' } } }),
    forward('strip', '/strip-prefix', { urlRewrite: { path: { type: 'ReplacePrefixMatch', value: '/' } } }),
    forward('slashes', '/slashes/', { urlRewrite: { path: { type: 'ReplacePrefixMatch', value: '/xyz/' } } }),
    forward('full', '/full', { urlRewrite: { hostname: 'rewritten.example.com', path: { type: 'ReplaceFullPath', value: '/one' } } }),
    forward('headers', '/headers', {}, {
      requestHeaders: {
        set: [{ name: 'x-header-set', value: 'set-overwrites-values' }],
        add: [{ name: 'x-header-add-append', value: 'header-val-2' }, { name: 'x-percent', value: '100%' }],
        remove: ['x-header-remove'],
      },
      responseHeaders: { set: [{ name: 'x-resp', value: 'r' }] },
    }),
    forward('cors', '/cors', {}, { cors: { allowOrigins: ['https://www.foo.com', 'https://*.bar.com'], allowMethods: ['GET', 'OPTIONS'], allowCredentials: true, maxAgeSeconds: 3600 } }),
    forward('cors-wild', '/wild-cors', {}, { cors: { allowOrigins: ['*'], allowMethods: ['*'], allowHeaders: ['*'], allowCredentials: true } }),
    forward('partly-invalid', '/partly-invalid', { invalidBackendWeight: 1 }),
    forward('retry', '/flaky', { retry: { codes: [503], attempts: 2, backoffMs: 10 } }),
    forward('timeout', '/slow', { timeouts: { requestMs: 300 } }),
    redirect('r1', '/scheme-nil-and-port-nil', { hostname: 'example.org', statusCode: 302 }),
    redirect('r2', '/scheme-nil-and-port-80', { hostname: 'example.org', port: 80, statusCode: 302 }),
    redirect('r3', '/scheme-https-and-port-nil', { scheme: 'https', hostname: 'example.org', statusCode: 301 }),
    redirect('r4', '/scheme-https-and-port-8443', { scheme: 'https', hostname: 'example.org', port: 8443, statusCode: 302 }),
    redirect('r5', '/original-prefix', { path: { type: 'ReplacePrefixMatch', value: '/replacement-prefix' }, statusCode: 302 }),
    redirect('r6', '/https-same-host', { scheme: 'https', port: 443, statusCode: 301 }),
    { name: 'httproute/test/teapot/rule/0/match/0', match: { path: { type: 'Exact', value: '/teapot' } }, action: { kind: 'directResponse', status: 418, body: 'short and stout' } },
    forward('root', '/'),
  ];
  return {
    key: 'test/gw',
    namespace: 'test',
    name: 'gw',
    listeners: [
      {
        name: `http-${listenerPort}`,
        port: listenerPort,
        protocol: 'HTTP',
        filterChains: [
          {
            name: `http-${listenerPort}`,
            serverNames: [],
            routeConfig: {
              name: `http-${listenerPort}`,
              virtualHosts: [
                { name: 'foo', domains: ['foo.example.com'], routes: [forward('foo', '/', {}, { responseHeaders: { set: [{ name: 'x-vhost', value: 'foo' }] } })] },
                { name: 'any', domains: ['*'], routes },
              ],
            },
          },
        ],
      },
    ],
    clusters: [{ name: BACKEND, protocol: 'http1' }],
    endpoints: [{ cluster: BACKEND, endpoints: [{ address: '127.0.0.1', port: backendPort }] }],
    secrets: [],
  };
}

function send(port: number, path: string, opts: { method?: string; headers?: Record<string, string> } = {}): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: { host: 'test.local', ...opts.headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function echoOf(r: Response): Echo {
  expect(r.status).toBe(200);
  return JSON.parse(r.body) as Echo;
}

let backend: Server;
let envoy: StaticEnvoy | undefined;
let port = 0;
const flakyAttempts = new Map<string, number>();

beforeAll(async () => {
  const binary = envoyBinary();
  backend = createServer((req, res) => {
    const path = req.url ?? '';
    if (path.startsWith('/flaky')) {
      const key = String(req.headers['x-key']);
      const n = (flakyAttempts.get(key) ?? 0) + 1;
      flakyAttempts.set(key, n);
      if (n <= Number(req.headers['x-fail-times'] ?? 0)) {
        res.writeHead(503).end('try again');
        return;
      }
    }
    const reply = (): void => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ method: req.method, path, headers: req.headers }));
    };
    if (path.startsWith('/slow')) setTimeout(reply, 1500).unref();
    else reply();
  });
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  const backendPort = (backend.address() as AddressInfo).port;
  port = await freePort();
  const adminPort = await freePort();

  const snapshot = translateXds(gatewayIR(port, backendPort), { listenAddress: '127.0.0.1' });
  envoy = await startStaticEnvoy(binary, staticBootstrap(snapshot, { adminPort }), {
    baseId: process.pid % 60000,
    ready: async () => (await send(port, '/teapot')).status === 418,
  });
}, 30_000);

afterAll(async () => {
  await envoy?.stop();
  backend?.closeAllConnections();
  await new Promise<void>((resolve) => (backend ? backend.close(() => resolve()) : resolve()));
});

describe('traffic through Envoy', () => {
  it('rewrites prefixes the Gateway API way (no double or missing slashes)', async () => {
    expect(echoOf(await send(port, '/prefix/one/two')).path).toBe('/one/two');
    expect(echoOf(await send(port, '/prefix/one')).path).toBe('/one');
    expect(echoOf(await send(port, '/prefix/one/')).path).toBe('/one/');
    expect(echoOf(await send(port, '/strip-prefix/three')).path).toBe('/three');
    expect(echoOf(await send(port, '/strip-prefix')).path).toBe('/');
    expect(echoOf(await send(port, '/strip-prefix/')).path).toBe('/');
    expect(echoOf(await send(port, '/strip-prefix/a?x=1')).path).toBe('/a?x=1');
    expect(echoOf(await send(port, '/slashes/bar')).path).toBe('/xyz/bar');
    expect(echoOf(await send(port, '/slashes')).path).toBe('/xyz');
    // Segment-wise prefix: /prefix/oneX is not under /prefix/one.
    expect(echoOf(await send(port, '/prefix/oneX')).path).toBe('/prefix/oneX');
  });

  it('replaces the full path and the host', async () => {
    const e = echoOf(await send(port, '/full/one/two?q=1'));
    expect(e.path).toBe('/one?q=1');
    expect(e.headers.host).toBe('rewritten.example.com');
  });

  it('sets, appends and removes headers; a % is literal', async () => {
    const r = await send(port, '/headers', { headers: { 'x-header-set': 'old', 'x-header-add-append': 'append-val-1', 'x-header-remove': 'gone' } });
    const e = echoOf(r);
    expect(e.headers['x-header-set']).toBe('set-overwrites-values');
    expect(e.headers['x-header-add-append']).toBe('append-val-1, header-val-2');
    expect(e.headers['x-header-remove']).toBeUndefined();
    expect(e.headers['x-percent']).toBe('100%');
    expect(r.headers['x-resp']).toBe('r');
  });

  it('matches virtual hosts whatever port the Host header carries', async () => {
    expect((await send(port, '/', { headers: { host: 'foo.example.com:8080' } })).headers['x-vhost']).toBe('foo');
    expect((await send(port, '/', { headers: { host: 'foo.example.com' } })).headers['x-vhost']).toBe('foo');
  });

  it('passes the Host header on as the client sent it, port included', async () => {
    expect(echoOf(await send(port, '/', { headers: { host: 'foo.example.com:1234' } })).headers.host).toBe('foo.example.com:1234');
    expect(echoOf(await send(port, '/', { headers: { host: `foo.example.com:${port}` } })).headers.host).toBe(`foo.example.com:${port}`);
  });

  it('builds redirect Locations with the Gateway API port rules', async () => {
    const location = async (path: string): Promise<string | undefined> => (await send(port, path, { headers: { host: `test.local:${port}` } })).headers.location;
    expect(await location('/scheme-nil-and-port-nil')).toBe(`http://example.org:${port}/scheme-nil-and-port-nil`);
    expect(await location('/scheme-nil-and-port-80')).toBe('http://example.org/scheme-nil-and-port-80');
    expect(await location('/scheme-https-and-port-nil')).toBe('https://example.org/scheme-https-and-port-nil');
    expect(await location('/scheme-https-and-port-8443')).toBe('https://example.org:8443/scheme-https-and-port-8443');
    expect(await location('/original-prefix/a/b')).toBe(`http://test.local:${port}/replacement-prefix/a/b`);
    // The request's host, with the listener's (non-default) port in Host: the default port is
    // written out rather than the request's port carried over.
    expect(await location('/https-same-host')).toBe('https://test.local:443/https-same-host');
    expect((await send(port, '/scheme-https-and-port-nil')).status).toBe(301);
  });

  it('answers 500 for the share of requests meant for invalid backends', async () => {
    const statuses = await Promise.all(Array.from({ length: 60 }, () => send(port, '/partly-invalid').then((r) => r.status)));
    expect(new Set(statuses)).toEqual(new Set([200, 500]));
  });

  it('answers direct responses', async () => {
    const r = await send(port, '/teapot');
    expect(r.status).toBe(418);
    expect(r.body).toBe('short and stout');
  });

  it('answers CORS preflights for allowed origins only', async () => {
    const preflight = (origin: string): Promise<Response> =>
      send(port, '/cors', { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'GET' } });
    const ok = await preflight('https://www.foo.com');
    expect(ok.headers['access-control-allow-origin']).toBe('https://www.foo.com');
    expect(ok.headers['access-control-allow-credentials']).toBe('true');
    expect(ok.headers['access-control-max-age']).toBe('3600');
    expect((await preflight('https://a.b.bar.com')).headers['access-control-allow-origin']).toBe('https://a.b.bar.com');
    const denied = await preflight('https://foobar.com');
    expect(denied.headers['access-control-allow-origin']).toBeUndefined();
    expect([200, 204, 403]).toContain(denied.status);
    expect(denied.body).not.toContain('"path"');
  });

  it('echoes origin, method and headers for wildcards when credentials are allowed', async () => {
    const r = await send(port, '/wild-cors', {
      method: 'OPTIONS',
      headers: { origin: 'https://other.foo.com', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'x-header-1, x-header-2' },
    });
    expect(r.headers['access-control-allow-origin']).toBe('https://other.foo.com');
    expect(r.headers['access-control-allow-methods']).toBe('PUT');
    expect(r.headers['access-control-allow-headers']).toBe('x-header-1, x-header-2');
    expect(r.headers['access-control-allow-credentials']).toBe('true');
  });

  it('retries retriable status codes up to `attempts` times', async () => {
    expect((await send(port, '/flaky', { headers: { 'x-key': 'a', 'x-fail-times': '2' } })).status).toBe(200);
    expect(flakyAttempts.get('a')).toBe(3);
    expect((await send(port, '/flaky', { headers: { 'x-key': 'b', 'x-fail-times': '3' } })).status).toBe(503);
    expect(flakyAttempts.get('b')).toBe(3);
  });

  it('enforces the request timeout', async () => {
    expect((await send(port, '/slow')).status).toBe(504);
  });
});
