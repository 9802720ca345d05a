// Traffic through a real Envoy: every HTTPRoute filter. Header modifiers (request and response,
// rule and per-backend), redirects (each part of the Location, each status code), URL rewrites
// (hostname, full path, prefix with the spec's trailing-slash table), mirrors (one, several, a
// percentage) and CORS (preflight and actual requests).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { EchoServer } from '@gantry/gatewayclass-controller/examples/echo-backend';
import { echo, send } from './client.js';
import { GATEWAY_CLASS, TrafficHarness, docs, eventually, freePort, gatewayYaml, routeYaml, sleep } from './harness.js';

let h: TrafficHarness;
let port: number;
let servers: Record<string, EchoServer>;

const HOST = 'filters.test';

function route(name: string, rules: string, hostnames: readonly string[] = [HOST]): string {
  return routeYaml(name, hostnames, rules);
}

const prefix = (p: string): string => `matches: [{path: {type: PathPrefix, value: "${p}"}}]`;
const backend = (b = 'main'): string => `backendRefs: [{name: ${b}, port: 80}]`;

function redirectRule(path: string, redirect: string): string {
  return `
  - ${prefix(path)}
    filters: [{type: RequestRedirect, requestRedirect: ${redirect}}]`;
}

function rewriteRule(path: string, rewrite: string): string {
  return `
  - ${prefix(path)}
    filters: [{type: URLRewrite, urlRewrite: ${rewrite}}]
    ${backend()}`;
}

beforeAll(async () => {
  h = await TrafficHarness.start();
  port = await freePort();
  const set = await h.backendSet(['main', 'other', 'mirror-a', 'mirror-b', 'mirror-c', 'mirror-d', 'one', 'two']);
  servers = set.servers;
  const world = docs(
    GATEWAY_CLASS,
    gatewayYaml(`{name: http, protocol: HTTP, port: ${port}}`),
    set.yaml,
    route('headers', `
  - ${prefix('/req-headers')}
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier:
        set: [{name: X-Header-Set, value: set-overwrites-values}, {name: x-percent, value: "100%"}]
        add: [{name: X-Header-Add, value: header-val-1}, {name: X-Header-Add-Append, value: header-val-2}]
        remove: [X-Header-Remove]
    ${backend()}
  - ${prefix('/set-host')}
    filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: Host, value: set-by-filter.example}]}}]
    ${backend()}
  - ${prefix('/resp-headers')}
    filters:
    - type: ResponseHeaderModifier
      responseHeaderModifier:
        set: [{name: X-Header-Set, value: set-overwrites-values}]
        add: [{name: X-Header-Add, value: header-val-1}, {name: X-Header-Add-Append, value: header-val-2}]
        remove: [X-Header-Remove]
    ${backend()}
  - ${prefix('/per-backend')}
    filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: x-rule, value: applied}]}}]
    backendRefs:
    - name: one
      port: 80
      filters:
      - {type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: x-backend-filter, value: one}]}}
      - {type: ResponseHeaderModifier, responseHeaderModifier: {add: [{name: x-from, value: one}]}}
    - name: two
      port: 80
      filters:
      - {type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: x-backend-filter, value: two}], remove: [x-drop-for-two]}}
`),
    route('redirects', [
      redirectRule('/redirect/hostname', '{hostname: example.org}'),
      redirectRule('/redirect/scheme-https', '{scheme: https}'),
      redirectRule('/redirect/scheme-https-port-443', '{scheme: https, port: 443}'),
      redirectRule('/redirect/scheme-https-port-8443', '{scheme: https, port: 8443}'),
      redirectRule('/redirect/scheme-http', '{scheme: http}'),
      redirectRule('/redirect/port-80', '{port: 80}'),
      redirectRule('/redirect/port-8080', '{port: 8080, hostname: example.org}'),
      redirectRule('/redirect/full', '{path: {type: ReplaceFullPath, replaceFullPath: /new/full}}'),
      redirectRule('/redirect/prefix', '{path: {type: ReplacePrefixMatch, replacePrefixMatch: /new-prefix}}'),
      redirectRule('/redirect/strip', '{path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}'),
      redirectRule('/redirect/everything', '{scheme: https, hostname: example.org, port: 8443, path: {type: ReplaceFullPath, replaceFullPath: /all}, statusCode: 308}'),
      ...[301, 302, 303, 307, 308].map((code) => redirectRule(`/redirect/status/${code}`, `{statusCode: ${code}}`)),
    ].join('')),
    route('rewrites', [
      rewriteRule('/rewrite/host', '{hostname: rewritten.example.com}'),
      rewriteRule('/rewrite/full', '{path: {type: ReplaceFullPath, replaceFullPath: /one}}'),
      rewriteRule('/rewrite/both', '{hostname: both.example.com, path: {type: ReplacePrefixMatch, replacePrefixMatch: /b}}'),
      rewriteRule('/a/foo', '{path: {type: ReplacePrefixMatch, replacePrefixMatch: /xyz}}'),
      rewriteRule('/b/foo', '{path: {type: ReplacePrefixMatch, replacePrefixMatch: /xyz/}}'),
      rewriteRule('/c/foo/', '{path: {type: ReplacePrefixMatch, replacePrefixMatch: /xyz}}'),
      rewriteRule('/d/foo/', '{path: {type: ReplacePrefixMatch, replacePrefixMatch: /xyz/}}'),
      rewriteRule('/e/foo', '{path: {type: ReplacePrefixMatch, replacePrefixMatch: ""}}'),
      rewriteRule('/f/foo', '{path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}'),
    ].join('')),
    route('rewrite-root', rewriteRule('/', '{path: {type: ReplacePrefixMatch, replacePrefixMatch: /xyz}}'), ['rewrite-root.test']),
    route('mirrors', `
  - ${prefix('/mirror/one')}
    filters: [{type: RequestMirror, requestMirror: {backendRef: {name: mirror-a, port: 80}}}]
    ${backend()}
  - ${prefix('/mirror/two')}
    filters:
    - {type: RequestMirror, requestMirror: {backendRef: {name: mirror-a, port: 80}}}
    - {type: RequestMirror, requestMirror: {backendRef: {name: mirror-b, port: 80}}}
    ${backend()}
  - ${prefix('/mirror/some')}
    filters:
    - {type: RequestMirror, requestMirror: {backendRef: {name: mirror-c, port: 80}, percent: 50}}
    - {type: RequestMirror, requestMirror: {backendRef: {name: mirror-d, port: 80}, fraction: {numerator: 1, denominator: 4}}}
    ${backend()}
`),
    route('cors', `
  - ${prefix('/cors')}
    filters:
    - type: CORS
      cors:
        allowOrigins: ["https://www.foo.com", "https://*.bar.com"]
        allowMethods: [GET, OPTIONS]
        allowHeaders: [x-header-1, x-header-2]
        exposeHeaders: [x-header-3, x-header-4]
        allowCredentials: true
        maxAge: 3600
    ${backend()}
  - ${prefix('/any-origin')}
    filters: [{type: CORS, cors: {allowOrigins: ["*"], allowMethods: ["*"]}}]
    ${backend()}
`),
  );
  await h.apply(world);
});

afterAll(async () => {
  await h?.stop();
});

/** A header's values, split on commas (an appended value may arrive as its own line or joined). */
function values(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).flatMap((x) => x.split(',')).map((x) => x.trim());
}

describe('RequestHeaderModifier', () => {
  it('sets, adds and removes request headers', async () => {
    const e = await echo({
      port,
      host: HOST,
      path: '/req-headers',
      headers: { 'X-Header-Remove': 'remove-val', 'X-Header-Add-Append': 'append-val-1', 'X-Header-Set': 'set-val' },
    });
    expect(e.backend).toBe('main');
    expect(values(e.headers['x-header-set'])).toEqual(['set-overwrites-values']);
    expect(values(e.headers['x-header-add'])).toEqual(['header-val-1']);
    expect(values(e.headers['x-header-add-append'])).toEqual(['append-val-1', 'header-val-2']);
    expect(e.headers['x-header-remove']).toBeUndefined();
    expect(e.headers['x-percent']).toBe('100%');
  });

  it('adds a header the request did not have', async () => {
    const e = await echo({ port, host: HOST, path: '/req-headers' });
    expect(values(e.headers['x-header-add-append'])).toEqual(['header-val-2']);
    expect(values(e.headers['x-header-set'])).toEqual(['set-overwrites-values']);
  });

  it('setting Host rewrites the host the backend sees', async () => {
    const e = await echo({ port, host: HOST, path: '/set-host' });
    expect(e.host).toBe('set-by-filter.example');
  });
});

describe('ResponseHeaderModifier', () => {
  it('sets, adds and removes response headers', async () => {
    const r = await send({
      port,
      host: HOST,
      path: '/resp-headers',
      headers: { 'x-echo-response-headers': JSON.stringify({ 'x-header-set': 'set-val', 'x-header-add-append': 'append-val-1', 'x-header-remove': 'remove-val' }) },
    });
    expect(r.status).toBe(200);
    expect(values(r.headers['x-header-set'])).toEqual(['set-overwrites-values']);
    expect(values(r.headers['x-header-add'])).toEqual(['header-val-1']);
    expect(values(r.headers['x-header-add-append'])).toEqual(['append-val-1', 'header-val-2']);
    expect(r.headers['x-header-remove']).toBeUndefined();
  });
});

describe('per-backend filters', () => {
  it("apply only to their backend's requests and responses, after the rule's", async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const r = await send({ port, host: HOST, path: '/per-backend', headers: { 'x-drop-for-two': 'x' } });
      expect(r.status).toBe(200);
      const e = JSON.parse(r.body) as { backend: string; headers: Record<string, string | undefined> };
      seen.add(e.backend);
      expect(e.headers['x-rule']).toBe('applied');
      expect(e.headers['x-backend-filter']).toBe(e.backend);
      if (e.backend === 'one') {
        expect(r.headers['x-from']).toBe('one');
        expect(e.headers['x-drop-for-two']).toBe('x');
      } else {
        expect(r.headers['x-from']).toBeUndefined();
        expect(e.headers['x-drop-for-two']).toBeUndefined();
      }
    }
    // 40 draws at 50/50: both backends appear unless something is wrong (p = 2^-39).
    expect([...seen].sort()).toEqual(['one', 'two']);
  });
});

describe('RequestRedirect', () => {
  async function location(path: string, host = HOST): Promise<{ status: number; location: string | undefined }> {
    const r = await send({ port, host, path });
    return { status: r.status, location: r.headers.location };
  }

  it('hostname: keeps the scheme and the listener port', async () => {
    expect(await location('/redirect/hostname/x')).toEqual({ status: 302, location: `http://example.org:${port}/redirect/hostname/x` });
  });

  // This listener's own port is not 80: a client may well send it in Host, which the backend gets
  // as sent and which Envoy would carry into a Location that keeps the request's host; so those
  // Locations write the well-known port out rather than leave it to the Host header.
  it('scheme: brings the well-known port (written out on this non-default listener port)', async () => {
    expect(await location('/redirect/scheme-https')).toEqual({ status: 302, location: `https://${HOST}:443/redirect/scheme-https` });
    expect(await location('/redirect/scheme-https-port-443')).toEqual({ status: 302, location: `https://${HOST}:443/redirect/scheme-https-port-443` });
    expect(await location('/redirect/scheme-https-port-8443')).toEqual({ status: 302, location: `https://${HOST}:8443/redirect/scheme-https-port-8443` });
    expect(await location('/redirect/scheme-http')).toEqual({ status: 302, location: `http://${HOST}:80/redirect/scheme-http` });
  });

  it('port: explicit ports (80 written out on this listener)', async () => {
    expect(await location('/redirect/port-80')).toEqual({ status: 302, location: `http://${HOST}:80/redirect/port-80` });
    expect(await location('/redirect/port-8080')).toEqual({ status: 302, location: 'http://example.org:8080/redirect/port-8080' });
  });

  it("the request's Host port is not carried over", async () => {
    expect(await location('/redirect/scheme-https', `${HOST}:${port}`)).toEqual({ status: 302, location: `https://${HOST}:443/redirect/scheme-https` });
    expect(await location('/redirect/prefix/a', `${HOST}:1234`)).toEqual({ status: 302, location: `http://${HOST}:${port}/new-prefix/a` });
  });

  it('path: full replacement and prefix replacement', async () => {
    expect(await location('/redirect/full/anything')).toEqual({ status: 302, location: `http://${HOST}:${port}/new/full` });
    expect(await location('/redirect/prefix/x/y')).toEqual({ status: 302, location: `http://${HOST}:${port}/new-prefix/x/y` });
    expect(await location('/redirect/prefix')).toEqual({ status: 302, location: `http://${HOST}:${port}/new-prefix` });
    expect(await location('/redirect/prefix/')).toEqual({ status: 302, location: `http://${HOST}:${port}/new-prefix/` });
    expect(await location('/redirect/strip/x/y')).toEqual({ status: 302, location: `http://${HOST}:${port}/x/y` });
    expect(await location('/redirect/strip')).toEqual({ status: 302, location: `http://${HOST}:${port}/` });
  });

  it('everything at once', async () => {
    expect(await location('/redirect/everything/z')).toEqual({ status: 308, location: 'https://example.org:8443/all' });
  });

  it.each([301, 302, 303, 307, 308])('status %d', async (code) => {
    expect(await location(`/redirect/status/${code}`)).toEqual({ status: code, location: `http://${HOST}:${port}/redirect/status/${code}` });
  });

  it('never reaches a backend', () => {
    expect(Object.values(servers).flatMap((s) => s.requests).filter((r) => r.path.startsWith('/redirect'))).toEqual([]);
  });
});

describe('URLRewrite', () => {
  async function seen(path: string, host = HOST): Promise<{ host: string; path: string }> {
    const e = await echo({ port, host, path });
    return { host: e.host, path: e.path };
  }

  it('hostname', async () => {
    expect(await seen('/rewrite/host/x')).toEqual({ host: 'rewritten.example.com', path: '/rewrite/host/x' });
  });

  it('full path', async () => {
    expect(await seen('/rewrite/full/one/two')).toEqual({ host: HOST, path: '/one' });
    expect(await seen('/rewrite/full')).toEqual({ host: HOST, path: '/one' });
  });

  it('hostname and prefix together, query kept', async () => {
    expect(await seen('/rewrite/both/x?q=1')).toEqual({ host: 'both.example.com', path: '/b/x?q=1' });
  });

  // The table of HTTPPathModifier in the Gateway API spec: request, prefix match, replacement.
  it.each([
    ['/a/foo/bar', '/xyz/bar'], // /foo, /xyz
    ['/a/foo', '/xyz'],
    ['/a/foo/', '/xyz/'],
    ['/a/foo/bar?q=1', '/xyz/bar?q=1'],
    ['/b/foo/bar', '/xyz/bar'], // /foo, /xyz/
    ['/c/foo/bar', '/xyz/bar'], // /foo/, /xyz
    ['/d/foo/bar', '/xyz/bar'], // /foo/, /xyz/
    ['/e/foo/bar', '/bar'], // /foo, ""
    ['/e/foo/', '/'],
    ['/e/foo', '/'],
    ['/f/foo/bar', '/bar'], // /foo, /
    ['/f/foo/', '/'],
    ['/f/foo', '/'],
  ])('ReplacePrefixMatch %s -> %s', async (from, to) => {
    expect((await seen(from)).path).toBe(to);
  });

  it('ReplacePrefixMatch of the root prefix', async () => {
    expect((await seen('/bar', 'rewrite-root.test')).path).toBe('/xyz/bar');
    expect((await seen('/', 'rewrite-root.test')).path).toBe('/xyz/');
  });
});

describe('RequestMirror', () => {
  function requestsTo(name: string, marker: string): number {
    return (servers[name] as EchoServer).requests.filter((r) => r.path.includes(marker)).length;
  }

  it('the mirror backend sees a copy: method, path, host, headers, body', async () => {
    const r = await echo({ port, host: HOST, path: '/mirror/one?m=1', method: 'POST', headers: { 'x-mark': 'copy' }, body: 'hello mirror' });
    expect(r.backend).toBe('main');
    const copy = await eventually('the mirrored request', () => servers['mirror-a']?.requests.find((q) => q.path === '/mirror/one?m=1'));
    expect(copy.method).toBe('POST');
    expect(copy.host).toBe(HOST);
    expect(copy.headers['x-mark']).toBe('copy');
    expect(copy.body).toBe('hello mirror');
  });

  it('several mirrors each get a copy', async () => {
    await echo({ port, host: HOST, path: '/mirror/two/once' });
    await eventually('both copies', () => (requestsTo('mirror-a', '/mirror/two/once') === 1 && requestsTo('mirror-b', '/mirror/two/once') === 1 ? true : undefined));
    await sleep(100);
    expect(requestsTo('main', '/mirror/two/once')).toBe(1);
    expect(requestsTo('mirror-a', '/mirror/two/once')).toBe(1);
    expect(requestsTo('mirror-b', '/mirror/two/once')).toBe(1);
  });

  it('percent and fraction mirror that share of requests', async () => {
    const n = 600;
    for (let i = 0; i < n; i += 20) {
      await Promise.all(Array.from({ length: 20 }, (_, j) => echo({ port, host: HOST, path: `/mirror/some/${i + j}` })));
    }
    expect(requestsTo('main', '/mirror/some/')).toBe(n);
    // Mirrors are sent asynchronously: wait until the counts stop moving.
    let last = -1;
    await eventually('mirror counts to settle', async () => {
      const now = requestsTo('mirror-c', '/mirror/some/') + requestsTo('mirror-d', '/mirror/some/');
      const settled = now === last;
      last = now;
      await sleep(150);
      return settled ? true : undefined;
    });
    // Each request is mirrored independently (Bernoulli trials): the count is Binomial(n, p).
    // Five standard deviations either side: a correct proxy fails this about once in 1.7 million runs.
    for (const [name, p] of [['mirror-c', 0.5], ['mirror-d', 0.25]] as const) {
      const count = requestsTo(name, '/mirror/some/');
      const sd = Math.sqrt(n * p * (1 - p));
      expect({ name, count, ok: Math.abs(count - n * p) <= 5 * sd }).toEqual({ name, count, ok: true });
    }
  });
});

describe('CORS', () => {
  function preflight(path: string, origin: string, method = 'GET', requestHeaders?: string) {
    return send({
      port,
      host: HOST,
      path,
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': method,
        ...(requestHeaders ? { 'access-control-request-headers': requestHeaders } : {}),
      },
    });
  }
  const list = (v: string | string[] | undefined): string[] => values(v).sort();

  it.each(['https://www.foo.com', 'https://www.bar.com', 'https://xpto.www.bar.com'])('answers the preflight from %s itself', async (origin) => {
    const before = servers.main?.requests.length;
    const r = await preflight('/cors', origin, 'GET', 'x-header-1, x-header-2');
    expect(r.status).toBe(200);
    expect(r.headers['access-control-allow-origin']).toBe(origin);
    expect(list(r.headers['access-control-allow-methods'])).toEqual(['GET', 'OPTIONS']);
    expect(list(r.headers['access-control-allow-headers'])).toEqual(['x-header-1', 'x-header-2']);
    expect(list(r.headers['access-control-expose-headers'])).toEqual(['x-header-3', 'x-header-4']);
    expect(r.headers['access-control-max-age']).toBe('3600');
    expect(r.headers['access-control-allow-credentials']).toBe('true');
    expect(servers.main?.requests.length).toBe(before);
  });

  it('does not allow other origins', async () => {
    for (const origin of ['https://foobar.com', 'http://www.foo.com', 'https://bar.com.evil']) {
      const r = await preflight('/cors', origin);
      expect({ origin, acao: r.headers['access-control-allow-origin'] }).toEqual({ origin, acao: undefined });
      expect([200, 204, 403]).toContain(r.status);
    }
  });

  it('adds the CORS headers to the actual request, which reaches the backend', async () => {
    const r = await send({ port, host: HOST, path: '/cors/x', headers: { origin: 'https://www.foo.com' } });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).backend).toBe('main');
    expect(r.headers['access-control-allow-origin']).toBe('https://www.foo.com');
    expect(r.headers['access-control-allow-credentials']).toBe('true');
    expect(list(r.headers['access-control-expose-headers'])).toEqual(['x-header-3', 'x-header-4']);
    const other = await send({ port, host: HOST, path: '/cors/x', headers: { origin: 'https://foobar.com' } });
    expect(other.status).toBe(200);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('any origin and any method; no credentials; max age 5 s by default', async () => {
    const r = await preflight('/any-origin', 'https://foobar.com:12345', 'PUT');
    expect([200, 204]).toContain(r.status);
    expect(['https://foobar.com:12345', '*']).toContain(r.headers['access-control-allow-origin']);
    expect(['PUT', '*']).toContain(r.headers['access-control-allow-methods']);
    expect(r.headers['access-control-allow-credentials']).toBeUndefined();
    expect(r.headers['access-control-max-age']).toBe('5');
  });
});

