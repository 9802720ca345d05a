// The Upstream CRD against a real API server: install charts/gantry-crds' generated YAML, then
// `kubectl apply` invalid Upstreams and assert the error a user sees (each CEL rule, and the
// structural bounds), apply valid ones (the seeds' static json-upstream, a kube Upstream with a
// selector, every load balancer and health checker kind), and read them back through
// `kubectl get` (printer columns) and `kubectl explain` (descriptions).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startCrdCluster, table, type CrdCluster, type KubectlResult } from './testing/crd-cluster.js';

const NS = 'default';

type Result = KubectlResult;

let cluster: CrdCluster;
const kubectl = (args: readonly string[], stdin?: string): Promise<Result> => cluster.kubectl(args, stdin);

/** `kubectl apply -f -` of one Upstream: what the user sees. */
const apply = (name: string, spec: unknown): Promise<Result> => cluster.apply('Upstream', NS, name, spec);

const kube = { serviceName: 'petstore', servicePort: 8080 };
const stat = { hosts: [{ addr: 'jsonplaceholder.typicode.com', port: 80 }] };
const hc = { interval: '5s', timeout: '1s', unhealthyThreshold: 2, healthyThreshold: 1 };
const http = { path: '/healthz' };
const ringHash = (hashPolicies: unknown[]): unknown => ({ kube, loadBalancer: { ringHash: { hashPolicies } } });

beforeAll(async () => {
  cluster = await startCrdCluster('gateway.gantry.dev_upstreams.yaml', 'upstreams', NS);
}, 5 * 60_000);

afterAll(async () => {
  await cluster?.stop();
});

/**
 * Each case: a spec, and the `field: Invalid value: ...` kubectl prints for it (after `The Upstream
 * "name" is invalid: `). A CEL rule prints its message after `Invalid value:` (and the value, for scalars).
 */
const REJECTED: readonly (readonly [string, unknown, string])[] = [
  // spec-level
  ['no spec', undefined, 'spec: Required value'],
  ['both kube and static', { kube, static: stat }, 'spec: Invalid value: exactly one of kube or static must be set'],
  ['neither kube nor static', { useHttp2: true }, 'spec: Invalid value: exactly one of kube or static must be set'],
  // kube
  ['kube without servicePort', { kube: { serviceName: 'petstore' } }, 'spec.kube.servicePort: Required value'],
  ['servicePort 0', { kube: { ...kube, servicePort: 0 } }, 'spec.kube.servicePort: Invalid value: 0: spec.kube.servicePort in body should be greater than or equal to 1'],
  ['servicePort 65536', { kube: { ...kube, servicePort: 65536 } }, 'spec.kube.servicePort: Invalid value: 65536: spec.kube.servicePort in body should be less than or equal to 65535'],
  ['an invalid Service name', { kube: { ...kube, serviceName: 'Pet_Store' } }, 'spec.kube.serviceName: Invalid value: "Pet_Store": spec.kube.serviceName in body should match'],
  // static
  ['no static hosts', { static: { hosts: [] } }, 'spec.static.hosts: Invalid value: a static Upstream needs at least one host'],
  ['static without hosts', { static: { useTls: true } }, 'spec.static.hosts: Required value'],
  ['a static host port of 0', { static: { hosts: [{ addr: '10.0.0.5', port: 0 }] } }, 'spec.static.hosts[0].port: Invalid value: 0: spec.static.hosts[0].port in body should be greater than or equal to 1'],
  ['a static host weight of 0', { static: { hosts: [{ addr: '10.0.0.5', port: 80, weight: 0 }] } }, 'spec.static.hosts[0].weight: Invalid value: 0: spec.static.hosts[0].weight in body should be greater than or equal to 1'],
  ['an addr that is neither IP nor DNS name', { static: { hosts: [{ addr: 'not_a host', port: 80 }] } }, 'spec.static.hosts[0]: Invalid value: addr must be an IP address or a lowercase DNS name'],
  ['sni with useTls false', { static: { ...stat, useTls: false, sni: 'api.example.com' } }, 'spec.static: Invalid value: sni and sniAddr need TLS: useTls is false'],
  ['sniAddr with useTls false', { static: { hosts: [{ addr: '10.0.0.5', port: 443, sniAddr: 'a.example.com' }], useTls: false } }, 'spec.static: Invalid value: sni and sniAddr need TLS: useTls is false'],
  // durations
  ['a malformed duration', { kube, connectTimeout: '5 seconds' }, 'spec.connectTimeout: Invalid value: "5 seconds": spec.connectTimeout in body should match \'^([0-9]{1,5}(h|m|s|ms)){1,4}$\''],
  ['a zero connectTimeout', { kube, connectTimeout: '0s' }, 'spec.connectTimeout: Invalid value: "0s": must be greater than 0'],
  // load balancer
  ['two load balancer kinds', { kube, loadBalancer: { roundRobin: {}, random: {} } }, 'spec.loadBalancer: Invalid value: at most one of roundRobin, leastRequest, random, ringHash or maglev may be set'],
  ['choiceCount 1', { kube, loadBalancer: { leastRequest: { choiceCount: 1 } } }, 'spec.loadBalancer.leastRequest.choiceCount: Invalid value: 1: spec.loadBalancer.leastRequest.choiceCount in body should be greater than or equal to 2'],
  ['a ring larger than Envoy allows', { kube, loadBalancer: { ringHash: { maximumRingSize: 8388609 } } }, 'spec.loadBalancer.ringHash.maximumRingSize: Invalid value: 8388609: spec.loadBalancer.ringHash.maximumRingSize in body should be less than or equal to 8388608'],
  ['minimumRingSize above maximumRingSize', { kube, loadBalancer: { ringHash: { minimumRingSize: 4096, maximumRingSize: 1024 } } }, 'spec.loadBalancer.ringHash: Invalid value: minimumRingSize must not be greater than maximumRingSize'],
  ['a maglev table larger than Envoy allows', { kube, loadBalancer: { maglev: { tableSize: 5000012 } } }, 'spec.loadBalancer.maglev.tableSize: Invalid value: 5000012: spec.loadBalancer.maglev.tableSize in body should be less than or equal to 5000011'],
  ['a hash policy with two kinds', ringHash([{ header: { name: 'x-user' }, sourceIP: {} }]), 'spec.loadBalancer.ringHash.hashPolicies[0]: Invalid value: each hash policy must set exactly one of header, cookie, sourceIP or queryParameter'],
  ['a hash policy with no kind', ringHash([{ terminal: true }]), 'spec.loadBalancer.ringHash.hashPolicies[0]: Invalid value: each hash policy must set exactly one of header, cookie, sourceIP or queryParameter'],
  ['an empty hashPolicies list', ringHash([]), 'spec.loadBalancer.ringHash.hashPolicies: Invalid value: 0: spec.loadBalancer.ringHash.hashPolicies in body should have at least 1 items'],
  ['a hash policy header name with a space', ringHash([{ header: { name: 'x user' } }]), 'spec.loadBalancer.ringHash.hashPolicies[0].header.name: Invalid value: "x user": spec.loadBalancer.ringHash.hashPolicies[0].header.name in body should match'],
  // health check
  ['a health check with two checkers', { kube, healthCheck: { ...hc, http, tcp: {} } }, 'spec.healthCheck: Invalid value: healthCheck must set exactly one of http, tcp or grpc'],
  ['a health check with no checker', { kube, healthCheck: hc }, 'spec.healthCheck: Invalid value: healthCheck must set exactly one of http, tcp or grpc'],
  ['a health check without interval', { kube, healthCheck: { ...hc, interval: undefined, http } }, 'spec.healthCheck.interval: Required value'],
  ['a zero health check interval', { kube, healthCheck: { ...hc, interval: '0ms', http } }, 'spec.healthCheck.interval: Invalid value: "0ms": must be greater than 0'],
  ['an unhealthyThreshold of 0', { kube, healthCheck: { ...hc, unhealthyThreshold: 0, http } }, 'spec.healthCheck.unhealthyThreshold: Invalid value: 0: spec.healthCheck.unhealthyThreshold in body should be greater than or equal to 1'],
  ['a healthyThreshold of 0', { kube, healthCheck: { ...hc, healthyThreshold: 0, http } }, 'spec.healthCheck.healthyThreshold: Invalid value: 0: spec.healthCheck.healthyThreshold in body should be greater than or equal to 1'],
  ['an HTTP check path without a leading slash', { kube, healthCheck: { ...hc, http: { path: 'healthz' } } }, 'spec.healthCheck.http.path: Invalid value: "healthz": spec.healthCheck.http.path in body should match \'^/\''],
  ['expectedStatuses with start above end', { kube, healthCheck: { ...hc, http: { ...http, expectedStatuses: [{ start: 399, end: 200 }] } } }, 'spec.healthCheck.http.expectedStatuses[0]: Invalid value: start must not be greater than end'],
  ['an expected status of 600', { kube, healthCheck: { ...hc, http: { ...http, expectedStatuses: [{ start: 200, end: 600 }] } } }, 'spec.healthCheck.http.expectedStatuses[0].end: Invalid value: 600: spec.healthCheck.http.expectedStatuses[0].end in body should be less than or equal to 599'],
  ['an expected status of 99', { kube, healthCheck: { ...hc, http: { ...http, expectedStatuses: [{ start: 99, end: 200 }] } } }, 'spec.healthCheck.http.expectedStatuses[0].start: Invalid value: 99: spec.healthCheck.http.expectedStatuses[0].start in body should be greater than or equal to 100'],
  // outlier detection, circuit breakers
  ['maxEjectionPercent 101', { kube, outlierDetection: { maxEjectionPercent: 101 } }, 'spec.outlierDetection.maxEjectionPercent: Invalid value: 101: spec.outlierDetection.maxEjectionPercent in body should be less than or equal to 100'],
  ['consecutive5xx 0', { kube, outlierDetection: { consecutive5xx: 0 } }, 'spec.outlierDetection.consecutive5xx: Invalid value: 0: spec.outlierDetection.consecutive5xx in body should be greater than or equal to 1'],
  ['a zero baseEjectionTime', { kube, outlierDetection: { baseEjectionTime: '0s' } }, 'spec.outlierDetection.baseEjectionTime: Invalid value: "0s": must be greater than 0'],
  ['maxConnections 0', { kube, circuitBreakers: { maxConnections: 0 } }, 'spec.circuitBreakers.maxConnections: Invalid value: 0: spec.circuitBreakers.maxConnections in body should be greater than or equal to 1'],
  ['maxRetries -1', { kube, circuitBreakers: { maxRetries: -1 } }, 'spec.circuitBreakers.maxRetries: Invalid value: -1: spec.circuitBreakers.maxRetries in body should be greater than or equal to 0'],
  // structure: hash policies exist only inside ringHash and maglev; unknown fields are errors
  ['hashPolicies on roundRobin', { kube, loadBalancer: { roundRobin: { hashPolicies: [{ sourceIP: {} }] } } }, 'unknown field "spec.loadBalancer.roundRobin.hashPolicies"'],
  ['an unknown field', { kube, timeout: '5s' }, 'unknown field "spec.timeout"'],
];

describe('the Upstream CRD on a real API server', () => {
  it.each(REJECTED)('rejects %s', async (title, spec, message) => {
    const name = `bad-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}`.slice(0, 63).replace(/-$/, '');
    const r = await apply(name, spec);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(message);
  });

  it('reports each problem once: a malformed duration gets the pattern error, not a CEL evaluation error too', async () => {
    const r = await apply('bad-duration-once', { kube, connectTimeout: 'soon' });
    expect(r.stderr).toContain('spec.connectTimeout: Invalid value: "soon"');
    expect(r.stderr).not.toContain('must be greater than 0');
    expect(r.stderr).not.toMatch(/evaluat|no such overload/);
  });

  const ACCEPTED: readonly (readonly [string, string, unknown])[] = [
    // kgateway's static Upstream guide (seeds/002): json-upstream.
    ['the seed json-upstream', 'json-upstream', { static: { hosts: [{ addr: 'jsonplaceholder.typicode.com', port: 80 }] } }],
    // Gloo Edge's kube Upstream (seeds/000, 001), narrowed by a selector.
    ['a kube Upstream with a selector', 'petstore', { kube: { serviceName: 'petstore', serviceNamespace: 'default', servicePort: 8080, selector: { version: 'v2' } } }],
    ['static TLS hosts with SNI, IPv4 and IPv6', 'tls-hosts', {
      static: { hosts: [{ addr: '10.0.0.5', port: 443, weight: 3, sniAddr: 'a.example.com' }, { addr: '2001:db8::1', port: 8443 }], useTls: true, sni: 'api.example.com' },
    }],
    ['roundRobin', 'lb-round-robin', { kube, loadBalancer: { roundRobin: {} } }],
    ['leastRequest', 'lb-least-request', { kube, loadBalancer: { leastRequest: { choiceCount: 3 } } }],
    ['random', 'lb-random', { kube, loadBalancer: { random: {} } }],
    ['ringHash with every hash policy kind', 'lb-ring-hash', {
      kube,
      loadBalancer: {
        ringHash: {
          minimumRingSize: 1024, maximumRingSize: 8388608,
          hashPolicies: [
            { header: { name: 'x-user' }, terminal: true },
            { cookie: { name: 'session', ttl: '1h30m', path: '/' } },
            { sourceIP: {} },
            { queryParameter: { name: 'user' } },
          ],
        },
      },
    }],
    ['maglev', 'lb-maglev', { kube, loadBalancer: { maglev: { tableSize: 65537, hashPolicies: [{ cookie: { name: 'sticky', ttl: '0s' } }] } } }],
    ['an empty loadBalancer (round robin)', 'lb-empty', { kube, loadBalancer: {} }],
    ['an HTTP health check', 'hc-http', { kube, healthCheck: { ...hc, http: { path: '/healthz', host: '', expectedStatuses: [{ start: 200, end: 399 }, { start: 418, end: 418 }] } } }],
    ['a TCP health check', 'hc-tcp', { kube, healthCheck: { ...hc, tcp: { send: 'PING\r\n', receive: ['PONG'] } } }],
    ['a connect-only TCP health check', 'hc-tcp-connect', { kube, healthCheck: { ...hc, tcp: {} } }],
    ['a gRPC health check', 'hc-grpc', { kube, healthCheck: { ...hc, timeout: '10s', grpc: { serviceName: 'petstore.v1.Store' } } }],
    ['everything at once (the issue example)', 'full', {
      kube: { serviceName: 'petstore', serviceNamespace: 'default', servicePort: 8080, selector: { version: 'v2' } },
      useHttp2: false,
      connectTimeout: '5s',
      loadBalancer: { ringHash: { hashPolicies: [{ header: { name: 'x-user' } }] } },
      healthCheck: { interval: '5s', timeout: '1s', unhealthyThreshold: 2, healthyThreshold: 1, http: { path: '/healthz', host: '', expectedStatuses: [{ start: 200, end: 399 }] } },
      outlierDetection: { consecutive5xx: 5, interval: '10s', baseEjectionTime: '30s', maxEjectionPercent: 50 },
      circuitBreakers: { maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024, maxRetries: 3 },
    }],
  ];

  it.each(ACCEPTED)('accepts %s', async (_title, name, spec) => {
    const r = await apply(name, spec);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(`upstream.gateway.gantry.dev/${name} created`);
    // Nothing was pruned: what was applied is what is stored.
    const stored = await kubectl(['get', 'upstream', name, '-n', NS, '-o', 'json']);
    expect((JSON.parse(stored.stdout) as { spec: unknown }).spec).toEqual(spec);
  });

  it('shows Type, Accepted, Endpoints and Age in `kubectl get upstreams` (short name us, category gantry), the target with -o wide', async () => {
    for (const [name, spec] of [['cols-kube', { kube }], ['cols-static', { static: stat }]] as const) {
      expect((await apply(name, spec)).stderr).toBe('');
    }
    // What the status writer will set: the type, Accepted and the endpoint count.
    const status = {
      status: {
        type: 'Kube',
        conditions: [{ type: 'Accepted', status: 'True', reason: 'Accepted', message: '', lastTransitionTime: '2025-01-01T00:00:00Z' }],
        endpoints: 3,
      },
    };
    const patched = await kubectl(['patch', 'upstream', 'cols-kube', '-n', NS, '--subresource=status', '--type=merge', '-p', JSON.stringify(status)]);
    expect(patched.stderr).toBe('');
    for (const resource of ['upstreams', 'us', 'gantry']) {
      const r = await kubectl(['get', resource, '-n', NS, 'cols-kube', 'cols-static'].filter((a) => resource !== 'gantry' || !a.startsWith('cols')));
      expect(r.stderr).toBe('');
      const [header = [], ...rows] = table(r.stdout);
      expect(header).toEqual(['NAME', 'TYPE', 'ACCEPTED', 'ENDPOINTS', 'AGE']);
      const row = (name: string): string[] | undefined => rows.find((l) => l[0] === name || l[0] === `upstream.gateway.gantry.dev/${name}`)?.slice(1, 4);
      // An unset column is blank in a server-side table (no status written yet).
      expect(row('cols-kube')).toEqual(['Kube', 'True', '3']);
      expect(row('cols-static')).toEqual(['', '', '']);
    }
    const wide = table((await kubectl(['get', 'us', '-n', NS, 'cols-kube', 'cols-static', '-o', 'wide'])).stdout);
    expect(wide[0]).toEqual(['NAME', 'TYPE', 'ACCEPTED', 'ENDPOINTS', 'AGE', 'SERVICE', 'HOST']);
    expect(wide.find((l) => l[0] === 'cols-kube')?.slice(-2)).toEqual(['petstore', '']);
    expect(wide.find((l) => l[0] === 'cols-static')?.slice(-2)).toEqual(['', 'jsonplaceholder.typicode.com']);
  });

  it('explains every field to `kubectl explain`', async () => {
    const r = await kubectl(['explain', 'upstreams.spec.healthCheck.http.expectedStatuses']);
    expect(r.stderr).toBe('');
    const text = r.stdout.replace(/\s+/g, ' ');
    expect(text).toContain('Statuses that pass, as inclusive ranges. Default: only 200.');
    expect(text).toContain('First status of the range (inclusive).');
    const kubeField = await kubectl(['explain', 'us.spec.kube.servicePort']);
    expect(kubeField.stdout.replace(/\s+/g, ' ')).toContain('traffic goes to the matching targetPort on each pod');
  });
});
