// Traffic through a real Envoy when parts of the input are wrong: 404 for what no route takes,
// 500 for rules whose backends are invalid (missing, not permitted, wrong port or protocol) until
// they are fixed, and invalid rules, routes or documents never stopping the valid ones.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { EchoServer } from '@gantry/gatewayclass-controller/examples/echo-backend';
import { echo, echoOf, send } from './client.js';
import { GATEWAY_CLASS, TrafficHarness, docs, freePort, gatewayYaml, routeConditions, routeYaml, serviceYaml } from './harness.js';

let h: TrafficHarness;
let port: number;
let good: EchoServer;
let crossed: EchoServer;
let base: string;

const HOST = 'invalid.test';

const REFERENCE_GRANT = `
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: default-routes, namespace: other}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: default}]
  to: [{group: "", kind: Service, name: crossed}]
`;

function route(name: string, rules: string): string {
  return routeYaml(name, [HOST], rules);
}

beforeAll(async () => {
  h = await TrafficHarness.start();
  port = await freePort();
  good = await h.backend('good');
  crossed = await h.backend('crossed');
  base = docs(
    GATEWAY_CLASS,
    gatewayYaml(`{name: http, protocol: HTTP, port: ${port}}`),
    serviceYaml('good', good.port),
    serviceYaml('crossed', crossed.port, { namespace: 'other' }),
    serviceYaml('grpc-only', good.port, { appProtocol: 'kubernetes.io/grpc' }),
    route('broken-backends', `
  - matches: [{path: {value: /ok}}]
    backendRefs: [{name: good, port: 80}]
  - matches: [{path: {value: /missing}}]
    backendRefs: [{name: nope, port: 80}]
  - matches: [{path: {value: /cross}}]
    backendRefs: [{name: crossed, namespace: other, port: 80}]
  - matches: [{path: {value: /wrong-port}}]
    backendRefs: [{name: good, port: 8080}]
  - matches: [{path: {value: /wrong-protocol}}]
    backendRefs: [{name: grpc-only, port: 80}]
  - matches: [{path: {value: /partial}}]
    backendRefs: [{name: good, port: 80, weight: 1}, {name: nope, port: 80, weight: 1}]
`),
    route('half-valid', `
  - matches: [{path: {value: /half/valid}}]
    backendRefs: [{name: good, port: 80}]
  - matches: [{path: {type: RegularExpression, value: "/half/(unclosed"}}]
    backendRefs: [{name: good, port: 80}]
`),
    `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: from-team, namespace: team}
spec:
  parentRefs: [{name: gw, namespace: default}]
  hostnames: [team.test]
  rules: [{backendRefs: [{name: team-backend, port: 80}]}]
`,
    serviceYaml('team-backend', good.port, { namespace: 'team' }),
    route('all-invalid', `
  - matches: [{path: {value: /all-invalid}}]
    sessionPersistence: {sessionName: s}
    backendRefs: [{name: good, port: 80}]
`),
  );
  await h.apply(base);
});

afterAll(async () => {
  await h?.stop();
});

describe('404', () => {
  it('for a host no route takes and for a path no rule matches', async () => {
    expect((await send({ port, host: 'unknown.test', path: '/ok' })).status).toBe(404);
    expect((await send({ port, host: HOST, path: '/not-routed' })).status).toBe(404);
    expect((await echo({ port, host: HOST, path: '/ok' })).backend).toBe('good');
  });
});

describe('500 for invalid backends', () => {
  it.each(['/missing', '/cross', '/wrong-port', '/wrong-protocol'])('%s', async (path) => {
    const r = await send({ port, host: HOST, path });
    expect(r.status).toBe(500);
  });

  it('reports why in the route status', async () => {
    const { run } = await h.apply(base);
    const conditions = routeConditions(run, 'default', 'broken-backends');
    expect(conditions).toContain('Accepted=True:Accepted');
    expect(conditions.some((c) => c.startsWith('ResolvedRefs=False:'))).toBe(true);
  });

  it('only the invalid share of a partly invalid rule gets 500', async () => {
    const n = 200;
    let failed = 0;
    for (let i = 0; i < n; i += 20) {
      const batch = await Promise.all(Array.from({ length: 20 }, () => send({ port, host: HOST, path: '/partial' })));
      for (const r of batch) {
        if (r.status === 500) failed++;
        else expect(echoOf(r).backend).toBe('good');
      }
    }
    // Binomial(200, 1/2): standard deviation 7.07; five of them either side.
    expect(Math.abs(failed - n / 2)).toBeLessThanOrEqual(5 * Math.sqrt(n / 4));
  });

  it('a ReferenceGrant makes the cross-namespace backend routable', async () => {
    const { run } = await h.apply(docs(base, REFERENCE_GRANT));
    const e = await echo({ port, host: HOST, path: '/cross' });
    expect(e.backend).toBe('crossed');
    expect((await send({ port, host: HOST, path: '/missing' })).status).toBe(500);
    expect(routeConditions(run, 'default', 'broken-backends').some((c) => c.includes('RefNotPermitted'))).toBe(false);
  });

  it('withdrawing the grant brings the 500 back', async () => {
    await h.apply(base);
    expect((await send({ port, host: HOST, path: '/cross' })).status).toBe(500);
  });
});

describe('bad input never stops the rest', () => {
  it('an invalid rule is dropped, its sibling rules serve', async () => {
    const { run } = await h.apply(base);
    expect((await echo({ port, host: HOST, path: '/half/valid' })).backend).toBe('good');
    expect(routeConditions(run, 'default', 'half-valid')).toContain('PartiallyInvalid=True:UnsupportedValue');
  });

  it('a route with only invalid rules is not accepted; the other routes serve', async () => {
    const { run } = await h.apply(base);
    expect(routeConditions(run, 'default', 'all-invalid').some((c) => c.startsWith('Accepted=False'))).toBe(true);
    expect((await send({ port, host: HOST, path: '/all-invalid' })).status).toBe(404);
    expect((await echo({ port, host: HOST, path: '/ok' })).backend).toBe('good');
  });

  it('a route from a namespace the listener does not allow is not attached', async () => {
    const { run } = await h.apply(base);
    expect(routeConditions(run, 'team', 'from-team')).toContain('Accepted=False:NotAllowedByListeners');
    expect((await send({ port, host: 'team.test' })).status).toBe(404);
  });

  it('a malformed document is skipped, the valid ones (and changes to them) apply', async () => {
    const brokenDoc = `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: malformed, namespace: default}
spec: {parentRefs: "not a list"}
`;
    const { manifestErrors } = await h.apply(
      docs(base, brokenDoc, route('added-with-broken', `
  - matches: [{path: {value: /added}}]
    backendRefs: [{name: good, port: 80}]
`)),
      { allowManifestErrors: true },
    );
    expect(manifestErrors.length).toBeGreaterThan(0);
    expect((await echo({ port, host: HOST, path: '/added' })).backend).toBe('good');
    expect((await echo({ port, host: HOST, path: '/ok' })).backend).toBe('good');
  });

  it('regular expressions Envoy (RE2) cannot take do not block the rest of the route table', async () => {
    // Valid in JavaScript, refused by Envoy: a repetition count over RE2's 1000, and a program
    // larger than Envoy's default RE2 size limit. A NACK would freeze the whole route table.
    await h.apply(
      docs(
        base,
        route('re2-limits', `
  - matches: [{path: {type: RegularExpression, value: "/re2/a{1001}"}}]
    backendRefs: [{name: good, port: 80}]
  - matches: [{headers: [{type: RegularExpression, name: x-big, value: "[a-z]{40}[0-9]{40}[a-z]{40}"}]}]
    backendRefs: [{name: good, port: 80}]
`),
        route('next-to-re2-limits', `
  - matches: [{path: {value: /after-regex}}]
    backendRefs: [{name: good, port: 80}]
`),
      ),
    );
    expect((await echo({ port, host: HOST, path: '/after-regex' })).backend).toBe('good');
  });
});
