// Traffic through a real Envoy: RouteOption (gateway.gantry.dev/v1alpha1). Every option, named
// by an ExtensionRef filter (seed 002's prefix rewrite first): rewrites (prefix, regex, host,
// auto host), timeout (a slow backend gets 504), retries (a backend failing twice then
// answering), headers both ways, CORS preflight, abort and delay faults (the delay measured),
// direct response, lbHash stickiness over the Upstream's own hash policy. Failing closed: a
// missing or invalid RouteOption makes its rule answer 500 while the route's other rules are
// served. Precedence end to end: the rule's own filter over a RouteOption, ExtensionRef over
// targetRef, rule (sectionName) over route, oldest over newer; and the status that says so.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { EchoServer } from '@gantry/gatewayclass-controller/examples/echo-backend';
import { echo, send } from './client.js';
import { GATEWAY_CLASS, TrafficHarness, docs, freePort, gatewayYaml, routeConditions, routeYaml, statusOf, upstreamYaml, type Applied } from './harness.js';
import { formatManifestError, parseManifests } from '@gantry/gatewayclass-controller/manifests/load';

let h: TrafficHarness;
let port: number;
let servers: Record<string, EchoServer>;
let applied: Applied;
let world: string;

const HOST = 'options.test';
const ext = (name: string): string => `{type: ExtensionRef, extensionRef: {group: gateway.gantry.dev, kind: RouteOption, name: ${name}}}`;
const prefix = (p: string): string => `matches: [{path: {type: PathPrefix, value: "${p}"}}]`;

function option(name: string, spec: string, created = '2026-01-01T00:00:00Z'): string {
  return `
apiVersion: gateway.gantry.dev/v1alpha1
kind: RouteOption
metadata: {name: ${name}, namespace: default, creationTimestamp: "${created}"}
spec:
${spec}`;
}

/** A rule sending `path` to Service `main` through RouteOption `name`. */
function rule(path: string, name: string, backend = 'backendRefs: [{name: main, port: 80}]'): string {
  return `
  - ${prefix(path)}
    filters: [${ext(name)}]
    ${backend}`;
}

beforeAll(async () => {
  h = await TrafficHarness.start();
  const set = await h.backendSet(['main', 'slow']);
  servers = set.servers;
  const ring = await Promise.all(['r1', 'r2', 'r3'].map((n) => h.backend(n)));
  const dns = await h.backend('dns');
  const json = await h.backend('json');
  // After the backends have their ports: a free port taken before could be handed to one of them.
  port = await freePort();
  const ringHosts = ring.map((r) => `{addr: 127.0.0.1, port: ${r.port}}`).join(', ');
  world = docs(
    GATEWAY_CLASS,
    gatewayYaml(`{name: http, protocol: HTTP, port: ${port}}`),
    set.yaml,
    upstreamYaml('ring', `  static: {hosts: [${ringHosts}]}\n  loadBalancer: {ringHash: {hashPolicies: [{header: {name: x-upstream}}]}}`),
    upstreamYaml('by-name', `  static: {hosts: [{addr: localhost, port: ${dns.port}}]}`),
    upstreamYaml('json-upstream', `  static: {hosts: [{addr: 127.0.0.1, port: ${json.port}}]}`),
    option('seed-rewrite', '  options: {prefixRewrite: /posts}'),
    // Seed 002's route, as written there (no matches: every path), in Gantry's groups.
    `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: static-upstream, namespace: default}
spec:
  parentRefs: [{name: gw}]
  hostnames: [static.example]
  rules:
    - backendRefs:
      - {name: json-upstream, kind: Upstream, group: gateway.gantry.dev}
      filters:
      - type: ExtensionRef
        extensionRef: {group: gateway.gantry.dev, kind: RouteOption, name: seed-rewrite}`,
    option('rewrite', '  options: {prefixRewrite: /api}'),
    option('regex', '  options: {regexRewrite: {pattern: "^/v1/(.*)", substitution: "/v2/\\\\1"}}'),
    option('host', '  options: {hostRewrite: internal.example}'),
    option('auto-host', '  options: {autoHostRewrite: true}'),
    option('timeout', '  options: {timeout: 300ms}'),
    option('retries', '  options: {retries: {retryOn: "5xx", numRetries: 2, perTryTimeout: 2s}}'),
    option('no-retries', '  options: {retries: {retryOn: "5xx", numRetries: 0}}'),
    option('headers', `  options:
    headerManipulation:
      requestHeadersToAdd: [{header: {key: x-ro, value: "yes"}, append: false}, {header: {key: x-ro-add, value: added}}]
      requestHeadersToRemove: [x-internal]
      responseHeadersToAdd: [{header: {key: x-ro-resp, value: "yes"}}]
      responseHeadersToRemove: [x-secret]`),
    option('cors', '  options: {cors: {allowOrigins: ["https://app.example"], allowMethods: [GET, PUT], allowHeaders: [x-token], maxAge: 1h}}'),
    option('abort', '  options: {faults: {abort: {percentage: 100, httpStatus: 418}}}'),
    option('delay', '  options: {faults: {delay: {percentage: 100, fixedDelay: 400ms}}}'),
    option('maintenance', '  options: {directResponse: {status: 503, body: "down for maintenance"}}'),
    option('hash', '  options: {lbHash: {hashPolicies: [{header: {name: x-user}}]}}'),
    routeYaml('options', [HOST], [
      rule('/second', 'rewrite'),
      rule('/v1', 'regex'),
      rule('/host', 'host'),
      rule('/auto-host', 'auto-host', 'backendRefs: [{group: gateway.gantry.dev, kind: Upstream, name: by-name}]'),
      rule('/timeout', 'timeout'),
      rule('/retries', 'retries'),
      rule('/no-retries', 'no-retries'),
      rule('/headers', 'headers'),
      rule('/cors', 'cors'),
      rule('/abort', 'abort'),
      rule('/delay', 'delay'),
      rule('/maintenance', 'maintenance'),
      rule('/hash', 'hash', 'backendRefs: [{group: gateway.gantry.dev, kind: Upstream, name: ring}]'),
      `
  - ${prefix('/upstream-hash')}
    backendRefs: [{group: gateway.gantry.dev, kind: Upstream, name: ring}]`,
      rule('/missing', 'does-not-exist'),
      rule('/invalid', 'bad'),
    ].join('')),
    // A route has at most 16 rules (the CRD, which file modes enforce too).
    routeYaml('options-plain', [HOST], `
  - ${prefix('/plain')}
    backendRefs: [{name: main, port: 80}]`),
    // Precedence: route-wide policies (older wins), one naming rule "targeted", an ExtensionRef,
    // and the rule's own URLRewrite filter.
    option('route-older', `  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: precedence}]
  options:
    prefixRewrite: /from-older
    headerManipulation: {requestHeadersToAdd: [{header: {key: x-who, value: route-older}, append: false}]}`, '2026-01-01T00:00:00Z'),
    option('route-newer', `  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: precedence}]
  options:
    prefixRewrite: /from-newer
    headerManipulation: {requestHeadersToAdd: [{header: {key: x-who, value: route-newer}, append: false}]}`, '2026-02-01T00:00:00Z'),
    option('rule-targeted', `  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: precedence, sectionName: targeted}]
  options:
    headerManipulation: {requestHeadersToAdd: [{header: {key: x-who, value: rule-targeted}, append: false}]}`, '2026-03-01T00:00:00Z'),
    option('by-extension-ref', `  options:
    headerManipulation: {requestHeadersToAdd: [{header: {key: x-who, value: extension-ref}, append: false}]}`),
    routeYaml('precedence', ['precedence.test'], `
  - name: plain
    ${prefix('/p/plain')}
    backendRefs: [{name: main, port: 80}]
  - name: targeted
    ${prefix('/p/targeted')}
    backendRefs: [{name: main, port: 80}]
  - name: extension
    ${prefix('/p/extension')}
    filters: [${ext('by-extension-ref')}]
    backendRefs: [{name: main, port: 80}]
  - name: core
    ${prefix('/p/core')}
    filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /from-filter}}}]
    backendRefs: [{name: main, port: 80}]`),
  );
  applied = await h.apply(world);
}, 60_000);

afterAll(async () => {
  await h?.stop();
});

describe('RouteOption rewrites', () => {
  it("seed 002: prefixRewrite replaces the rule's matched prefix", async () => {
    const e = await echo({ port, host: HOST, path: '/second/users?x=1' });
    expect(e.backend).toBe('main');
    expect(e.path).toBe('/api/users?x=1');
  });

  it("seed 002's own route: a static Upstream behind an ExtensionRef RouteOption on a rule without matches", async () => {
    const e = await echo({ port, host: 'static.example', path: '/1' });
    expect(e.backend).toBe('json');
    expect(e.path).toBe('/posts/1');
  });

  it('regexRewrite rewrites the path with capture groups', async () => {
    const e = await echo({ port, host: HOST, path: '/v1/items/7' });
    expect(e.path).toBe('/v2/items/7');
  });

  it('hostRewrite sets the Host the backend sees', async () => {
    const e = await echo({ port, host: HOST, path: '/host' });
    expect(e.host).toBe('internal.example');
  });

  it("autoHostRewrite sends the Upstream host's DNS name", async () => {
    const e = await echo({ port, host: HOST, path: '/auto-host' });
    expect(e.backend).toBe('dns');
    expect(e.host).toBe('localhost');
  });
});

describe('RouteOption timeouts and retries', () => {
  it('timeout: a slower backend gets 504', async () => {
    const slow = await send({ port, host: HOST, path: '/timeout', headers: { 'x-echo-delay-ms': '1500' } });
    expect(slow.status).toBe(504);
    const fast = await send({ port, host: HOST, path: '/timeout' });
    expect(fast.status).toBe(200);
  });

  it('retries: a backend failing twice then answering is retried until it answers', async () => {
    const key = `retry-${Date.now()}`;
    const r = await send({ port, host: HOST, path: '/retries', headers: { 'x-echo-fail-times': '2', 'x-echo-attempt-key': key } });
    expect(r.status).toBe(200);
    expect(servers.main!.requests.filter((q) => q.headers['x-echo-attempt-key'] === key)).toHaveLength(3);
  });

  it('without retries the same backend failure reaches the client', async () => {
    const key = `no-retry-${Date.now()}`;
    const r = await send({ port, host: HOST, path: '/no-retries', headers: { 'x-echo-fail-times': '2', 'x-echo-attempt-key': key } });
    expect(r.status).toBe(503);
  });
});

describe('RouteOption headerManipulation', () => {
  it('adds, replaces and removes request headers', async () => {
    const e = await echo({ port, host: HOST, path: '/headers', headers: { 'x-ro': 'client', 'x-ro-add': 'client', 'x-internal': 'secret' } });
    expect(e.headers['x-ro']).toBe('yes');
    expect(String(e.headers['x-ro-add']).split(',').map((v) => v.trim())).toEqual(['client', 'added']);
    expect(e.headers['x-internal']).toBeUndefined();
  });

  it('adds and removes response headers', async () => {
    const r = await send({ port, host: HOST, path: '/headers', headers: { 'x-echo-response-headers': JSON.stringify({ 'x-secret': 's' }) } });
    expect(r.status).toBe(200);
    expect(r.headers['x-ro-resp']).toBe('yes');
    expect(r.headers['x-secret']).toBeUndefined();
  });
});

describe('RouteOption cors', () => {
  it('answers the preflight itself for an allowed origin, not for another', async () => {
    const ok = await send({
      port, host: HOST, path: '/cors', method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'x-token' },
    });
    expect(ok.status).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(String(ok.headers['access-control-allow-methods'])).toContain('PUT');
    expect(ok.headers['access-control-max-age']).toBe('3600');
    const other = await send({ port, host: HOST, path: '/cors', method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'PUT' } });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('RouteOption faults', () => {
  it('abort answers with the status without reaching the backend', async () => {
    const before = servers.main!.requests.length;
    const r = await send({ port, host: HOST, path: '/abort' });
    expect(r.status).toBe(418);
    expect(servers.main!.requests.length).toBe(before);
  });

  it('delay holds the request for fixedDelay (measured)', async () => {
    const t0 = Date.now();
    const r = await send({ port, host: HOST, path: '/delay' });
    const delayed = Date.now() - t0;
    const t1 = Date.now();
    await send({ port, host: HOST, path: '/plain' });
    const plain = Date.now() - t1;
    expect(r.status).toBe(200);
    expect(delayed).toBeGreaterThanOrEqual(390);
    expect(delayed).toBeLessThan(3000);
    expect(plain).toBeLessThan(delayed);
  });
});

describe('RouteOption directResponse', () => {
  it('answers with its status and body', async () => {
    const r = await send({ port, host: HOST, path: '/maintenance' });
    expect(r.status).toBe(503);
    expect(r.body).toBe('down for maintenance');
  });
});

describe('RouteOption lbHash', () => {
  it("is sticky on its header and wins over the Upstream's hash policy", async () => {
    for (const user of ['alice', 'bob', 'carol']) {
      const seen = new Set<string>();
      for (let i = 0; i < 8; i++) seen.add((await echo({ port, host: HOST, path: '/hash', headers: { 'x-user': user, 'x-upstream': `u${i}` } })).backend);
      expect(seen.size).toBe(1);
    }
    // The Upstream's own policy (x-upstream) spreads the same requests without the RouteOption.
    const spread = new Set<string>();
    for (let i = 0; i < 24; i++) spread.add((await echo({ port, host: HOST, path: '/upstream-hash', headers: { 'x-user': 'alice', 'x-upstream': `u${i}` } })).backend);
    expect(spread.size).toBeGreaterThan(1);
  });
});

describe('RouteOption failing closed', () => {
  it('a missing RouteOption makes its rule answer 500; the rest of the route is served', async () => {
    expect((await send({ port, host: HOST, path: '/missing' })).status).toBe(500);
    expect((await send({ port, host: HOST, path: '/plain' })).status).toBe(200);
    expect(routeConditions(applied.run, 'default', 'options')).toContain('ResolvedRefs=False:BackendNotFound');
    const message = JSON.stringify(statusOf(applied.run, 'HTTPRoute', 'default', 'options')?.status);
    expect(message).toContain('RouteOption does-not-exist not found');
  });

  it('an invalid RouteOption (a :-pseudo-header) is refused as the API server refuses it (its CRD), never sent to Envoy: the rule naming it answers 500', async () => {
    const bad = option('bad', '  options: {headerManipulation: {requestHeadersToAdd: [{header: {key: ":authority", value: evil}}]}}');
    const errors = parseManifests(bad, 'bad.yaml').errors.map(formatManifestError);
    expect(errors.join('\n')).toMatch(/^bad\.yaml:\d+ \(document 1\): spec\.options\.headerManipulation\.requestHeadersToAdd\[0\]\.header\.key: does not match the pattern/);
    expect((await send({ port, host: HOST, path: '/invalid' })).status).toBe(500);
    // The translator refuses it too, had it been admitted: policies/route-option.ts, golden routeoption-options.
  });
});

describe('RouteOption precedence', () => {
  const who = async (path: string) => {
    const e = await echo({ port, host: 'precedence.test', path });
    return { who: e.headers['x-who'], path: e.path };
  };

  it('route-wide targetRefs: the oldest RouteOption wins each field', async () => {
    expect(await who('/p/plain/x')).toEqual({ who: 'route-older', path: '/from-older/x' });
  });

  it('a targetRef naming the rule (sectionName) wins over route-wide ones; the rest still comes from them', async () => {
    expect(await who('/p/targeted/x')).toEqual({ who: 'rule-targeted', path: '/from-older/x' });
  });

  it('an ExtensionRef wins over targetRef RouteOptions', async () => {
    expect(await who('/p/extension/x')).toEqual({ who: 'extension-ref', path: '/from-older/x' });
  });

  it("the rule's own URLRewrite filter wins over prefixRewrite, and the RouteOption's status says so", async () => {
    expect(await who('/p/core/x')).toEqual({ who: 'route-older', path: '/from-filter/x' });
    const status = JSON.stringify(statusOf(applied.run, 'RouteOption', 'default', 'route-older')?.status);
    expect(status).toContain('"reason":"Merged"');
    expect(status).toContain("prefixRewrite/regexRewrite (set by the rule's URLRewrite filter (path))");
    const newer = JSON.stringify(statusOf(applied.run, 'RouteOption', 'default', 'route-newer')?.status);
    expect(newer).toContain('"reason":"Overridden"');
  });

  it('every RouteOption in use lists the route it affects', () => {
    const status = statusOf(applied.run, 'RouteOption', 'default', 'rewrite')?.status as { ancestors?: { ancestorRef: { name: string } }[] } | undefined;
    expect(status?.ancestors?.map((a) => a.ancestorRef.name)).toEqual(['options']);
  });
});

describe('a RouteOption created after its route', () => {
  it('takes effect as soon as it exists: the rule stops answering 500, and its status lists the route', async () => {
    expect((await send({ port, host: HOST, path: '/missing/x' })).status).toBe(500);
    const t0 = Date.now();
    const later = await h.apply(docs(world, option('does-not-exist', '  options: {prefixRewrite: /late}')));
    const e = await echo({ port, host: HOST, path: '/missing/x' });
    const elapsed = Date.now() - t0;
    expect(e.path).toBe('/late/x');
    // Applied, translated, pushed to Envoy and ACKed, then served: well within a second here.
    expect(elapsed).toBeLessThan(1000);
    // The route's ResolvedRefs now names only `bad` (refused by the file modes' CRD check, so absent).
    const routeStatus = JSON.stringify(statusOf(later.run, 'HTTPRoute', 'default', 'options')?.status);
    expect(routeStatus).not.toContain('does-not-exist');
    expect(routeStatus).toContain('RouteOption bad not found');
    const status = statusOf(later.run, 'RouteOption', 'default', 'does-not-exist')?.status as { ancestors?: { ancestorRef: { name: string } }[] } | undefined;
    expect(status?.ancestors?.map((a) => a.ancestorRef.name)).toEqual(['options']);
  });
});

