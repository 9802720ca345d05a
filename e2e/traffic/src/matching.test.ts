// Traffic through a real Envoy: request matching (path, headers, query parameters, method),
// precedence across routes, hostnames (listener and route, exact and wildcard), 404s.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { PipelineRun } from '@gantry/gatewayclass-controller/pipeline';
import { echo, send } from './client.js';
import { GATEWAY_CLASS, TrafficHarness, docs, freePort, gatewayYaml, routeConditions } from './harness.js';

let h: TrafficHarness;
let port: number; // one listener without hostname: path, header, query, method matching, precedence
let hostPort: number; // listeners with hostnames
let run: PipelineRun;

const BACKENDS = [
  'root', 'exact', 'prefix-foo', 'prefix-foo-bar', 'regex',
  'h-exact', 'h-regex', 'h-two', 'q-exact', 'q-regex', 'm-post',
  'p-exact', 'p-prefix', 'p-long', 'p-method', 'p-header', 'p-two-headers', 'p-one-header',
  'p-one-query', 'p-two-queries', 'p-old', 'p-new', 'p-alpha', 'p-beta',
  'wild', 'foo', 'sub', 'x', 'exact-only', 'wild-path', 'port-only',
];

function route(name: string, hostnames: readonly string[], rules: string, extra = ''): string {
  return `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: ${name}, namespace: default${extra}}
spec:
  parentRefs: [{name: gw, sectionName: plain}]
  hostnames: [${hostnames.join(', ')}]
  rules:
${rules}`;
}

const to = (b: string): string => `backendRefs: [{name: ${b}, port: 80}]`;

beforeAll(async () => {
  h = await TrafficHarness.start();
  port = await freePort();
  hostPort = await freePort();
  const backends = await h.backendSet(BACKENDS);
  const world = docs(
    GATEWAY_CLASS,
    gatewayYaml(
      `{name: plain, protocol: HTTP, port: ${port}}`,
      `{name: wild, protocol: HTTP, port: ${hostPort}, hostname: "*.example.com"}`,
      `{name: foo, protocol: HTTP, port: ${hostPort}, hostname: foo.example.com}`,
      `{name: exact-only, protocol: HTTP, port: ${hostPort}, hostname: exact.test}`,
    ),
    backends.yaml,
    route('paths', ['paths.test'], `
  - matches: [{path: {type: Exact, value: /exact}}]
    ${to('exact')}
  - matches: [{path: {type: PathPrefix, value: /foo}}]
    ${to('prefix-foo')}
  - matches: [{path: {type: PathPrefix, value: /foo/bar/}}]
    ${to('prefix-foo-bar')}
  - matches: [{path: {type: RegularExpression, value: "/regex/[0-9]+"}}]
    ${to('regex')}
  - ${to('root')}
`),
    route('conditions', ['conditions.test'], `
  - matches: [{headers: [{name: x-env, value: canary}]}]
    ${to('h-exact')}
  - matches: [{headers: [{type: RegularExpression, name: x-version, value: "v[0-9]+"}]}]
    ${to('h-regex')}
  - matches: [{headers: [{name: x-env, value: canary}, {name: x-team, value: blue}]}]
    ${to('h-two')}
  - matches: [{queryParams: [{name: q, value: a}]}]
    ${to('q-exact')}
  - matches: [{queryParams: [{type: RegularExpression, name: page, value: "[0-9]+"}]}]
    ${to('q-regex')}
  - matches: [{method: POST}]
    ${to('m-post')}
  - ${to('root')}
`),
    // Precedence across routes: every pair below matches the same request; the spec says which wins.
    route('prec-exact', ['prec.test'], `
  - matches: [{path: {type: Exact, value: /p/exact}}]
    ${to('p-exact')}
`),
    route('prec-prefix', ['prec.test'], `
  - matches: [{path: {type: PathPrefix, value: /p/exact}}, {path: {type: PathPrefix, value: /p}}]
    ${to('p-prefix')}
`),
    route('prec-long', ['prec.test'], `
  - matches: [{path: {type: PathPrefix, value: /p/long}}]
    ${to('p-long')}
`),
    route('prec-method', ['prec.test'], `
  - matches: [{path: {value: /m}, method: GET}]
    ${to('p-method')}
`),
    route('prec-header', ['prec.test'], `
  - matches: [{path: {value: /m}, headers: [{name: x-a, value: "1"}, {name: x-b, value: "2"}]}]
    ${to('p-header')}
`),
    route('prec-two-headers', ['prec.test'], `
  - matches: [{path: {value: /h}, headers: [{name: x-a, value: "1"}, {name: x-b, value: "2"}]}]
    ${to('p-two-headers')}
`),
    route('prec-one-header', ['prec.test'], `
  - matches: [{path: {value: /h}, headers: [{name: x-a, value: "1"}], queryParams: [{name: a, value: "1"}, {name: b, value: "2"}]}]
    ${to('p-one-header')}
`),
    route('prec-one-query', ['prec.test'], `
  - matches: [{path: {value: /q}, queryParams: [{name: a, value: "1"}]}]
    ${to('p-one-query')}
`),
    route('prec-two-queries', ['prec.test'], `
  - matches: [{path: {value: /q}, queryParams: [{name: a, value: "1"}, {name: b, value: "2"}]}]
    ${to('p-two-queries')}
`),
    // Same match: the older route wins even though its name sorts later ...
    route('a-newer', ['prec.test'], `
  - matches: [{path: {value: /age}}]
    ${to('p-new')}
`, ', creationTimestamp: "2024-02-01T00:00:00Z"'),
    route('z-older', ['prec.test'], `
  - matches: [{path: {value: /age}}]
    ${to('p-old')}
`, ', creationTimestamp: "2024-01-01T00:00:00Z"'),
    // ... and with equal age, namespace/name order decides.
    route('tie-beta', ['prec.test'], `
  - matches: [{path: {value: /name}}]
    ${to('p-beta')}
`, ', creationTimestamp: "2024-01-01T00:00:00Z"'),
    route('tie-alpha', ['prec.test'], `
  - matches: [{path: {value: /name}}]
    ${to('p-alpha')}
`, ', creationTimestamp: "2024-01-01T00:00:00Z"'),
    // Hostnames, on the port with three listeners.
    `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r-wild, namespace: default}
spec:
  parentRefs: [{name: gw, sectionName: wild}]
  rules: [{${to('wild')}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r-foo, namespace: default}
spec:
  parentRefs: [{name: gw, sectionName: foo}]
  rules: [{${to('foo')}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r-sub, namespace: default}
spec:
  parentRefs: [{name: gw, sectionName: wild}]
  hostnames: ["*.sub.example.com"]
  rules: [{${to('sub')}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r-x, namespace: default}
spec:
  parentRefs: [{name: gw, sectionName: wild}]
  hostnames: [x.example.com]
  rules: [{${to('x')}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r-exact-only, namespace: default}
spec:
  parentRefs: [{name: gw, sectionName: exact-only}]
  rules: [{${to('exact-only')}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r-wild-path, namespace: default}
spec:
  parentRefs: [{name: gw, sectionName: wild}]
  rules: [{matches: [{path: {value: /wild-only}}], ${to('wild-path')}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r-by-port, namespace: default}
spec:
  parentRefs: [{name: gw, port: ${hostPort}}]
  hostnames: [port.example.com, port.test]
  rules: [{name: named-rule, ${to('port-only')}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r-no-such-port, namespace: default}
spec:
  parentRefs: [{name: gw, port: 1}]
  rules: [{${to('port-only')}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r-elsewhere, namespace: default}
spec:
  parentRefs: [{name: gw, sectionName: wild}]
  hostnames: [other.org]
  rules: [{${to('wild')}}]
`,
  );
  ({ run } = await h.apply(world));
});

afterAll(async () => {
  await h?.stop();
});

async function backendFor(host: string, path: string, extra: { method?: string; headers?: Record<string, string>; port?: number } = {}): Promise<string> {
  return (await echo({ port: extra.port ?? port, host, path, ...(extra.method ? { method: extra.method } : {}), ...(extra.headers ? { headers: extra.headers } : {}) })).backend;
}

describe('path matching', () => {
  it.each([
    ['/exact', 'exact'],
    ['/exact?x=1', 'exact'],
    ['/exact/', 'root'],
    ['/exactly', 'root'],
    ['/foo', 'prefix-foo'],
    ['/foo/', 'prefix-foo'],
    ['/foo/x', 'prefix-foo'],
    ['/foobar', 'root'],
    ['/foo/bar', 'prefix-foo-bar'],
    ['/foo/bar/', 'prefix-foo-bar'],
    ['/foo/bar/baz', 'prefix-foo-bar'],
    ['/foo/barbaz', 'prefix-foo'],
    ['/regex/42', 'regex'],
    ['/regex/4a', 'root'],
    ['/regex/42/more', 'root'],
    ['/anything/else', 'root'],
  ])('%s goes to %s', async (path, backend) => {
    expect(await backendFor('paths.test', path)).toBe(backend);
  });

  it('forwards the path unchanged', async () => {
    const e = await echo({ port, host: 'paths.test', path: '/foo/bar/baz?q=1&r=%2F' });
    expect(e.path).toBe('/foo/bar/baz?q=1&r=%2F');
    expect(e.host).toBe('paths.test');
  });
});

describe('header, query parameter and method matching', () => {
  it('matches a header exactly; names are case-insensitive, values are not', async () => {
    expect(await backendFor('conditions.test', '/', { headers: { 'x-env': 'canary' } })).toBe('h-exact');
    expect(await backendFor('conditions.test', '/', { headers: { 'X-ENV': 'canary' } })).toBe('h-exact');
    expect(await backendFor('conditions.test', '/', { headers: { 'x-env': 'Canary' } })).toBe('root');
    expect(await backendFor('conditions.test', '/', { headers: { 'x-env': 'canary-2' } })).toBe('root');
  });

  it('matches a header by regular expression (whole value)', async () => {
    expect(await backendFor('conditions.test', '/', { headers: { 'x-version': 'v12' } })).toBe('h-regex');
    expect(await backendFor('conditions.test', '/', { headers: { 'x-version': 'v' } })).toBe('root');
    expect(await backendFor('conditions.test', '/', { headers: { 'x-version': 'xv1' } })).toBe('root');
  });

  it('prefers the match with more headers', async () => {
    expect(await backendFor('conditions.test', '/', { headers: { 'x-env': 'canary', 'x-team': 'blue' } })).toBe('h-two');
    expect(await backendFor('conditions.test', '/', { headers: { 'x-env': 'canary', 'x-team': 'red' } })).toBe('h-exact');
  });

  it('matches query parameters exactly and by regular expression', async () => {
    expect(await backendFor('conditions.test', '/?q=a')).toBe('q-exact');
    expect(await backendFor('conditions.test', '/x?other=1&q=a')).toBe('q-exact');
    expect(await backendFor('conditions.test', '/?q=ab')).toBe('root');
    expect(await backendFor('conditions.test', '/?Q=a')).toBe('root');
    expect(await backendFor('conditions.test', '/?page=17')).toBe('q-regex');
    expect(await backendFor('conditions.test', '/?page=17a')).toBe('root');
  });

  it('matches the method', async () => {
    expect(await backendFor('conditions.test', '/', { method: 'POST' })).toBe('m-post');
    expect(await backendFor('conditions.test', '/', { method: 'PUT' })).toBe('root');
    expect(await backendFor('conditions.test', '/', { method: 'GET' })).toBe('root');
  });
});

describe('precedence across routes', () => {
  it('Exact beats a PathPrefix of the same value', async () => {
    expect(await backendFor('prec.test', '/p/exact')).toBe('p-exact');
    expect(await backendFor('prec.test', '/p/exact/x')).toBe('p-prefix');
  });

  it('the longest prefix wins', async () => {
    expect(await backendFor('prec.test', '/p/long/x')).toBe('p-long');
    expect(await backendFor('prec.test', '/p/longer')).toBe('p-prefix');
    expect(await backendFor('prec.test', '/p')).toBe('p-prefix');
  });

  it('a method match beats header matches', async () => {
    expect(await backendFor('prec.test', '/m', { headers: { 'x-a': '1', 'x-b': '2' } })).toBe('p-method');
    expect(await backendFor('prec.test', '/m', { method: 'DELETE', headers: { 'x-a': '1', 'x-b': '2' } })).toBe('p-header');
  });

  it('more header matches beat more query parameter matches', async () => {
    expect(await backendFor('prec.test', '/h?a=1&b=2', { headers: { 'x-a': '1', 'x-b': '2' } })).toBe('p-two-headers');
    expect(await backendFor('prec.test', '/h?a=1&b=2', { headers: { 'x-a': '1' } })).toBe('p-one-header');
  });

  it('more query parameter matches win', async () => {
    expect(await backendFor('prec.test', '/q?a=1&b=2')).toBe('p-two-queries');
    expect(await backendFor('prec.test', '/q?a=1')).toBe('p-one-query');
  });

  it('the oldest route wins, then namespace/name order', async () => {
    expect(await backendFor('prec.test', '/age')).toBe('p-old');
    expect(await backendFor('prec.test', '/name')).toBe('p-alpha');
  });

  it('no route matches: 404', async () => {
    const r = await send({ port, host: 'prec.test', path: '/nothing-here' });
    expect(r.status).toBe(404);
  });
});

describe('hostnames', () => {
  it('routes by the wildcard listener hostname, one label or several', async () => {
    expect(await backendFor('bar.example.com', '/', { port: hostPort })).toBe('wild');
    expect(await backendFor('a.b.example.com', '/', { port: hostPort })).toBe('wild');
  });

  it('the more specific listener wins', async () => {
    expect(await backendFor('foo.example.com', '/', { port: hostPort })).toBe('foo');
  });

  it('route hostnames: exact and wildcard within the listener hostname', async () => {
    expect(await backendFor('x.example.com', '/', { port: hostPort })).toBe('x');
    expect(await backendFor('a.sub.example.com', '/', { port: hostPort })).toBe('sub');
    expect(await backendFor('a.b.sub.example.com', '/', { port: hostPort })).toBe('sub');
  });

  it('an exact listener hostname; host matching ignores case', async () => {
    expect(await backendFor('exact.test', '/', { port: hostPort })).toBe('exact-only');
    expect(await backendFor('EXACT.Test', '/', { port: hostPort })).toBe('exact-only');
  });

  it('ignores a port in the Host header', async () => {
    expect(await backendFor(`foo.example.com:${hostPort}`, '/', { port: hostPort })).toBe('foo');
    expect(await backendFor(`bar.example.com:${hostPort}`, '/', { port: hostPort })).toBe('wild');
    expect(await backendFor('exact.test:80', '/', { port: hostPort })).toBe('exact-only');
  });

  it('404 for a host no listener takes', async () => {
    for (const host of ['example.com', 'other.org', 'exact.test.org', 'sub.example.com.evil']) {
      const r = await send({ port: hostPort, host });
      expect({ host, status: r.status }).toEqual({ host, status: 404 });
    }
  });

  it('listener isolation: a request is served only by the routes of the most specific listener', async () => {
    expect(await backendFor('bar.example.com', '/wild-only', { port: hostPort })).toBe('wild-path');
    // foo.example.com belongs to the foo listener: the wild listener's longer path must not win.
    expect(await backendFor('foo.example.com', '/wild-only', { port: hostPort })).toBe('foo');
  });

  it('parentRef port: attaches to the listeners of that port only', async () => {
    expect(await backendFor('port.example.com', '/', { port: hostPort })).toBe('port-only');
    expect((await send({ port, host: 'port.example.com' })).status).toBe(404);
    // port.test meets no hostname of that port's listeners.
    expect((await send({ port: hostPort, host: 'port.test' })).status).toBe(404);
    expect(routeConditions(run, 'default', 'r-by-port')).toContain('Accepted=True:Accepted');
    expect(routeConditions(run, 'default', 'r-no-such-port')).toContain('Accepted=False:NoMatchingParent');
  });

  it('a route whose hostnames meet no listener is not attached', () => {
    expect(routeConditions(run, 'default', 'r-elsewhere')).toContain('Accepted=False:NoMatchingListenerHostname');
  });
});
